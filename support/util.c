/* util.c - file reading, directory walking, JSON strings. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
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
        int e = errno;
        struct stat st;
        if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            snprintf(errbuf, errcap, "%s: a dangling symlink", path);
        else if (e == ELOOP)
            snprintf(errbuf, errcap, "%s: a symlink loop (%s)", path,
                     strerror(e));
        else
            snprintf(errbuf, errcap, "%s: %s", path, strerror(e));
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

static bool has_any_suffix(const char *name, const char *const *suffixes)
{
    for (; *suffixes; suffixes++)
        if (has_suffix(name, *suffixes))
            return true;
    return false;
}

/* A note about an entry the walk leaves out, on stderr: never silent. */
static void walk_note(const struct path_list *l, const char *path,
                      const char *why)
{
    if (l->cmd)
        fprintf(stderr, "ternrig %s: %s: skipped: %s\n", l->cmd, path, why);
    else
        fprintf(stderr, "ternrig: %s: skipped: %s\n", path, why);
}

static const char *kind_name(mode_t m)
{
    return S_ISFIFO(m)  ? "a FIFO, not a regular file"
           : S_ISSOCK(m) ? "a socket, not a regular file"
           : S_ISCHR(m)  ? "a character device, not a regular file"
           : S_ISBLK(m)  ? "a block device, not a regular file"
                         : "not a regular file";
}

/* What a walk has seen: every directory and file by device and inode, so
 * that a symlink loop, or two names of one file, give each file once. */
struct seen {
    struct { dev_t dev; ino_t ino; } *v;
    size_t n, cap;
};

/* 1 if (dev, ino) was seen already, else 0 after adding it; -1 no memory. */
static int seen_add(struct seen *s, const struct stat *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
            return 1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        void *nv = realloc(s->v, cap * sizeof *s->v);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].dev = st->st_dev;
    s->v[s->n].ino = st->st_ino;
    s->n++;
    return 0;
}

/* The names in dir (no dot files), read whole and closed before the walk
 * goes deeper: no depth holds a descriptor, so no depth limit is needed. */
static char **read_names(const char *dir, size_t *n, char *errbuf,
                         size_t errcap)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(errbuf, errcap, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    struct path_list names = {0};
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
        if (de->d_name[0] != '.')
            rc = add_path(&names, de->d_name) < 0 ? -1 : 0;
    closedir(d);
    if (rc < 0) {
        snprintf(errbuf, errcap, "%s: out of memory", dir);
        path_list_free(&names);
        return NULL;
    }
    *n = names.n;
    if (names.n > 1) /* the first name of a file found twice is kept */
        qsort(names.paths, names.n, sizeof *names.paths, cmp_str);
    return names.paths ? names.paths : calloc(1, sizeof(char *));
}

static int walk(const char *dir, const char *const *suffixes,
                struct path_list *out, struct seen *seen, char *errbuf,
                size_t errcap)
{
    size_t n = 0;
    char **names = read_names(dir, &n, errbuf, errcap);
    if (!names)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (!p) {
            snprintf(errbuf, errcap, "out of memory");
            rc = -1;
            break;
        }
        snprintf(p, len, "%s/%s", dir, names[i]);
        struct stat lst, st;
        bool trace = has_any_suffix(names[i], suffixes);
        if (lstat(p, &lst) < 0) {
            snprintf(errbuf, errcap, "%s: %s", p, strerror(errno));
            rc = -1;
        } else if (stat(p, &st) < 0) {
            /* a dangling or looping symlink: a trace name is kept, so the
             * load reports it as it does a missing argument */
            if (trace)
                rc = add_path(out, p) < 0 ? -1 : 0;
            else
                walk_note(out, p, errno == ELOOP ? "a symlink loop"
                                                 : "a dangling symlink");
        } else if (S_ISDIR(st.st_mode)) {
            int s = seen_add(seen, &st);
            if (s == 0)
                rc = walk(p, suffixes, out, seen, errbuf, errcap);
            else if (s > 0)
                walk_note(out, p, "a directory already searched (a symlink "
                                  "back into the tree)");
            else
                rc = -1;
        } else if (trace && !S_ISREG(st.st_mode)) {
            walk_note(out, p, kind_name(st.st_mode));
        } else if (trace) {
            int s = seen_add(seen, &st);
            if (s == 0)
                rc = add_path(out, p) < 0 ? -1 : 0;
            else if (s > 0)
                walk_note(out, p, "a file already found under another name");
            else
                rc = -1;
        }
        if (rc < 0 && !errbuf[0])
            snprintf(errbuf, errcap, "out of memory");
        free(p);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int collect_files(const char *path, const char *const *suffixes,
                  struct path_list *out, char *errbuf, size_t errcap)
{
    errbuf[0] = 0;
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return add_path(out, path) < 0 ? -1 : 1;
    size_t before = out->n;
    struct seen seen = {0};
    int rc = seen_add(&seen, &st) < 0
                 ? -1
                 : walk(path, suffixes, out, &seen, errbuf, errcap);
    free(seen.v);
    if (rc < 0) {
        if (!errbuf[0])
            snprintf(errbuf, errcap, "out of memory");
        return -1;
    }
    if (out->n - before > 1)
        qsort(out->paths + before, out->n - before, sizeof *out->paths,
              cmp_str);
    return (int)(out->n - before);
}

int collect_traces(const char *path, struct path_list *out, char *errbuf,
                   size_t errcap)
{
    static const char *const trace_names[] = {".trace", ".trb", NULL};
    int n = collect_files(path, trace_names, out, errbuf, errcap);
    if (n == 0) {
        snprintf(errbuf, errcap, "%s: no .trace or .trb files in it", path);
        return -1;
    }
    return n;
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

/* One UTF-8 sequence at s (n bytes left): its length, or 0 if invalid
 * (overlong, a surrogate, above U+10FFFF, cut short). */
size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

/* The next piece of a JSON string's contents at s, escaped into out: a
 * quote or a backslash after a backslash, a control character as \u00XX,
 * a valid UTF-8 sequence as it is, and a byte that is no part of one as
 * \u00XX too (the code point of the same number, as Latin-1 reads it), so
 * that every string written is valid UTF-8 and ternrig's readers can take
 * the byte back.  Sets *used to the bytes of s consumed; returns the
 * length written (at most 6). */
static size_t json_escape_next(const char *s, size_t *used, char out[7])
{
    unsigned char c = (unsigned char)*s;
    *used = 1;
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    size_t l = utf8_seq_len((const unsigned char *)s, strnlen(s, 4));
    if (c < 0x20 || l == 0)
        return (size_t)snprintf(out, 7, "\\u%04x", c);
    memcpy(out, s, l);
    *used = l;
    return l;
}

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    while (*s) {
        char e[7];
        size_t used;
        fwrite(e, 1, json_escape_next(s, &used, e), f);
        s += used;
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
    while (*s) {
        char e[7];
        size_t used;
        n = put_bytes(buf, cap, n, e, json_escape_next(s, &used, e));
        s += used;
    }
    n = put_bytes(buf, cap, n, "\"", 1);
    if (cap)
        buf[n < cap ? n : cap - 1] = 0;
    return n;
}

int parse_number(const char *s, unsigned long long min, unsigned long long max,
                 unsigned long long *out)
{
    /* strtoull skips spaces, takes a sign and wraps "-1" round: refuse
     * anything but digits (0x hex too), and a value it had to clamp */
    if (!s || !((*s >= '0' && *s <= '9')))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty;
}

int prepare_output_dir(const char *dir, char *errbuf, size_t errcap)
{
    struct stat st;
    if (make_dirs(dir) < 0) {
        snprintf(errbuf, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errcap, "%s: not a directory", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        snprintf(errbuf, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int prepare_output_file(const char *path, char *errbuf, size_t errcap)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        snprintf(errbuf, errcap, "%.64s...: path too long", path);
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0; /* "/x": the root */
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (prepare_output_dir(dir, errbuf, errcap) < 0)
        return -1;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errcap, "%s: a directory, not a file", path);
        return -1;
    }
    if (stat(path, &st) == 0 && access(path, W_OK) < 0) {
        snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int path_inside(const char *path, const char *dir)
{
    char rdir[PATH_MAX], probe[PATH_MAX], rp[PATH_MAX];
    if (!realpath(dir, rdir))
        return -1;
    if (snprintf(probe, sizeof probe, "%s", path) >= (int)sizeof probe) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* up to the deepest folder that exists */
    while (!realpath(probe[0] ? probe : ".", rp)) {
        char *slash = strrchr(probe, '/');
        if (!probe[0] || !strcmp(probe, "/"))
            return 0; /* not even the working directory resolves */
        if (!slash) {
            probe[0] = 0; /* "name": the working directory */
        } else if (slash == probe) {
            probe[1] = 0; /* "/name": the root */
        } else {
            *slash = 0;
        }
    }
    size_t n = strlen(rdir);
    if (n == 1) /* dir is "/" */
        return 1;
    return strncmp(rp, rdir, n) == 0 && (rp[n] == 0 || rp[n] == '/');
}

int close_output(FILE *f)
{
    bool failed = ferror(f) != 0;
    int err = failed ? (errno ? errno : EIO) : 0;
    if ((f == stdout ? fflush(f) : fclose(f)) != 0 && !failed) {
        failed = true;
        err = errno;
    }
    if (!failed)
        return 0;
    errno = err;
    return -1;
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

long parse_seconds(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return -1;
    if (*end == 0 || !strcmp(end, "s"))
        return (long)v;
    if (!strcmp(end, "m"))
        return (long)(v * 60);
    if (!strcmp(end, "h"))
        return (long)(v * 3600);
    return -1;
}
