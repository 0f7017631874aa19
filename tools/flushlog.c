/* flushlog.c - the embedded filesystem's JSONL log as events. */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "flushlog.h"
#include "grow.h"

/* ---- a flat JSON object: string, number, true/false/null values ---- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A JSON string at *s (after its opening quote) into out (truncated to
 * cap-1 bytes).  Returns the position after the closing quote, or NULL. */
static const char *parse_string(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\') {
            char e = *s++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '"': case '\\': case '/': c = e; break;
            case 'u': {
                int v = 0;
                for (int k = 0; k < 4; k++) {
                    int h = hexval(s[k]);
                    if (h < 0)
                        return NULL;
                    v = v * 16 + h;
                }
                s += 4;
                c = v < 0x80 ? (char)v : '?'; /* the fs escapes bytes < 0x20 */
                break;
            }
            default: return NULL;
            }
        }
        if (o + 1 < cap)
            out[o++] = c;
    }
    if (*s != '"')
        return NULL;
    if (cap)
        out[o] = 0;
    return s + 1;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

/* Where each known key goes. */
enum field_kind { F_STR, F_DOUBLE, F_ULONG, F_INT, F_LLONG, F_BOOL };
struct field {
    const char *key;
    enum field_kind kind;
    size_t off, size;
};
#define FIELD(k, kind, member)                                                 \
    {k, kind, offsetof(struct flog_event, member),                             \
     sizeof(((struct flog_event *)0)->member)}
static const struct field fields[] = {
    FIELD("name", F_STR, name),        FIELD("comm", F_STR, comm),
    FIELD("decision", F_STR, decision), FIELD("result", F_STR, result),
    FIELD("state", F_STR, state),      FIELD("path", F_STR, path),
    FIELD("why", F_STR, why),          FIELD("t", F_DOUBLE, t),
    FIELD("ino", F_ULONG, ino),        FIELD("parent", F_ULONG, parent),
    FIELD("tid", F_INT, tid),          FIELD("tgid", F_INT, tgid),
    FIELD("creator", F_INT, creator),  FIELD("size", F_LLONG, size),
    FIELD("writes", F_LLONG, writes),  FIELD("written", F_LLONG, written),
    FIELD("off", F_LLONG, off),
    FIELD("len", F_LLONG, len),        FIELD("known", F_BOOL, known),
    FIELD("mm_alive", F_BOOL, mm_alive), FIELD("group_exit", F_BOOL, group_exit),
};

/* A number where a string is expected: "result" as 0 or -errno (the BPF
 * context source's logs) becomes "ok" or the errno's name. */
static void number_as_string(const char *key, double num, char *p, size_t cap)
{
    int v = (int)num;
    const char *name = v ? strerrorname_np(v < 0 ? -v : v) : NULL;
    if (!strcmp(key, "result") && (v == 0 || name))
        copy_str(p, cap, v == 0 ? "ok" : name);
    else
        snprintf(p, cap, "%g", num);
}

static void set_field(struct flog_event *ev, const char *key, bool is_str,
                      const char *str, double num, int boolean)
{
    if (!strcmp(key, "op")) {
        ev->op = !strcmp(str, "create")     ? FLOG_CREATE
                 : !strcmp(str, "flush")    ? FLOG_FLUSH
                 : !strcmp(str, "write")    ? FLOG_WRITE
                 : !strcmp(str, "truncate") ? FLOG_TRUNCATE
                                            : FLOG_OTHER;
        return;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        if (strcmp(key, f->key))
            continue;
        char *p = (char *)ev + f->off;
        switch (f->kind) {
        case F_STR:
            if (is_str || boolean >= 0)
                copy_str(p, f->size, str);
            else
                number_as_string(key, num, p, f->size);
            break;
        case F_DOUBLE: *(double *)p = num; break;
        case F_ULONG: *(unsigned long *)p = (unsigned long)num; break;
        case F_INT: *(int *)p = (int)num; break;
        case F_LLONG: *(long long *)p = (long long)num; break;
        case F_BOOL: *(bool *)p = boolean == 1; break;
        }
        return;
    }
}

int flushlog_parse_line(const char *line, struct flog_event *ev, char *why,
                        size_t cap)
{
    memset(ev, 0, sizeof *ev);
    ev->op = FLOG_OTHER;
    ev->size = ev->writes = ev->written = ev->off = ev->len = -1;
    ev->known = true;
    copy_str(ev->comm, sizeof ev->comm, "?");
    bool has_op = false;
    const char *s = skip_ws(line);
    if (*s++ != '{') {
        snprintf(why, cap, "not a JSON object");
        return -1;
    }
    s = skip_ws(s);
    if (*s == '}')
        s++;
    else
        for (;;) {
            char key[32], str[512] = "";
            double num = 0;
            int boolean = -1;
            bool is_str = false;
            if (*s != '"' || !(s = parse_string(s + 1, key, sizeof key))) {
                snprintf(why, cap, "bad key");
                return -1;
            }
            s = skip_ws(s);
            if (*s++ != ':') {
                snprintf(why, cap, "no ':' after \"%s\"", key);
                return -1;
            }
            s = skip_ws(s);
            if (*s == '"') {
                is_str = true;
                if (!(s = parse_string(s + 1, str, sizeof str))) {
                    snprintf(why, cap, "bad string for \"%s\"", key);
                    return -1;
                }
            } else if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4)) {
                boolean = *s == 't';
                s += 4;
            } else if (!strncmp(s, "false", 5)) {
                boolean = 0;
                s += 5;
            } else {
                char *end;
                num = strtod(s, &end);
                if (end == s) {
                    snprintf(why, cap, "bad value for \"%s\"", key);
                    return -1;
                }
                s = end;
            }
            has_op |= !strcmp(key, "op");
            set_field(ev, key, is_str, str, num, boolean);
            s = skip_ws(s);
            if (*s == ',') {
                s = skip_ws(s + 1);
                continue;
            }
            if (*s++ != '}') {
                snprintf(why, cap, "expected ',' or '}' after \"%s\"", key);
                return -1;
            }
            break;
        }
    if (*skip_ws(s)) {
        snprintf(why, cap, "text after the object");
        return -1;
    }
    if (!has_op) {
        snprintf(why, cap, "no \"op\"");
        return -1;
    }
    return 0;
}

/* ---- files ---- */

int flushlog_read(const char *path, long offset, struct flog *log,
                  unsigned *bad, char *why, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (offset > 0 && fseek(f, offset, SEEK_SET) != 0) {
        snprintf(why, cap, "%s: seek: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0;
    int rc = 0;
    while (getline(&line, &linecap, f) > 0) {
        struct flog_event ev;
        char err[64];
        if (flushlog_parse_line(line, &ev, err, sizeof err) < 0) {
            if (bad)
                ++*bad;
            continue;
        }
        if (grow(&log->ev, &log->cap, log->n, sizeof *log->ev, 64) < 0) {
            snprintf(why, cap, "%s: out of memory", path);
            rc = -1;
            break;
        }
        log->ev[log->n++] = ev;
    }
    free(line);
    fclose(f);
    return rc;
}

void flushlog_free(struct flog *log)
{
    free(log->ev);
    log->ev = NULL;
    log->n = log->cap = 0;
}

long flushlog_end(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}
