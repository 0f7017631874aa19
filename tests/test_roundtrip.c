/* test_roundtrip.c - print(parse(text)) parses back to the same program and
 * prints identically, for the corpus, hand-written traces, random token soup
 * and generated traces; semantic validity (a dead task, an fd that is not
 * open) belongs to model_check, not to the parser. */
#include "parse_fixture.h"

/* ------------------------------------------------------------ round trip */

/* Compare the source line of each statement with the printed statement:
 * comment stripped, blanks collapsed. */
static int source_line_matches(const char *src, size_t len, uint32_t line,
                               const char *printed)
{
    uint32_t l = 1;
    size_t i = 0;
    while (i < len && l < line) {
        if (src[i] == '\n')
            l++;
        i++;
    }
    char norm[512];
    size_t n = 0;
    int blank = 1;
    for (; i < len && src[i] != '\n' && src[i] != '#' && n + 2 < sizeof norm;
         i++) {
        char c = src[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            blank = 1;
            continue;
        }
        if (blank && n > 0)
            norm[n++] = ' ';
        blank = 0;
        norm[n++] = c;
    }
    norm[n] = 0;
    if (strcmp(norm, printed) != 0) {
        fprintf(stderr, "  line %u: source '%s' printed '%s'\n", line, norm,
                printed);
        return 0;
    }
    return 1;
}

TEST(corpus_roundtrip)
{
    char *names[MAX_CORPUS];
    int n = corpus_files(names);
    REQUIRE(n >= 40);
    struct program *p = new_program();
    for (int f = 0; f < n; f++) {
        size_t len = 0;
        char *text = read_file(names[f], &len);
        CHECK(text != NULL);
        if (!text)
            continue;
        struct trace_error e;
        memset(&e, 0, sizeof e);
        int rc = trace_parse(text, len, p, &e);
        if (rc != 0)
            fprintf(stderr, "  %s:%u: %s\n", names[f], e.line, e.msg);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0) {
            CHECK(p->nsteps > 0);
            CHECK(roundtrip_ok(p, names[f]));
            /* line numbers refer to the source */
            uint32_t prev = 0;
            for (uint32_t i = 0; i < p->nsteps; i++) {
                char buf[256];
                trace_print_step(p, &p->steps[i], buf, sizeof buf);
                CHECK(p->steps[i].line > prev);
                prev = p->steps[i].line;
                CHECK(source_line_matches(text, len, p->steps[i].line, buf));
            }
        }
        free(text);
        free(names[f]);
    }
    free(p);
}

static const char *const hand_traces[] = {
    /* every statement, odd spacing, CRLF, comments */
    "# all statements\r\n"
    "spawn a\r\n"
    "kthread nfsd\r\n"
    "a create f as fd1 cloexec\t# cloexec\r\n"
    "a create g cloexec as gg\n"
    "\ta   write fd1 1\n"
    "a write gg 1048576\n"
    "a dup fd1 x\n"
    "a dup2 x gg\n"
    "a thread t\n"
    "t unshare_files\n"
    "a fork b\n"
    "b vfork c\n"
    "c exec\n"
    "a send x b as y\n"
    "a send fd1 b\n"
    "b uring_close y\n"
    "b close_range\n"
    "nfsd create n\n"
    "nfsd close n\n"
    "kill nfsd\n"
    "t exit\n"
    "b exit_group\n"
    "a close x\n"
    "kill a\n"
    "expect f sealed 1\n"
    "expect[fuse-naive] g sealed 1048576\n"
    "expect[kmod,kmod-2024] hazard kernel-create-refused n\n"
    "expect[fuse-closetracker] violation lost-file f\n"
    "expect clean\n",
    /* names at the limits, keyword-like fd names */
    "spawn abcdefghijklmnop\n"
    "abcdefghijklmnop create z234567890123456 as as\n"
    "abcdefghijklmnop dup as cloexec\n"
    "abcdefghijklmnop send cloexec abcdefghijklmnop as fork\n"
    "expect z234567890123456 sealed 4294967295\n",
    /* create with the fd name equal to the file name, spelled out */
    "spawn a\na create f as f\na create g as f2\na dup2 f2 f\n"
    "a send f a as f\nexpect f transient\nexpect g transient\n",
    /* a semantically invalid trace still round-trips */
    "kill nobody\nghost close nothing\nghost create f\nghost exit\n"
    "expect f aborted\n",
    /* only expects that name files created later */
    "expect[kmod] violation create-failed f\nspawn a\na create f\n",
    "",
};

TEST(hand_written_roundtrip)
{
    for (size_t i = 0; i < sizeof hand_traces / sizeof hand_traces[0]; i++) {
        struct program *p = must_parse(hand_traces[i]);
        CHECK(p != NULL);
        if (!p)
            continue;
        char what[32];
        snprintf(what, sizeof what, "hand trace %zu", i);
        CHECK(roundtrip_ok(p, what));
        free(p);
    }
    struct program *p = must_parse(hand_traces[0]);
    REQUIRE(p != NULL);
    CHECK_EQ_INT(p->nsteps, 29);
    CHECK_EQ_INT(p->steps[0].line, 2);
    CHECK_EQ_INT(p->steps[p->nsteps - 1].line, 30);
    char *out = print_alloc(p);
    /* normalized: create forms, blanks, no comments */
    CHECK(strstr(out, "a create f as fd1 cloexec\n") != NULL);
    CHECK(strstr(out, "a create g as gg cloexec\n") != NULL);
    CHECK(strstr(out, "a write fd1 1\n") != NULL);
    CHECK(strchr(out, '#') == NULL);
    CHECK(strchr(out, '\r') == NULL);
    CHECK(strchr(out, '\t') == NULL);
    free(out);
    free(p);
}

TEST(print_truncates_like_snprintf)
{
    struct program *p = must_parse(hand_traces[0]);
    REQUIRE(p != NULL);
    char *full = print_alloc(p);
    size_t need = strlen(full);
    CHECK_EQ_INT(trace_print(p, NULL, 0), need);
    char small[40];
    memset(small, 'Z', sizeof small);
    size_t got = trace_print(p, small, 20);
    CHECK_EQ_INT(got, need);
    CHECK(memchr(small, 0, 20) != NULL);
    CHECK_EQ_INT(strlen(small), 19);
    CHECK(strncmp(small, full, 19) == 0);
    CHECK(small[20] == 'Z'); /* nothing written past cap */
    char st[8];
    memset(st, 'Z', sizeof st);
    size_t sl = trace_print_step(p, &p->steps[2], st, 4);
    CHECK_EQ_INT(sl, strlen("a create f as fd1 cloexec"));
    CHECK_EQ_STR(st, "a c");
    CHECK(st[4] == 'Z');
    free(full);
    free(p);
}

/* Random lines of statement-like words: the parser either accepts, and then
 * the round trip holds, or reports an error on an existing line. */
TEST(random_token_soup)
{
    static const char *const words[] = {
        "spawn", "kthread", "kill", "expect", "expect[kmod]",
        "expect[fuse-naive,kmod-2024]", "expect[bogus]", "create", "write",
        "close", "uring_close", "close_range", "dup", "dup2", "fork", "vfork",
        "thread", "unshare_files", "exec", "exit", "exit_group", "send", "as",
        "cloexec", "a", "b", "c", "f", "g", "d", "a", "b", "f", "f", "1", "0",
        "1048576", "1048577", "42", "sealed", "aborted", "transient", "clean",
        "violation", "hazard", "early-seal", "write-after-seal", "lost-file",
        "#", "x#y", "A", "abcdefghijklmnopq", "abcdefghijklmnop"};
    const unsigned nw = sizeof words / sizeof words[0];
    struct program *p = new_program();
    char *text = malloc(8192);
    REQUIRE(text != NULL);
    unsigned accepted = 0, rejected = 0;
    for (int iter = 0; iter < 6000; iter++) {
        size_t n = 0;
        unsigned nlines = 1 + rnd_below(12);
        for (unsigned l = 0; l < nlines; l++) {
            /* bias toward plausible statements */
            unsigned ntok = 1 + rnd_below(6);
            for (unsigned t = 0; t < ntok; t++) {
                const char *w = words[rnd_below(nw)];
                n += (size_t)sprintf(text + n, "%s%s", t ? " " : "", w);
            }
            text[n++] = '\n';
        }
        text[n] = 0;
        struct trace_error e;
        memset(&e, 0, sizeof e);
        if (trace_parse(text, n, p, &e) == 0) {
            accepted++;
            char what[32];
            snprintf(what, sizeof what, "soup %d", iter);
            int ok = roundtrip_ok(p, what);
            CHECK(ok);
            if (!ok)
                show_text(text, n);
        } else {
            rejected++;
            CHECK(e.line >= 1 && e.line <= nlines);
            CHECK(e.msg[0] != 0);
            for (const char *c = e.msg; *c; c++)
                CHECK(*c >= 0x20 && *c < 0x7f);
        }
    }
    /* mostly rejected; some accepted by chance */
    CHECK(rejected > 1000);
    CHECK(accepted + rejected == 6000);
    free(text);
    free(p);
}

/* Random well-formed traces from the statement templates, odd spacing and
 * comments included: each is accepted and round-trips.  Then one line is
 * replaced by a context-free bad statement: the error is on that line. */
static const char *pick(const char *const *pool, unsigned n)
{
    return pool[rnd_below(n)];
}
#define PICK(pool) pick(pool, sizeof pool / sizeof pool[0])

static const struct {
    const char *stmt, *needle;
} bad_stmts[] = {
    {"frob a", "unknown statement"},
    {"a create", "wrong number of arguments to 'create'"},
    {"a create g as d as e", "wrong number of arguments to 'create'"},
    {"a write f", "wrong number of arguments to 'write'"},
    {"a write f 0", "out of range"},
    {"a write f 1048577", "out of range"},
    {"a write f ten", "is not a number"},
    {"a close", "wrong number of arguments to 'close'"},
    {"a dup f", "wrong number of arguments to 'dup'"},
    {"a dup2 f g h", "wrong number of arguments to 'dup2'"},
    {"a fork", "wrong number of arguments to 'fork'"},
    {"a send f", "wrong number of arguments to 'send'"},
    {"spawn", "wrong number of arguments to 'spawn'"},
    {"kill a b", "wrong number of arguments to 'kill'"},
    {"expect f", "wrong number of arguments to 'expect'"},
    {"spawn Bad", "bad task name"},
    {"spawn abcdefghijklmnopq", "too long"},
    {"expect[nope] clean", "unknown policy 'nope'"},
    {"expect violation write-after-seal f", "is a hazard, not a violation"},
    {"expect hazard lost-file f", "is a violation, not a hazard"},
    {"expect nosuchfile aborted", "no statement creates"},
    {"spawn fork", "statement keyword"},
    {"create f", "needs a task before it"},
    {"a close f\x02", "unexpected byte 0x02"},
};

TEST(random_wellformed_traces)
{
    static const char *const tasks[] = {"a", "b", "c", "t", "zz", "as",
                                        "clean", "abcdefghijklmnop"};
    static const char *const files[] = {"f", "g", "h", "clean", "exec"};
    static const char *const fds[] = {"f", "g", "d", "d2", "as", "cloexec"};
    static const char *const nums[] = {"1", "2", "100", "1048576", "007",
                                       "65536"};
    static const char *const exps[] = {
        "expect", "expect[kmod]", "expect[kmod-2024,fuse-naive]",
        "expect[fuse-closetracker,reference]", "expect[fuse-naive,kmod]"};
    static const char *const viol[] = {"early-seal", "visible-after-abort",
                                       "lost-file", "mutated-after-seal",
                                       "create-failed"};
    static const char *const haz[] = {"write-after-seal",
                                      "kernel-create-refused"};
    static const char *const sep[] = {" ", " ", " ", "  ", "\t", " \t "};
    static const char *const tail[] = {"", "", "", "", " # c", "#", "\r",
                                       "  ", "\t# x # y"};
    const unsigned nbad = sizeof bad_stmts / sizeof bad_stmts[0];
    struct program *p = new_program();
    char *text = malloc(16384), *bad = malloc(16384);
    REQUIRE(text != NULL && bad != NULL);
    size_t line_at[64];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0;
        unsigned nlines = 1 + rnd_below(40);
        int created[5] = {0};
        for (unsigned l = 0; l < nlines; l++) {
            line_at[l] = n;
            char st[200];
            const char *T = PICK(tasks), *T2 = PICK(tasks), *D = PICK(fds),
                       *D2 = PICK(fds), *N = PICK(nums), *s1 = PICK(sep);
            unsigned fi = rnd_below(5);
            const char *F = files[fi];
            /* expect only files created on an earlier line */
            int cf = -1;
            for (unsigned k = 0, o = rnd_below(5); k < 5; k++)
                if (created[(o + k) % 5]) {
                    cf = (int)((o + k) % 5);
                    break;
                }
            unsigned form = rnd_below(cf >= 0 ? 30 : 24);
            switch (form) {
            case 0: sprintf(st, "spawn%s%s", s1, T); break;
            case 1: sprintf(st, "kthread %s", T); break;
            case 2: sprintf(st, "kill %s", T); break;
            case 3: sprintf(st, "%s%screate %s", T, s1, F); created[fi] = 1;
                break;
            case 4: sprintf(st, "%s create %s as %s", T, F, D); created[fi] = 1;
                break;
            case 5: sprintf(st, "%s create %s cloexec", T, F); created[fi] = 1;
                break;
            case 6: sprintf(st, "%s create %s as%s%s cloexec", T, F, s1, D);
                created[fi] = 1;
                break;
            case 7: sprintf(st, "%s create %s cloexec as %s", T, F, D);
                created[fi] = 1;
                break;
            case 8: sprintf(st, "%s write %s%s%s", T, D, s1, N); break;
            case 9: sprintf(st, "%s close %s", T, D); break;
            case 10: sprintf(st, "%s uring_close %s", T, D); break;
            case 11: sprintf(st, "%s close_range", T); break;
            case 12: sprintf(st, "%s dup %s %s", T, D, D2); break;
            case 13: sprintf(st, "%s dup2 %s %s", T, D, D2); break;
            case 14: sprintf(st, "%s fork %s", T, T2); break;
            case 15: sprintf(st, "%s vfork %s", T, T2); break;
            case 16: sprintf(st, "%s thread %s", T, T2); break;
            case 17: sprintf(st, "%s unshare_files", T); break;
            case 18: sprintf(st, "%s exec", T); break;
            case 19: sprintf(st, "%s exit", T); break;
            case 20: sprintf(st, "%s exit_group", T); break;
            case 21: sprintf(st, "%s send %s %s", T, D, T2); break;
            case 22: sprintf(st, "%s send %s %s as %s", T, D, T2, D2); break;
            case 23: sprintf(st, "%s clean", PICK(exps)); break;
            case 24: sprintf(st, "%s %s sealed %s", PICK(exps), files[cf], N);
                break;
            case 25: sprintf(st, "%s %s aborted", PICK(exps), files[cf]);
                break;
            case 26: sprintf(st, "%s %s transient", PICK(exps), files[cf]);
                break;
            case 27: sprintf(st, "%s violation %s %s", PICK(exps),
                             PICK(viol), files[cf]);
                break;
            case 28: sprintf(st, "%s hazard %s %s", PICK(exps), PICK(haz),
                             files[cf]);
                break;
            default: sprintf(st, "# just a comment %s", T); break;
            }
            n += (size_t)sprintf(text + n, "%s%s%s\n",
                                 rnd_below(8) ? "" : " ", st, PICK(tail));
        }
        text[n] = 0;
        struct trace_error e;
        memset(&e, 0, sizeof e);
        int rc = trace_parse(text, n, p, &e);
        if (rc != 0) {
            fprintf(stderr, "  well-formed trace rejected: line %u: %s\n",
                    e.line, e.msg);
            show_text(text, n);
        }
        CHECK_EQ_INT(rc, 0);
        if (rc != 0)
            continue;
        char what[40];
        snprintf(what, sizeof what, "generated trace %d", iter);
        int ok = roundtrip_ok(p, what);
        CHECK(ok);
        if (!ok)
            show_text(text, n);
        for (uint32_t i = 0; i < p->nsteps; i++)
            CHECK(p->steps[i].line >= 1 && p->steps[i].line <= nlines);

        /* one line replaced by a bad statement */
        unsigned k = rnd_below(nlines), b = rnd_below(nbad);
        size_t end = k + 1 < nlines ? line_at[k + 1] : n;
        size_t bn = 0;
        memcpy(bad, text, line_at[k]);
        bn = line_at[k];
        bn += (size_t)sprintf(bad + bn, "%s\n", bad_stmts[b].stmt);
        memcpy(bad + bn, text + end, n - end);
        bn += n - end;
        bad[bn] = 0;
        CHECK(err_is_n(bad, bn, k + 1, bad_stmts[b].needle));
    }
    free(bad);
    free(text);
    free(p);
}

/* Random bytes: never a crash; an error names an existing line. */
TEST(random_bytes_never_crash)
{
    struct program *p = new_program();
    char buf[700];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = rnd_below(sizeof buf);
        uint32_t lines = 1;
        for (size_t i = 0; i < len; i++) {
            /* mostly printable, some newlines, some anything */
            unsigned r = rnd_below(16);
            buf[i] = r == 0 ? '\n' : r == 1 ? (char)rnd_below(256)
                                            : (char)(0x20 + rnd_below(95));
            lines += buf[i] == '\n';
        }
        struct trace_error e;
        memset(&e, 0, sizeof e);
        if (trace_parse(buf, len, p, &e) == 0)
            CHECK(roundtrip_ok(p, "random bytes"));
        else
            CHECK(e.line >= 1 && e.line <= lines);
    }
    free(p);
}

/* ------------------------------------- semantic validity: model_check */

static int model_err_is(const char *text, uint32_t line, const char *needle)
{
    struct program *p = must_parse(text);
    if (!p)
        return 0;
    struct model *m = model_new();
    struct trace_error e;
    memset(&e, 0, sizeof e);
    int rc = model_check(m, p, &e);
    /* the message is the model's: no file name, no line number prefix */
    int ok = rc == -1 && e.line == line && strstr(e.msg, needle) != NULL &&
             strstr(e.msg, ".trace") == NULL &&
             !(e.msg[0] >= '0' && e.msg[0] <= '9');
    if (!ok) {
        show_text(text, strlen(text));
        fprintf(stderr, "  want model error at line %u containing '%s'\n",
                line, needle);
        fprintf(stderr, "  got:  %d at line %u: %s\n", rc, e.line, e.msg);
    }
    model_free(m);
    free(p);
    return ok;
}

TEST(syntax_ok_but_invalid_is_model_check_business)
{
    /* unknown task */
    CHECK(model_err_is("spawn a\n# comment\n\nb close f\n", 4,
                       "unknown task 'b'"));
    /* dead task */
    CHECK(model_err_is("spawn a\na create f\na exit\n\na write f 3\n", 5,
                       "task 'a' is dead"));
    /* fd not open */
    CHECK(model_err_is("spawn a\na create f\n#\na close g\n", 4,
                       "fd 'g' is not open"));
    CHECK(model_err_is("spawn a\na create f\na close f\na close f\n", 4,
                       "fd 'f' is not open"));
    /* a task name bound twice */
    CHECK(model_err_is("spawn a\n\nspawn a\n", 3, "already used"));
    /* a suspended vfork parent */
    CHECK(model_err_is("spawn a\na vfork c\na create f\n", 3, "suspended"));
    /* a kernel thread cannot fork */
    CHECK(model_err_is("kthread k\nk fork q\n", 2, "kernel thread 'k'"));
    /* and a valid trace passes */
    struct program *p = must_parse("spawn a\na create f\na close f\n"
                                   "expect f sealed 0\n");
    REQUIRE(p != NULL);
    struct model *m = model_new();
    struct trace_error e;
    CHECK_EQ_INT(model_check(m, p, &e), 0);
    model_free(m);
    free(p);
}

TEST(corpus_is_valid)
{
    char *names[MAX_CORPUS];
    int n = corpus_files(names);
    REQUIRE(n > 0);
    struct program *p = new_program();
    struct model *m = model_new();
    REQUIRE(m != NULL);
    for (int f = 0; f < n; f++) {
        size_t len = 0;
        char *text = read_file(names[f], &len);
        struct trace_error e;
        if (text && trace_parse(text, len, p, &e) == 0) {
            int rc = model_check(m, p, &e);
            if (rc != 0)
                fprintf(stderr, "  %s:%u: %s\n", names[f], e.line, e.msg);
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK(0);
        }
        free(text);
        free(names[f]);
    }
    model_free(m);
    free(p);
}

int main(void)
{
    return run_tests();
}
