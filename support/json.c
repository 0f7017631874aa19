/* json.c - JSON text to a tree and back. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "util.h"

struct reader {
    const char *s, *end, *p;
    char *err;
    size_t errcap;
    bool failed;
};

static void fail(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    unsigned line = 1, col = 1;
    for (const char *c = r->s; c < r->p && c < r->end; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(r->err, r->errcap, "%u:%u: %s", line, col,
                     r->p >= r->end ? "unexpected end of input: " : "");
    if (n < 0 || (size_t)n >= r->errcap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errcap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_space(struct reader *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

struct json *json_new(enum json_type type)
{
    struct json *v = calloc(1, sizeof *v);
    if (v)
        v->type = type;
    return v;
}

struct json *json_new_string(const char *s)
{
    struct json *v = json_new(JSON_STRING);
    if (v && !(v->string = strdup(s))) {
        free(v);
        return NULL;
    }
    return v;
}

struct json *json_new_number(double n)
{
    struct json *v = json_new(JSON_NUMBER);
    if (v)
        v->number = n;
    return v;
}

int json_append(struct json *c, const char *key, struct json *v)
{
    if (!v)
        return -1;
    if (key && !(v->key = strdup(key))) {
        json_free(v);
        return -1;
    }
    if (c->last)
        c->last->next = v;
    else
        c->first = v;
    c->last = v;
    c->count++;
    return 0;
}

void json_free(struct json *v)
{
    while (v) {
        struct json *next = v->next;
        json_free(v->first);
        free(v->string);
        free(v->key);
        free(v);
        v = next;
    }
}

static bool literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static int hex4(struct reader *r, unsigned *out)
{
    if (r->end - r->p < 4) {
        fail(r, "truncated \\u escape");
        return -1;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *r->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else {
            fail(r, "bad \\u escape");
            return -1;
        }
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote.  Returns a malloc'd string, or NULL on failure. */
static char *read_string(struct reader *r)
{
    r->p++;
    /* the decoded form is never longer than the source */
    const char *q = r->p;
    while (q < r->end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    char *out = malloc((size_t)(q - r->p) + 4 + 1);
    if (!out) {
        fail(r, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            fail(r, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            r->p++;
            continue;
        }
        r->p++;
        if (r->p >= r->end)
            break;
        char e = *r->p++;
        unsigned cp;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u':
            if (hex4(r, &cp) < 0) {
                free(out);
                return NULL;
            }
            if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 6 &&
                r->p[0] == '\\' && r->p[1] == 'u') {
                unsigned lo;
                r->p += 2;
                if (hex4(r, &lo) < 0) {
                    free(out);
                    return NULL;
                }
                if (lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    cp = 0xfffd;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd;
            }
            if (cp == 0)
                cp = 0xfffd; /* keep strings NUL-free */
            n += put_utf8(out + n, cp);
            break;
        default:
            fail(r, "bad escape '\\%c'", e);
            free(out);
            return NULL;
        }
    }
    if (r->p >= r->end) {
        fail(r, "unterminated string");
        free(out);
        return NULL;
    }
    r->p++;
    out[n] = 0;
    return out;
}

static struct json *read_value(struct reader *r, int depth);

static struct json *read_container(struct reader *r, int depth, bool object)
{
    struct json *v = json_new(object ? JSON_OBJECT : JSON_ARRAY);
    if (!v) {
        fail(r, "out of memory");
        return NULL;
    }
    char close = object ? '}' : ']';
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_space(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"') {
                fail(r, "expected a member name");
                break;
            }
            if (!(key = read_string(r)))
                break;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':') {
                fail(r, "expected ':'");
                free(key);
                break;
            }
            r->p++;
        }
        struct json *e = read_value(r, depth + 1);
        if (!e) {
            free(key);
            break;
        }
        e->key = key;
        if (v->last)
            v->last->next = e;
        else
            v->first = e;
        v->last = e;
        v->count++;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return v;
        }
        fail(r, "expected ',' or '%c'", close);
        break;
    }
    json_free(v);
    return NULL;
}

static struct json *read_number(struct reader *r)
{
    const char *start = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
        fail(r, "unexpected character");
        return NULL;
    }
    while (r->p < r->end &&
           ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' ||
            *r->p == 'E' || *r->p == '+' || *r->p == '-'))
        r->p++;
    char buf[64];
    size_t n = (size_t)(r->p - start);
    if (n >= sizeof buf) {
        fail(r, "number too long");
        return NULL;
    }
    memcpy(buf, start, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end || !isfinite(d)) {
        r->p = start;
        fail(r, "bad number '%s'", buf);
        return NULL;
    }
    struct json *v = json_new_number(d);
    if (!v)
        fail(r, "out of memory");
    return v;
}

static struct json *read_value(struct reader *r, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    skip_space(r);
    if (r->p >= r->end) {
        fail(r, "unexpected end of input");
        return NULL;
    }
    struct json *v = NULL;
    switch (*r->p) {
    case '{': return read_container(r, depth, true);
    case '[': return read_container(r, depth, false);
    case '"': {
        char *s = read_string(r);
        if (!s)
            return NULL;
        if (!(v = json_new(JSON_STRING))) {
            free(s);
            fail(r, "out of memory");
            return NULL;
        }
        v->string = s;
        return v;
    }
    case 't':
    case 'f':
    case 'n': {
        bool is_true = *r->p == 't';
        if (literal(r, "true") || literal(r, "false")) {
            v = json_new(JSON_BOOL);
            if (v)
                v->boolean = is_true;
        } else if (literal(r, "null")) {
            v = json_new(JSON_NULL);
        } else {
            fail(r, "unexpected character");
            return NULL;
        }
        if (!v)
            fail(r, "out of memory");
        return v;
    }
    default: return read_number(r);
    }
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errcap)
{
    struct reader r = {text, text + len, text, err, errcap, false};
    if (errcap)
        err[0] = 0;
    struct json *v = read_value(&r, 0);
    if (v) {
        skip_space(&r);
        if (r.p != r.end) {
            fail(&r, "trailing characters after the value");
            json_free(v);
            v = NULL;
        }
    }
    return v;
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (const struct json *m = obj->first; m; m = m->next)
        if (m->key && strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

double json_get_num(const struct json *obj, const char *key, double dflt)
{
    const struct json *v = json_get(obj, key);
    return v && v->type == JSON_NUMBER ? v->number : dflt;
}

const char *json_get_str(const struct json *obj, const char *key,
                         const char *dflt)
{
    const struct json *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->string : dflt;
}

static void write_number(FILE *f, double d)
{
    if (d == floor(d) && fabs(d) < 9e15)
        fprintf(f, "%.0f", d);
    else
        fprintf(f, "%.17g", d);
}

void json_write(FILE *f, const struct json *v)
{
    switch (v->type) {
    case JSON_NULL: fputs("null", f); break;
    case JSON_BOOL: fputs(v->boolean ? "true" : "false", f); break;
    case JSON_NUMBER: write_number(f, v->number); break;
    case JSON_STRING: json_string(f, v->string); break;
    case JSON_ARRAY:
    case JSON_OBJECT: {
        bool obj = v->type == JSON_OBJECT;
        fputc(obj ? '{' : '[', f);
        for (const struct json *e = v->first; e; e = e->next) {
            if (e != v->first)
                fputc(',', f);
            if (obj) {
                json_string(f, e->key ? e->key : "");
                fputc(':', f);
            }
            json_write(f, e);
        }
        fputc(obj ? '}' : ']', f);
        break;
    }
    }
}
