/* clients.c - client script headers and matrix cells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clients.h"

static const char *const cell_names[CELL_COUNT] = {
    "exact", "empty", "truncated", "lost", "error",
};

const char *cell_name(enum cell c)
{
    return c < CELL_COUNT ? cell_names[c] : "?";
}

bool cell_from_name(const char *s, enum cell *out)
{
    for (int c = 0; c < CELL_COUNT; c++)
        if (!strcmp(s, cell_names[c])) {
            *out = (enum cell)c;
            return true;
        }
    return false;
}

enum cell classify_content(const char *want, size_t wlen, const char *got,
                           size_t glen)
{
    if (glen == wlen && !memcmp(want, got, wlen))
        return CELL_EXACT;
    if (glen == 0)
        return CELL_EMPTY;
    if (glen < wlen && !memcmp(want, got, glen))
        return CELL_TRUNCATED;
    return CELL_ERROR;
}

enum cell cell_worse(enum cell a, enum cell b)
{
    static const int rank[CELL_COUNT] = {0, 2, 1, 3, 4};
    return rank[a] >= rank[b] ? a : b;
}

void client_free(struct client *c)
{
    for (unsigned i = 0; i < c->nexpect; i++) {
        free(c->expect[i].bytes);
        c->expect[i].bytes = NULL;
    }
}

static int hexdigit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A quoted C-escaped string at s (at its opening quote) into a malloc'd
 * buffer.  Returns the position after the closing quote, or NULL. */
static const char *unquote(const char *s, char **out, size_t *len)
{
    size_t cap = strlen(s) + 1, n = 0;
    char *b = malloc(cap);
    if (!b || *s++ != '"') {
        free(b);
        return NULL;
    }
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\') {
            char e = *s++;
            int h1, h2;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '0': c = 0; break;
            case '\\': case '"': c = e; break;
            case 'x':
                if ((h1 = hexdigit(s[0])) < 0 || (h2 = hexdigit(s[1])) < 0)
                    goto bad;
                c = (char)(h1 * 16 + h2);
                s += 2;
                break;
            default: goto bad;
            }
        }
        b[n++] = c;
    }
    if (*s != '"')
        goto bad;
    b[n] = 0;
    *out = b;
    *len = n;
    return s + 1;
bad:
    free(b);
    return NULL;
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* "[kmod,fuse-naive]" at s: the policy set.  Returns the position after
 * the ']', or NULL. */
static const char *policy_set(const char *s, bool set[POLICY_COUNT])
{
    memset(set, 0, POLICY_COUNT * sizeof *set);
    s++; /* '[' */
    for (;;) {
        size_t n = strcspn(s, ",]");
        enum policy p;
        if (!policy_from_name(s, n, &p))
            return NULL;
        set[p] = true;
        s += n;
        if (*s == ']')
            return s + 1;
        if (*s++ != ',')
            return NULL;
    }
}

static int line_error(char *why, size_t cap, const char *path, unsigned line,
                      const char *msg, const char *arg)
{
    snprintf(why, cap, "%s:%u: %s%s%s%s", path, line, msg, arg ? " '" : "",
             arg ? arg : "", arg ? "'" : "");
    return -1;
}

static int parse_expect(const char *s, struct client *c, const char *path,
                        unsigned line, char *why, size_t cap)
{
    if (c->nexpect == CLIENT_MAX_EXPECT)
        return line_error(why, cap, path, line, "too many expect lines", NULL);
    struct client_expect *e = &c->expect[c->nexpect];
    size_t n = strcspn(s, " \t\n");
    if (n == 0 || n >= sizeof e->path)
        return line_error(why, cap, path, line, "expect: give a path", NULL);
    memcpy(e->path, s, n);
    e->path[n] = 0;
    if (e->path[0] == '/' || strstr(e->path, ".."))
        return line_error(why, cap, path, line,
                          "expect: the path must stay in the directory",
                          e->path);
    s = skip_blanks(s + n);
    if (!strncmp(s, "control", 7) && strchr(" \t\n", s[7])) {
        e->control = true;
        s += 7;
    } else if (*s == '"') {
        if (!(s = unquote(s, &e->bytes, &e->len)))
            return line_error(why, cap, path, line,
                              "expect: bad quoted content", NULL);
    } else {
        return line_error(why, cap, path, line,
                          "expect: give \"content\" or control", NULL);
    }
    c->nexpect++;
    if (*skip_blanks(s) && *skip_blanks(s) != '\n')
        return line_error(why, cap, path, line, "expect: text after the content",
                          NULL);
    return 0;
}

static int parse_needs(const char *s, struct client *c, const char *path,
                       unsigned line, char *why, size_t cap)
{
    for (s = skip_blanks(s); *s && *s != '\n'; s = skip_blanks(s)) {
        size_t n = strcspn(s, " \t\n");
        if (c->nneeds == CLIENT_MAX_NEEDS)
            return line_error(why, cap, path, line, "needs: too many programs",
                              NULL);
        if (n >= sizeof c->needs[0] || memchr(s, '/', n))
            return line_error(why, cap, path, line,
                              "needs: give program names, not paths", NULL);
        memcpy(c->needs[c->nneeds], s, n);
        c->needs[c->nneeds++][n] = 0;
        s += n;
    }
    if (!c->nneeds)
        return line_error(why, cap, path, line, "needs: name a program", NULL);
    return 0;
}

static int parse_predict(const char *s, struct client *c, const char *path,
                         unsigned line, char *why, size_t cap)
{
    bool set[POLICY_COUNT];
    if (*s == '[') {
        if (!(s = policy_set(s, set)))
            return line_error(why, cap, path, line,
                              "predict[...]: unknown policy in the list",
                              NULL);
    } else {
        for (int p = 0; p < POLICY_COUNT; p++)
            set[p] = true;
    }
    s = skip_blanks(s);
    char word[32];
    size_t n = strcspn(s, " \t\n");
    if (n == 0 || n >= sizeof word)
        return line_error(why, cap, path, line, "predict: give a cell", NULL);
    memcpy(word, s, n);
    word[n] = 0;
    enum cell cell;
    if (!cell_from_name(word, &cell))
        return line_error(why, cap, path, line,
                          "predict: not exact/empty/truncated/lost/error:",
                          word);
    for (int p = 0; p < POLICY_COUNT; p++)
        if (set[p]) {
            c->predict[p] = cell;
            c->predicted[p] = true;
        }
    return 0;
}

int client_parse(const char *path, const char *text, struct client *c,
                 char *why, size_t cap)
{
    memset(c, 0, sizeof *c);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n < 4 || strcmp(base + n - 3, ".sh") || n - 3 >= sizeof c->name)
        return line_error(why, cap, path, 0, "a client is a NAME.sh script",
                          NULL);
    memcpy(c->name, base, n - 3);
    snprintf(c->script, sizeof c->script, "%s", path);
    unsigned line = 0;
    int rc = 0;
    for (const char *s = text; *s && rc == 0;) {
        line++;
        const char *eol = strchr(s, '\n');
        if (*s == '#') {
            const char *k = skip_blanks(s + 1);
            if (!strncmp(k, "what:", 5)) {
                const char *v = skip_blanks(k + 5);
                size_t len = eol ? (size_t)(eol - v) : strlen(v);
                snprintf(c->what, sizeof c->what, "%.*s", (int)len, v);
            } else if (!strncmp(k, "needs ", 6)) {
                rc = parse_needs(k + 6, c, path, line, why, cap);
            } else if (!strncmp(k, "expect ", 7)) {
                rc = parse_expect(skip_blanks(k + 7), c, path, line, why, cap);
            } else if (!strncmp(k, "predict", 7) &&
                       (k[7] == ' ' || k[7] == '[')) {
                rc = parse_predict(skip_blanks(k + 7), c, path, line, why,
                                   cap);
            }
        }
        s = eol ? eol + 1 : s + strlen(s);
    }
    if (rc == 0 && !c->nexpect)
        rc = line_error(why, cap, path, 0, "no '# expect PATH ...' line",
                        NULL);
    if (rc == 0 && !c->what[0])
        rc = line_error(why, cap, path, 0, "no '# what: ...' line", NULL);
    if (rc < 0)
        client_free(c);
    return rc;
}
