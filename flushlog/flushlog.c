/* flushlog.c - the flush log's line format: writer and readers. */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "flushlog.h"
#include "grow.h"
#include "util.h" /* json_quote */

void flushlog_event_init(struct flog_event *ev, enum flog_op op)
{
    memset(ev, 0, sizeof *ev);
    ev->op = op;
    ev->size = ev->writes = ev->written = ev->off = ev->len = -1;
    ev->closes = -1;
    ev->known = true;
    snprintf(ev->comm, sizeof ev->comm, "?");
}

static const char *const op_names[] = {
    [FLOG_CREATE] = "create", [FLOG_FLUSH] = "flush",
    [FLOG_WRITE] = "write",   [FLOG_TRUNCATE] = "truncate",
    [FLOG_LINK] = "link",
};

/* ------------------------------------------------------------- writing */

struct out {
    char *buf;
    size_t cap, len;
    bool full;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

/* "key":"value", the value JSON-escaped as every JSON ternrig writes
 * (names come from any user). */
static void put_str(struct out *o, const char *key, const char *v)
{
    put(o, ",\"%s\":", key);
    if (o->full)
        return;
    size_t n = json_quote(o->buf + o->len, o->cap - o->len, v);
    if (n >= o->cap - o->len)
        o->full = true;
    else
        o->len += n;
}

static void put_bool(struct out *o, const char *key, bool v)
{
    put(o, ",\"%s\":%s", key, v ? "true" : "false");
}

static void put_ptr(struct out *o, const char *key, uint64_t v)
{
    put(o, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static const char *errno_name(int err)
{
    const char *n = err ? strerrorname_np(err) : "ok";
    return n ? n : "EIO";
}

/* Who asked (create, flush), as the context source saw it. */
static void put_requester(struct out *o, const struct flog_event *ev)
{
    put_str(o, "policy", ev->policy);
    put_str(o, "ctx", ev->ctx);
    put(o, ",\"tid\":%d,\"tgid\":%d", ev->tid, ev->tgid);
    put_bool(o, "known", ev->known);
    put_bool(o, "mm_alive", ev->mm_alive);
    put_bool(o, "other_mm_alive", ev->other_mm_alive);
    if (!ev->kernel_view)
        return;
    put(o, ",\"unique\":%llu", (unsigned long long)ev->unique);
    put_ptr(o, "task", ev->task);
    put_ptr(o, "leader", ev->leader);
    put_ptr(o, "mm", ev->mm);
    put_ptr(o, "leader_mm", ev->leader_mm);
    put(o, ",\"start_ns\":%llu,\"live\":%d", (unsigned long long)ev->start_ns,
        ev->live);
    put_bool(o, "exiting", ev->exiting);
    put_bool(o, "group_exit", ev->group_exit);
    put(o, ",\"exit_code\":%d", ev->exit_code);
}

int flushlog_format(const struct flog_event *ev, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    uint64_t t = ev->t_ns;
    if (!t) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    }
    if (ev->op < FLOG_CREATE || ev->op >= FLOG_OTHER)
        return -1;
    put(&o, "{\"t\":%llu.%09llu,\"op\":\"%s\",\"ino\":%lu",
        (unsigned long long)(t / 1000000000ULL),
        (unsigned long long)(t % 1000000000ULL), op_names[ev->op], ev->ino);
    put_str(&o, "name", ev->name);
    switch (ev->op) {
    case FLOG_CREATE:
        put_requester(&o, ev);
        put(&o, ",\"parent\":%lu", ev->parent);
        put_str(&o, "comm", ev->comm);
        put(&o, ",\"result\":%d", -ev->err);
        put_str(&o, "why", ev->why);
        if (ev->tmpfile)
            put(&o, ",\"tmpfile\":true");
        break;
    case FLOG_LINK:
        put_requester(&o, ev);
        put(&o, ",\"parent\":%lu", ev->parent);
        put_str(&o, "comm", ev->comm);
        put(&o, ",\"result\":%d", -ev->err);
        put_str(&o, "state", ev->state);
        put(&o, ",\"size\":%lld,\"writes\":%lld,\"written\":%lld", ev->size,
            ev->writes, ev->written);
        put_str(&o, "why", ev->why);
        break;
    case FLOG_FLUSH:
        put_requester(&o, ev);
        if (ev->kernel_view)
            put(&o, ",\"table_fds\":%lld", ev->table_fds);
        if (ev->owner_known) {
            put_ptr(&o, "owner", ev->owner);
            put_ptr(&o, "owner_mm", ev->owner_mm);
            put(&o, ",\"closes\":%lld", ev->closes);
        }
        if (ev->owner_mm_now_read)
            put_ptr(&o, "owner_mm_now", ev->owner_mm_now);
        put(&o, ",\"creator\":%d", ev->creator);
        put_str(&o, "state", ev->state);
        put(&o, ",\"size\":%lld", ev->size);
        put_str(&o, "decision", ev->decision);
        put_str(&o, "why", ev->why);
        put_str(&o, "comm", ev->comm);
        put(&o, ",\"writes\":%lld,\"written\":%lld", ev->writes, ev->written);
        break;
    case FLOG_WRITE:
    case FLOG_TRUNCATE:
        put(&o, ",\"tid\":%d,\"tgid\":%d", ev->tid, ev->tgid);
        put_str(&o, "comm", ev->comm);
        put(&o, ",\"off\":%lld,\"len\":%lld,\"size\":%lld", ev->off, ev->len,
            ev->size);
        put_str(&o, "state", ev->state);
        put_str(&o, "result", errno_name(ev->err));
        break;
    case FLOG_OTHER:
        break;
    }
    put(&o, "}\n");
    return o.full ? -1 : (int)o.len;
}

int flushlog_write(FILE *f, const struct flog_event *ev)
{
    char line[FLOG_LINE_MAX];
    int n = flushlog_format(ev, line, sizeof line);
    if (n < 0) {
        errno = EOVERFLOW;
        return -1;
    }
    /* one write(2) of the whole line, past anything stdio still holds:
     * with O_APPEND the line lands whole at the end */
    if (fflush(f) != 0)
        return -1;
    for (size_t done = 0; done < (size_t)n;) {
        ssize_t w = write(fileno(f), line + done, (size_t)n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------- reading */

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
                /* the writer escapes < 0x20, and a byte that is no part
                 * of valid UTF-8 as \u0080..\u00ff: the byte back */
                c = v < 0x100 ? (char)v : '?';
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

/* One value as read: a string, a number (its text), or a literal. */
struct value {
    bool is_str;
    int boolean;     /* 1 true, 0 false or null, -1 neither */
    char str[512];   /* the string, or the number's text */
};

/* Where each known key goes. */
enum field_kind { F_STR, F_TIME, F_ULONG, F_INT, F_LLONG, F_U64, F_PTR,
                  F_BOOL, F_RESULT };
struct field {
    const char *key;
    enum field_kind kind;
    size_t off, size;
    ptrdiff_t seen; /* a bool set when the key is there, or -1 */
};
#define FIELD(k, kind, member)                                                 \
    {k, kind, offsetof(struct flog_event, member),                             \
     sizeof(((struct flog_event *)0)->member), -1}
#define FIELD_SEEN(k, kind, member, flag)                                      \
    {k, kind, offsetof(struct flog_event, member),                             \
     sizeof(((struct flog_event *)0)->member),                                 \
     (ptrdiff_t)offsetof(struct flog_event, flag)}
static const struct field fields[] = {
    FIELD("t", F_TIME, t_ns),
    FIELD("ino", F_ULONG, ino),
    FIELD("parent", F_ULONG, parent),
    FIELD("name", F_STR, name),
    FIELD("comm", F_STR, comm),
    FIELD("policy", F_STR, policy),
    FIELD("ctx", F_STR, ctx),
    FIELD("tid", F_INT, tid),
    FIELD("tgid", F_INT, tgid),
    FIELD("creator", F_INT, creator),
    FIELD("known", F_BOOL, known),
    FIELD("mm_alive", F_BOOL, mm_alive),
    FIELD("other_mm_alive", F_BOOL, other_mm_alive),
    FIELD("unique", F_U64, unique),
    FIELD("task", F_PTR, task),
    FIELD_SEEN("leader", F_PTR, leader, kernel_view),
    FIELD("mm", F_PTR, mm),
    FIELD("leader_mm", F_PTR, leader_mm),
    FIELD("start_ns", F_U64, start_ns),
    FIELD("live", F_INT, live),
    FIELD("exiting", F_BOOL, exiting),
    FIELD("group_exit", F_BOOL, group_exit),
    FIELD("exit_code", F_INT, exit_code),
    FIELD("table_fds", F_LLONG, table_fds),
    FIELD_SEEN("owner", F_PTR, owner, owner_known),
    FIELD("owner_mm", F_PTR, owner_mm),
    FIELD("closes", F_LLONG, closes),
    FIELD_SEEN("owner_mm_now", F_PTR, owner_mm_now, owner_mm_now_read),
    FIELD("decision", F_STR, decision),
    FIELD("result", F_RESULT, result),
    FIELD("state", F_STR, state),
    FIELD("path", F_STR, path),
    FIELD("why", F_STR, why),
    FIELD("size", F_LLONG, size),
    FIELD("writes", F_LLONG, writes),
    FIELD("written", F_LLONG, written),
    FIELD("off", F_LLONG, off),
    FIELD("len", F_LLONG, len),
    FIELD("tmpfile", F_BOOL, tmpfile),
};

/* "SEC.FRACTION" as ns, exactly (a double would round the ns away). */
static uint64_t time_ns(const char *s)
{
    char *end;
    unsigned long long sec = strtoull(s, &end, 10);
    uint64_t ns = 0, scale = 100000000ULL;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
            ns += (uint64_t)(*end - '0') * scale;
    return (uint64_t)sec * 1000000000ULL + ns;
}

/* src into dst, cut to cap - 1 bytes. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* "result": a number (0 or -errno) or a name ("ok", "EPERM"). */
static void set_result(struct flog_event *ev, const struct value *v)
{
    if (!v->is_str) {
        int n = (int)strtol(v->str, NULL, 10);
        int err = n < 0 ? -n : n;
        const char *name = err ? strerrorname_np(err) : "ok";
        ev->err = err;
        copy_str(ev->result, sizeof ev->result, name ? name : v->str);
        return;
    }
    copy_str(ev->result, sizeof ev->result, v->str);
    ev->err = 0;
    if (strcmp(v->str, "ok"))
        for (int e = 1; e < 256; e++) { /* Linux errnos end at 133 */
            const char *name = strerrorname_np(e);
            if (name && !strcmp(name, v->str)) {
                ev->err = e;
                break;
            }
        }
}

static void set_field(struct flog_event *ev, const char *key,
                      const struct value *v)
{
    if (!strcmp(key, "op")) {
        ev->op = FLOG_OTHER;
        for (int k = FLOG_CREATE; k < FLOG_OTHER; k++)
            if (!strcmp(v->str, op_names[k]))
                ev->op = (enum flog_op)k;
        return;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        if (strcmp(key, f->key))
            continue;
        char *p = (char *)ev + f->off;
        const char *s = v->str;
        switch (f->kind) {
        case F_STR: copy_str(p, f->size, s); break;
        case F_TIME:
            ev->t_ns = time_ns(s);
            ev->t = strtod(s, NULL);
            break;
        case F_ULONG: *(unsigned long *)p = strtoul(s, NULL, 10); break;
        case F_INT: *(int *)p = (int)strtol(s, NULL, 10); break;
        case F_LLONG: *(long long *)p = strtoll(s, NULL, 10); break;
        case F_U64: *(uint64_t *)p = strtoull(s, NULL, 10); break;
        case F_PTR: *(uint64_t *)p = strtoull(s, NULL, 16); break;
        case F_BOOL: *(bool *)p = v->boolean == 1; break;
        case F_RESULT: set_result(ev, v); break;
        }
        if (f->seen >= 0)
            *(bool *)((char *)ev + f->seen) = true;
        return;
    }
}

int flushlog_parse_line(const char *line, struct flog_event *ev, char *why,
                        size_t cap)
{
    flushlog_event_init(ev, FLOG_OTHER);
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
            char key[32];
            struct value v = {false, -1, ""};
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
                v.is_str = true;
                if (!(s = parse_string(s + 1, v.str, sizeof v.str))) {
                    snprintf(why, cap, "bad string for \"%s\"", key);
                    return -1;
                }
            } else if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4)) {
                v.boolean = *s == 't';
                s += 4;
            } else if (!strncmp(s, "false", 5)) {
                v.boolean = 0;
                s += 5;
            } else {
                char *end;
                strtod(s, &end);
                if (end == s || (size_t)(end - s) >= sizeof v.str) {
                    snprintf(why, cap, "bad value for \"%s\"", key);
                    return -1;
                }
                memcpy(v.str, s, (size_t)(end - s));
                v.str[end - s] = 0;
                s = end;
            }
            has_op |= !strcmp(key, "op");
            set_field(ev, key, &v);
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

static int append(struct flog *log, const struct flog_event *ev)
{
    if (grow(&log->ev, &log->cap, log->n, sizeof *log->ev, 64) < 0)
        return -1;
    log->ev[log->n++] = *ev;
    return 0;
}

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
        if (append(log, &ev) < 0) {
            snprintf(why, cap, "%s: out of memory", path);
            rc = -1;
            break;
        }
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

/* ---- a log being written ---- */

void flushlog_tail_init(struct flog_tail *t, FILE *f, long off)
{
    memset(t, 0, sizeof *t);
    t->f = f;
    t->off = off;
}

int flushlog_tail_next(struct flog_tail *t, struct flog_event *ev)
{
    for (;;) {
        clearerr(t->f); /* EOF is sticky: the writer may have added more */
        if (!t->at_off) {
            if (fseek(t->f, t->off, SEEK_SET) != 0)
                return 0;
            t->at_off = true;
        }
        ssize_t n = getline(&t->line, &t->cap, t->f);
        if (n <= 0)
            return 0; /* nothing more yet: still at off */
        if (t->line[n - 1] != '\n') {
            /* the line being written: leave it whole for next time */
            t->at_off = false;
            return 0;
        }
        t->off += (long)n;
        char why[64];
        if (flushlog_parse_line(t->line, ev, why, sizeof why) == 0)
            return 1;
        t->bad++;
    }
}

void flushlog_tail_done(struct flog_tail *t)
{
    free(t->line);
    t->line = NULL;
    t->cap = 0;
}
