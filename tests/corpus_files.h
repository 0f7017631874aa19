/* corpus_files.h - reading the corpus in tests: whole files, and the
 * corpus trace paths sorted by name.  Shared by the trace-language and
 * codec fixtures. */
#ifndef TERNRIG_CORPUS_FILES_H
#define TERNRIG_CORPUS_FILES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole file, NUL-terminated; NULL if it cannot be opened.  Exits on out
 * of memory (a test cannot go on). */
__attribute__((unused)) static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            exit(2);
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            continue;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

__attribute__((unused)) static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The corpus file paths (malloc'd), sorted; returns their count. */
#define MAX_CORPUS 256
__attribute__((unused)) static int corpus_files(char *names[MAX_CORPUS])
{
    DIR *d = opendir(CORPUS_DIR);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < MAX_CORPUS) {
        size_t l = strlen(de->d_name);
        if (l > 6 && strcmp(de->d_name + l - 6, ".trace") == 0) {
            names[n] = malloc(strlen(CORPUS_DIR) + l + 2);
            if (!names[n])
                exit(2);
            sprintf(names[n], "%s/%s", CORPUS_DIR, de->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    return n;
}

#endif
