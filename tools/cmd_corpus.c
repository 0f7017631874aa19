/* cmd_corpus.c - `ternrig corpus add|check|fill|min`: from a finding to a
 * regression test, the corpus replayed, one policy's expectations written
 * by the model (`min`, the fuzz seed corpora minimized, is
 * cmd_corpus_min.c's). */
#define _DEFAULT_SOURCE
#include <dirent.h> /* PATH_MAX, through linux/limits.h */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd_corpus.h"
#include "commands.h"
#include "corpus.h"
#include "expect_gen.h"
#include "load.h"
#include "shape.h"
#include "util.h"

/* Paths are built in PATH_MAX buffers from arguments whose lengths are
 * checked up front, so gcc's worst-case truncation analysis does not
 * apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define DEFAULT_CORPUS "corpus/traces"
#define EXPECT_TEXT_CAP (1u << 16)

const char corpus_help[] =
    "usage: ternrig corpus add [--dir DIR] [--dry-run] [--json] [--keep]\n"
    "                          [--policy P --kind KIND] FINDING...\n"
    "       ternrig corpus check [--real | --mount DIR --policy P] [DIR...]\n"
    "       ternrig corpus fill --policy P [--force] [--dry-run] [DIR|FILE...]\n"
    "       ternrig corpus min --out DIR [--fuzz-dir D] [INPUT...]\n"
    "\n"
    "add    Turn findings (reproducers written by `ternrig fuzz` or `ternrig\n"
    "       stress`, or any trace) into corpus traces.  Each finding is\n"
    "       normalized: expects dropped, minimized while its (policy, kind)\n"
    "       still fires in the model, names made canonical (tasks a, b...,\n"
    "       files f, g...).  It is written as DIR/POLICY-KIND-HASH.trace with\n"
    "       expectations for every policy computed by the model (bare\n"
    "       `expect` for reference, `expect[P,...]` for the others): check\n"
    "       them against SPEC section 2 and say why in its comment.  A "
    "finding\n"
    "       whose shape the corpus already has is refused.  The shape is the\n"
    "       normalized statement sequence with write sizes erased: two\n"
    "       reproducers that differ only in names, write sizes, comments or\n"
    "       expectations are the same finding.  HASH is its FNV-1a hash.\n"
    "         -d, --dir DIR     the corpus (default corpus/traces)\n"
    "         -n, --dry-run     say what would be added; write nothing\n"
    "         -j, --json        one JSON object per finding\n"
    "         -k, --keep        do not minimize\n"
    "         -p, --policy P, -K, --kind KIND  what the finding shows (by\n"
    "                           default: its expect[P] violation line, else\n"
    "                           the first policy the model finds a violation\n"
    "                           under); needed for real-only findings\n"
    "       Exit: 0 every finding is new (added), 1 some shape was already\n"
    "       there, 2 a bad finding or usage.\n"
    "\n"
    "check  Replay every trace in the corpus (default corpus/traces) through\n"
    "       the model under every policy: every expectation must hold,\n"
    "       every policy must have one, and no two traces may share a shape.\n"
    "         -r, --real        then replay it for real on the embedded\n"
    "                           filesystem under every policy that needs\n"
    "                           no BPF contexts (root and /dev/fuse)\n"
    "         -m, --mount DIR   then replay it on a mount running --policy\n"
    "       Exit: 0 all hold, 1 a check failed, 2 a trace error or usage.\n"
    "\n"
    "fill   Write the expectations the model computes under policy P into\n"
    "       each text trace (default corpus/traces): `expect[P] ...` lines\n"
    "       (bare `expect` for reference) after the trace's last expect line.\n"
    "       Comments, statements and the other policies' lines stay as they\n"
    "       are: the diff (git diff) is what to review, against SPEC section\n"
    "       2.  A trace that already has an expectation for P is left alone\n"
    "       and reported, unless --force: then P's lines are replaced (a line\n"
    "       for P alone is dropped with its comment, P is struck from a\n"
    "       longer expect[...] list).  Binary .trb traces are skipped.\n"
    "         -p, --policy P    the policy (required)\n"
    "         -f, --force       replace P's existing expectations\n"
    "         -n, --dry-run     print the lines it would write; write nothing\n"
    "       Exit: 0 every trace filled, 1 some trace already had lines for P\n"
    "       (not --force), 2 a trace error or usage.\n"
    "\n"
    "min    Merge and minimize the fuzz corpora with libFuzzer's -merge=1:\n"
    "       for every fuzz target, the build's seeds (FUZZ_DIR/seeds/T) and\n"
    "       each INPUT's T or corpus/T directory (a `ternrig fuzz --out`\n"
    "       directory), plus what DIR/T already holds, become DIR/T: the\n"
    "       smallest set of inputs with the same coverage.\n"
    "         -o, --out DIR     where the minimized corpora go (required)\n"
    "         -f, --fuzz-dir D  the libFuzzer targets (default: found from\n"
    "                           the build, as `ternrig fuzz`)\n"
    "       Exit: 0 done, 2 setup error.\n";

/* --- add ---------------------------------------------------------------- */

struct add_opts {
    const char *dir;
    bool dry_run, json, keep;
    enum policy policy;
    enum finding_kind kind;
};

struct work {
    struct judge j;
    struct program *p, *scratch;
    char *expects;
};

static int work_init(struct work *w)
{
    w->p = malloc(sizeof *w->p);
    w->scratch = malloc(sizeof *w->scratch);
    w->expects = malloc(EXPECT_TEXT_CAP);
    if (!w->p || !w->scratch || !w->expects || judge_init(&w->j) < 0) {
        free(w->p);
        free(w->scratch);
        free(w->expects);
        fprintf(stderr, "ternrig corpus: out of memory\n");
        return -1;
    }
    return 0;
}

static void work_free(struct work *w)
{
    judge_destroy(&w->j);
    free(w->p);
    free(w->scratch);
    free(w->expects);
}

static void json_result(const char *finding, enum policy pol,
                        enum finding_kind kind, uint64_t hash,
                        const char *status, const char *path,
                        const char *same_as, const char *error)
{
    printf("{\"finding\":");
    json_string(stdout, finding);
    if (kind < FIND_KIND_COUNT)
        printf(",\"policy\":\"%s\",\"kind\":\"%s\"", policy_name(pol),
               finding_kind_name(kind));
    if (!error)
        printf(",\"shape\":\"%012llx\"",
               (unsigned long long)(hash & 0xffffffffffffull));
    printf(",\"status\":\"%s\"", status);
    if (path) {
        printf(",\"path\":");
        json_string(stdout, path);
    }
    if (same_as) {
        printf(",\"same_as\":");
        json_string(stdout, same_as);
    }
    if (error) {
        printf(",\"error\":");
        json_string(stdout, error);
    }
    printf("}\n");
}

/* The finding's own comment lines (why it fires), kept in the corpus
 * trace; lines about the run that found it (paths, seeds, how to replay)
 * are left out. */
static void copy_comments(FILE *out, const char *finding)
{
    FILE *in = fopen(finding, "r");
    if (!in)
        return;
    char line[512];
    bool first = true;
    while (fgets(line, sizeof line, in)) {
        /* what it shows, not where it was found or how to replay it */
        if (line[0] != '#' || strstr(line, "eplay") ||
            strstr(line, "Found by") || strstr(line, "generator seed") ||
            strstr(line, "/tmp/"))
            continue;
        if (first)
            fprintf(out, "# The finding said (in its own names):\n");
        first = false;
        fputs(line, out);
        if (!strchr(line, '\n'))
            fputc('\n', out);
    }
    fclose(in);
}

static int write_trace(struct work *w, const char *path, const char *finding,
                       enum policy pol, enum finding_kind kind, uint64_t hash,
                       char *err, size_t errcap)
{
    size_t need = expectations_text(&w->j, w->p, w->expects, EXPECT_TEXT_CAP);
    if (need == 0 || need >= EXPECT_TEXT_CAP) {
        snprintf(err, errcap, "cannot compute its expectations");
        return -1;
    }
    size_t cap = 1u << 20;
    char *stmts = malloc(cap);
    if (!stmts || trace_print(w->p, stmts, cap) >= cap) {
        free(stmts);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(stmts);
        return -1;
    }
    fprintf(f,
            "# %s under %s, added by `ternrig corpus add` from %s\n"
            "# (shape %012llx).  The expectations were computed by the model\n"
            "# under every policy: check them against SPEC section 2\n"
            "# and say here why each policy does what it does.\n",
            finding_kind_name(kind), policy_name(pol), finding,
            (unsigned long long)(hash & 0xffffffffffffull));
    copy_comments(f, finding);
    fputs(stmts, f);
    fputs(w->expects, f);
    free(stmts);
    if (fclose(f) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    /* read it back: it must parse and hold under every policy */
    if (load_program(path, w->p, w->j.model, err, errcap) < 0) {
        unlink(path);
        return -1;
    }
    for (int q = 0; q < POLICY_COUNT; q++) {
        struct judgement out;
        if (judge_run(&w->j, w->p, (enum policy)q, &out) < 0 || out.failed) {
            snprintf(err, errcap,
                     "%s: its expectations do not hold under %s "
                     "(a bug in ternrig)",
                     path, policy_name((enum policy)q));
            unlink(path);
            return -1;
        }
    }
    return 0;
}

/* Returns 0 new/added, 1 duplicate, 2 error. */
static int add_one(struct work *w, struct corpus_index *ix,
                   const struct add_opts *o, const char *finding)
{
    enum policy pol = o->policy;
    enum finding_kind kind = o->kind;
    char err[768];
    char *shape = NULL;
    int lrc = finding_load(&w->j, finding, w->p, w->scratch, o->keep, &pol,
                           &kind, &shape, err, sizeof err);
    if (lrc == 0 && kind == FIND_KIND_COUNT) {
        snprintf(err, sizeof err,
                 "%s: the model shows no violation under any policy; give "
                 "--policy and --kind to add it anyway",
                 finding);
        lrc = -1;
    }
    if (lrc < 0) {
        if (o->json)
            json_result(finding, pol, FIND_KIND_COUNT, 0, "error", NULL, NULL,
                        err);
        fprintf(stderr, "ternrig corpus add: %s\n", err);
        free(shape);
        return 2;
    }
    uint64_t hash = shape_hash(shape);
    const struct corpus_entry *same =
        corpus_index_find(ix, shape, (int)pol, (int)kind);
    if (same) {
        if (o->json)
            json_result(finding, pol, kind, hash, "duplicate", NULL, same->path,
                        NULL);
        else
            printf("duplicate  %s: same shape as %s\n", finding, same->path);
        free(shape);
        return 1;
    }
    char name[128], path[PATH_MAX];
    corpus_file_name(pol, kind, hash, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    int rc = 0;
    err[0] = 0;
    errno = 0;
    if (!o->dry_run &&
        (make_dirs(o->dir) < 0 ||
         write_trace(w, path, finding, pol, kind, hash, err, sizeof err) < 0)) {
        if (errno && !err[0])
            snprintf(err, sizeof err, "%s: %s", o->dir, strerror(errno));
        fprintf(stderr, "ternrig corpus add: %s\n", err);
        if (o->json)
            json_result(finding, pol, kind, hash, "error", path, NULL, err);
        rc = 2;
    } else if (corpus_index_add(ix, shape, path, -1, -1) < 0) {
        fprintf(stderr, "ternrig corpus add: out of memory\n");
        rc = 2;
    } else if (o->json) {
        json_result(finding, pol, kind, hash, o->dry_run ? "new" : "added",
                    path, NULL, NULL);
    } else {
        printf("%s  %s: %s under %s -> %s\n", o->dry_run ? "new  " : "added",
               finding, finding_kind_name(kind), policy_name(pol), path);
    }
    free(shape);
    return rc;
}

static int corpus_add(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, 0, 'd'},
        {"dry-run", no_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},
        {"keep", no_argument, 0, 'k'},
        {"policy", required_argument, 0, 'p'},
        {"kind", required_argument, 0, 'K'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct add_opts o = {DEFAULT_CORPUS,   false,          false, false,
                         POLICY_REFERENCE, FIND_KIND_COUNT};
    bool have_policy = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:njkp:K:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'n': o.dry_run = true; break;
        case 'j': o.json = true; break;
        case 'k': o.keep = true; break;
        case 'p':
            if (policy_arg("corpus", optarg, &o.policy))
                return 2;
            have_policy = true;
            break;
        case 'K':
            o.kind = finding_kind_from_name(optarg, strlen(optarg));
            if (o.kind == FIND_KIND_COUNT)
                return usage_error("corpus", "unknown finding kind '%s'",
                                   optarg);
            break;
        case 'h': return policy_help(corpus_help);
        default: return usage_error("corpus", "bad option");
        }
    }
    if (have_policy != (o.kind != FIND_KIND_COUNT))
        return usage_error("corpus", "--policy and --kind go together");
    if (optind >= argc)
        return usage_error("corpus", "add: no finding given");
    struct work w;
    if (work_init(&w) < 0)
        return 2;
    struct corpus_index ix = {0};
    char err[768];
    int worst = 0;
    if (corpus_index_load(&ix, o.dir, &w.j, err, sizeof err) < 0) {
        fprintf(stderr, "ternrig corpus add: the corpus has a bad trace: %s\n",
                err);
        worst = 2;
    }
    for (int i = optind; i < argc && worst < 2; i++) {
        struct path_list l = {.cmd = "corpus"};
        if (collect_traces(argv[i], &l, err, sizeof err) < 0) {
            fprintf(stderr, "ternrig corpus add: %s\n", err);
            worst = 2;
        }
        for (size_t k = 0; k < l.n; k++) {
            int rc = add_one(&w, &ix, &o, l.paths[k]);
            if (rc > worst)
                worst = rc;
        }
        path_list_free(&l);
    }
    corpus_index_free(&ix);
    work_free(&w);
    return worst;
}

/* --- check -------------------------------------------------------------- */

static int check_dir(struct work *w, struct corpus_index *ix, const char *dir,
                     unsigned *ntraces)
{
    struct path_list l = {.cmd = "corpus"};
    char err[768];
    if (collect_traces(dir, &l, err, sizeof err) < 0) {
        fprintf(stderr, "ternrig corpus check: %s\n", err);
        return 2;
    }
    int worst = 0;
    char *shape = malloc(1u << 20);
    if (!shape) {
        path_list_free(&l);
        return 2;
    }
    for (size_t k = 0; k < l.n; k++) {
        const char *path = l.paths[k];
        (*ntraces)++;
        if (load_program(path, w->p, w->j.model, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            worst = 2;
            continue;
        }
        for (int pol = 0; pol < POLICY_COUNT; pol++) {
            struct judgement out;
            judge_run(&w->j, w->p, (enum policy)pol, &out);
            if (out.trace_error) {
                fprintf(stderr, "%s:%u: %s\n", path, out.err.line, out.err.msg);
                worst = 2;
                break;
            }
            const char *pn = policy_name((enum policy)pol);
            for (uint32_t f = 0;
                 f < out.failed && f < JUDGE_MAX_REPORTED_FAILURES; f++) {
                const struct step *s = &w->p->steps[out.failures[f].step];
                char stmt[128];
                trace_print_step(w->p, s, stmt, sizeof stmt);
                printf("FAIL  %s:%u: under %s, %s: %s\n", path, s->line, pn,
                       stmt, out.failures[f].got);
            }
            if (out.failed && worst < 1)
                worst = 1;
            if (out.applicable == 0) {
                printf("FAIL  %s: no expectation applies under %s "
                       "(`ternrig corpus fill --policy %s` writes them)\n",
                       path, pn, pn);
                if (worst < 1)
                    worst = 1;
            }
        }
        program_shape(w->p, w->scratch, shape, 1u << 20);
        const struct corpus_entry *same = corpus_index_find(ix, shape, -1, -1);
        if (same) {
            printf("FAIL  %s: same shape as %s (keep one)\n", path, same->path);
            if (worst < 1)
                worst = 1;
        } else if (corpus_index_add(ix, shape, path, -1, -1) < 0) {
            worst = 2;
        }
    }
    free(shape);
    path_list_free(&l);
    return worst;
}

/* The exit status of child `pid`, or -1 when it was killed or cannot be
 * waited for. */
int corpus_child_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run `ternrig replay` for real on every corpus directory under one
 * policy, in a child so that its signal handling and mounts stay its own. */
static int replay_real(const char *mount, enum policy pol, int ndirs,
                       char **dirs)
{
    const char *pn = policy_name(pol);
    printf("== corpus replayed for real%s%s, policy %s\n",
           mount ? " on " : " on the embedded filesystem", mount ? mount : "",
           pn);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        char *args[8 + 64];
        int n = 0;
        args[n++] = "replay";
        if (mount) {
            args[n++] = "--mount";
            args[n++] = (char *)mount;
        } else {
            args[n++] = "--real";
        }
        args[n++] = "--policy";
        args[n++] = (char *)pn;
        args[n++] = "--quiet";
        for (int i = 0; i < ndirs && i < 64; i++)
            args[n++] = dirs[i];
        args[n] = NULL;
        int rc = cmd_replay(n, args);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    int st = corpus_child_status(pid);
    return st < 0 ? 2 : st;
}

static int corpus_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"real", no_argument, 0, 'r'},
        {"mount", required_argument, 0, 'm'},
        {"policy", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    bool real = false, have_policy = false;
    const char *mount = NULL;
    enum policy pol = POLICY_REFERENCE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "rm:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': real = true; break;
        case 'm': mount = optarg; break;
        case 'p':
            if (policy_arg("corpus", optarg, &pol))
                return 2;
            have_policy = true;
            break;
        case 'h': return policy_help(corpus_help);
        default: return usage_error("corpus", "bad option");
        }
    }
    if (real && mount)
        return usage_error("corpus", "check: --real or --mount, not both");
    if (have_policy && !mount)
        return usage_error("corpus", "check: --policy goes with --mount "
                                     "(the model runs them all)");
    char *deflt[] = {DEFAULT_CORPUS};
    char **dirs = optind < argc ? argv + optind : deflt;
    int ndirs = optind < argc ? argc - optind : 1;
    if (ndirs > 64)
        return usage_error("corpus", "check: at most 64 directories");
    struct work w;
    if (work_init(&w) < 0)
        return 2;
    struct corpus_index ix = {0};
    unsigned ntraces = 0;
    int worst = 0;
    for (int i = 0; i < ndirs; i++) {
        int rc = check_dir(&w, &ix, dirs[i], &ntraces);
        if (rc > worst)
            worst = rc;
    }
    printf("corpus check: %u trace%s, %zu distinct shape%s, model under all "
           "%d policies: %s\n",
           ntraces, ntraces == 1 ? "" : "s", corpus_index_traces(&ix),
           corpus_index_traces(&ix) == 1 ? "" : "s", POLICY_COUNT,
           worst == 0 ? "every expectation holds" : "FAILED");
    corpus_index_free(&ix);
    work_free(&w);
    if (worst == 2 || !(real || mount))
        return worst;
    fflush(stdout);
    /* on the embedded fs: every policy it runs without BPF contexts */
    for (int k = 0; k < POLICY_COUNT; k++) {
        if (mount ? k != (int)pol : policy_needs_kernel_facts((enum policy)k))
            continue;
        int rc = replay_real(mount, (enum policy)k, ndirs, dirs);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}

/* --- fill --------------------------------------------------------------- */

/* `path` now holds `text`: written beside it, then renamed over it, with
 * its mode.  Returns 0, or -1 with errno. */
static int replace_file(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.fill-XXXXXX", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    struct stat st;
    if (stat(path, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    int ok = fputs(text, f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* Returns 0 filled, 1 refused (has lines for pol), 2 error. */
static int fill_one(struct work *w, const char *path, enum policy pol,
                    bool force, bool dry_run)
{
    const char *pn = policy_name(pol);
    char err[768];
    size_t len;
    char *text = read_file(path, TRACE_FILE_LIMIT, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "ternrig corpus fill: %s\n", err);
        return 2;
    }
    if (trace_is_binary((const uint8_t *)text, len)) {
        fprintf(stderr, "ternrig corpus fill: %s: a binary trace has no "
                        "expect lines to fill\n", path);
        free(text);
        return 2;
    }
    struct trace_error te;
    if (trace_parse(text, len, w->p, &te) < 0) {
        fprintf(stderr, "%s:%u: %s\n", path, te.line, te.msg);
        free(text);
        return 2;
    }
    size_t need = expectations_text_for(&w->j, w->p, pol, w->expects,
                                        EXPECT_TEXT_CAP);
    if (need == 0 || need >= EXPECT_TEXT_CAP) {
        fprintf(stderr, "ternrig corpus fill: %s: cannot compute its "
                        "expectations under %s\n", path, pn);
        free(text);
        return 2;
    }
    unsigned line;
    char *out = corpus_fill_text(text, len, pol, w->expects, force, &line);
    if (!out) {
        free(text);
        if (!line) {
            fprintf(stderr, "ternrig corpus fill: out of memory\n");
            return 2;
        }
        printf("has        %s:%u: already has an expectation for %s "
               "(--force replaces them)\n", path, line, pn);
        return 1;
    }
    int rc = 0;
    /* read it back: it must parse, and hold under pol */
    struct judgement j;
    if (trace_parse(out, strlen(out), w->p, &te) < 0 ||
        judge_run(&w->j, w->p, pol, &j) < 0 || j.failed || !j.applicable) {
        fprintf(stderr, "ternrig corpus fill: %s: the filled trace does not "
                        "hold under %s (a bug in ternrig)\n", path, pn);
        rc = 2;
    } else if (strlen(out) == len && !memcmp(out, text, len)) {
        printf("same       %s: its expectations for %s are the model's\n",
               path, pn);
    } else if (dry_run) {
        printf("would fill %s:\n%s", path, w->expects);
    } else if (replace_file(path, out) < 0) {
        fprintf(stderr, "ternrig corpus fill: %s: %s\n", path,
                strerror(errno));
        rc = 2;
    } else {
        unsigned n = 0;
        for (const char *c = w->expects; *c; c++)
            n += *c == '\n';
        printf("filled     %s: %u expect line%s for %s\n", path, n,
               n == 1 ? "" : "s", pn);
    }
    free(out);
    free(text);
    return rc;
}

static int corpus_fill(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"force", no_argument, 0, 'f'},
        {"dry-run", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    bool have_policy = false, force = false, dry_run = false;
    enum policy pol = POLICY_REFERENCE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:fnh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (policy_arg("corpus", optarg, &pol))
                return 2;
            have_policy = true;
            break;
        case 'f': force = true; break;
        case 'n': dry_run = true; break;
        case 'h': return policy_help(corpus_help);
        default: return usage_error("corpus", "bad option");
        }
    }
    if (!have_policy)
        return usage_error("corpus", "fill: --policy P is required");
    char *deflt[] = {DEFAULT_CORPUS};
    char **paths = optind < argc ? argv + optind : deflt;
    int npaths = optind < argc ? argc - optind : 1;
    struct work w;
    if (work_init(&w) < 0)
        return 2;
    int worst = 0;
    for (int i = 0; i < npaths; i++) {
        struct path_list l = {.cmd = "corpus"};
        char err[768];
        if (collect_traces(paths[i], &l, err, sizeof err) < 0) {
            fprintf(stderr, "ternrig corpus fill: %s\n", err);
            worst = 2;
            continue;
        }
        bool named = l.n == 1 && !strcmp(l.paths[0], paths[i]);
        for (size_t k = 0; k < l.n; k++) {
            size_t n = strlen(l.paths[k]);
            if (!named && n > 4 && !strcmp(l.paths[k] + n - 4, ".trb"))
                continue; /* binary, found in a directory: skipped */
            int rc = fill_one(&w, l.paths[k], pol, force, dry_run);
            if (rc > worst)
                worst = rc;
        }
        path_list_free(&l);
    }
    work_free(&w);
    return worst;
}

int cmd_corpus(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("corpus", "add, check, fill or min?");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(corpus_help, stdout);
        return 0;
    }
    if (!strcmp(sub, "add"))
        return corpus_add(argc - 1, argv + 1);
    if (!strcmp(sub, "check"))
        return corpus_check(argc - 1, argv + 1);
    if (!strcmp(sub, "fill"))
        return corpus_fill(argc - 1, argv + 1);
    if (!strcmp(sub, "min"))
        return corpus_min_main(argc - 1, argv + 1);
    return usage_error("corpus",
                       "unknown subcommand '%s' (add, check, fill, min)", sub);
}
