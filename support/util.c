/* util.c - file reading, directory walking, JSON strings. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ftw.h>
#include <unistd.h>
#include "util.h"

char *read_file(const char *path, size_t limit, size_t *len, char *errbuf,
                size_t errcap)
{
    errbuf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap >= limit) {
                snprintf(errbuf, errcap, "%s: larger than %zu bytes", path,
                         limit);
                free(buf);
                buf = NULL;
                break;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (!buf && !*errbuf)
        snprintf(errbuf, errcap, "%s: out of memory", path);
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

static int add_path(struct path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **np = realloc(l->paths, cap * sizeof *np);
        if (!np)
            return -1;
        l->paths = np;
        l->cap = cap;
    }
    l->paths[l->n] = strdup(p);
    return l->paths[l->n] ? (int)l->n++ : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int walk(const char *dir, struct path_list *out, char *errbuf,
                size_t errcap, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(errbuf, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    size_t first = out->n;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 8)
                rc = walk(p, out, errbuf, errcap, depth + 1);
        } else if (has_suffix(p, ".trace") || has_suffix(p, ".trb")) {
            if (add_path(out, p) < 0) {
                snprintf(errbuf, errcap, "out of memory");
                rc = -1;
            }
        }
    }
    closedir(d);
    if (out->n - first > 1)
        qsort(out->paths + first, out->n - first, sizeof *out->paths,
              cmp_str);
    return rc;
}

int collect_traces(const char *path, struct path_list *out, char *errbuf,
                   size_t errcap)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return add_path(out, path) < 0 ? -1 : 1;
    size_t before = out->n;
    if (walk(path, out, errbuf, errcap, 0) < 0)
        return -1;
    if (out->n == before) {
        snprintf(errbuf, errcap, "%s: no .trace or .trb files in it", path);
        return -1;
    }
    return (int)(out->n - before);
}

void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    l->paths = NULL;
    l->n = l->cap = 0;
}

int make_dirs(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *c = tmp + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *c = '/';
        }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* One byte of a JSON string's contents, escaped: a quote or a backslash
 * after a backslash, a control character as \u00XX, any other byte as it
 * is (UTF-8 passes through).  Returns the length written to out (at most
 * 6). */
static size_t json_escape_byte(unsigned char c, char out[7])
{
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (c < 0x20)
        return (size_t)snprintf(out, 7, "\\u%04x", c);
    out[0] = (char)c;
    return 1;
}

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        char e[7];
        fwrite(e, 1, json_escape_byte((unsigned char)*s, e), f);
    }
    fputc('"', f);
}

/* Append len bytes at buf[n], as far as cap-1 allows; the new n. */
static size_t put_bytes(char *buf, size_t cap, size_t n, const char *e,
                        size_t len)
{
    for (size_t i = 0; i < len; i++, n++)
        if (n + 1 < cap)
            buf[n] = e[i];
    return n;
}

size_t json_quote(char *buf, size_t cap, const char *s)
{
    size_t n = put_bytes(buf, cap, 0, "\"", 1);
    for (; *s; s++) {
        char e[7];
        n = put_bytes(buf, cap, n, e, json_escape_byte((unsigned char)*s, e));
    }
    n = put_bytes(buf, cap, n, "\"", 1);
    if (cap)
        buf[n < cap ? n : cap - 1] = 0;
    return n;
}

/* ---- removing a tree (no symlink is followed) ---- */

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

int remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return access(path, F_OK) == 0 ? -1 : 0;
}
