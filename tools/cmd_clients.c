/* cmd_clients.c - `ternrig clients`: real programs on the embedded
 * filesystem under each policy, as a compatibility matrix. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "clients.h"
#include "commands.h"
#include "grow.h"
#include "util.h"

static const char clients_help[] =
    "usage: ternrig clients [--policy P | --all-policies] [--markdown]\n"
    "                       [--json FILE] [--dir DIR] [--timeout SECS] [-v]\n"
    "                       [--closetracker-map N] [NAME...]\n"
    "\n"
    "Run real programs (shell redirections, cp, dd, tee, sort -o, install,\n"
    "tar, gzip, python, a forking C program, rsync, sed -i, cc...) on the\n"
    "embedded filesystem (ternrig fs, mounted in a temporary directory with\n"
    "its flush log) under each policy, and print the matrix: one row per\n"
    "program, one column per policy, each cell what the directory shows\n"
    "afterwards against the exact bytes the program must write:\n"
    "  exact      the file is there with exactly those bytes\n"
    "  empty      there with 0 bytes (sealed before the data came)\n"
    "  truncated  there with only the first part (sealed early)\n"
    "  lost       not there: aborted, or never sealed\n"
    "  error      anything else (other bytes, the program failed)\n"
    "each with the reason, read from the filesystem's flush log.  A policy\n"
    "ternrig fs cannot run yet is shown as n/a with the filesystem's own\n"
    "reason.  Every program also runs once in a plain directory first: that\n"
    "proves the expected bytes.\n"
    "\n"
    "The programs are the scripts in DIR (see corpus/clients/README.md for\n"
    "their header: what they do, the bytes they must leave, and what SPEC.md\n"
    "predicts under each policy).\n"
    "\n"
    "  -p, --policy P      one policy\n"
    "  -a, --all-policies  every policy (the default)\n"
    "  -M, --markdown      the matrix as a Markdown table (for README.md)\n"
    "  -j, --json FILE     also write the matrix as one JSON object to FILE\n"
    "                      (- for stdout, instead of the table): {\"policies\":\n"
    "                      [{\"policy\",\"ran\",\"na\"}],\"clients\":[{\"name\",\n"
    "                      \"what\",\"skipped\",\"control_error\",\"cells\":\n"
    "                      {POLICY:{\"cell\",\"reason\",\"predicted\",\n"
    "                      \"mismatch\"}}}]}\n"
    "  -d, --dir DIR       the client scripts (default corpus/clients)\n"
    "  -t, --timeout SECS  per program and policy (default 20)\n"
    "  -v, --verbose       print each program's output too\n"
    "      --closetracker-map N\n"
    "                      the close tracker's capacity under\n"
    "                      fuse-closetracker (default 1048576, TernFS's; the\n"
    "                      predictions assume it): a small map shows which\n"
    "                      programs stop being sealed once it is full\n"
    "  -h, --help          this help\n"
    "  NAME...             only these clients\n"
    "\n"
    "A script whose '# needs PROG' names a program missing here is skipped,\n"
    "and said to be: never counted as a cell that ran.\n"
    "\n"
    "Exit status: 0 every cell that ran is what SPEC.md predicts (or has no\n"
    "prediction), 1 a cell differs from its prediction or a program fails in\n"
    "a plain directory, 2 bad usage or setup error.  Needs root and\n"
    "/dev/fuse.\n";

#ifdef TERNRIG_HAVE_REAL
#include "watch.h"

struct cell_result {
    bool ran;
    enum cell cell;
    bool mismatch;       /* differs from the client's prediction */
    char reason[1024];
};

struct row {
    struct client c;
    char skipped[512];       /* a program it needs is missing: why      */
    char control_error[512]; /* the script fails in a plain directory */
    struct cell_result cells[POLICY_COUNT];
};

struct clients_opts {
    unsigned policies;
    bool markdown, verbose;
    const char *dir;
    const char *json;   /* --json FILE ("-": stdout), or NULL */
    double timeout;
    char **names;
    int nnames;
    uint32_t closetracker_map; /* the mount's (0: TernFS's 1,048,576) */
};

struct session {
    char dir_abs[PATH_MAX]; /* the corpus directory                    */
    char scratch[64];       /* this run's temporary directory          */
    char na[POLICY_COUNT][512]; /* why a policy did not run            */
    bool ran[POLICY_COUNT];
};

/* ---- loading ---- */

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->c.name,
                  ((const struct row *)b)->c.name);
}

static bool wanted(const struct clients_opts *o, const char *name)
{
    if (!o->nnames)
        return true;
    for (int i = 0; i < o->nnames; i++)
        if (!strcmp(o->names[i], name))
            return true;
    return false;
}

static int load_rows(const struct clients_opts *o, struct session *s,
                     struct row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (!realpath(o->dir, s->dir_abs)) {
        fprintf(stderr, "ternrig clients: %s: %s\n", o->dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(s->dir_abs);
    if (!d) {
        fprintf(stderr, "ternrig clients: %s: %s\n", o->dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    int rc = 0;
    struct row *r = NULL;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".sh") ||
            de->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 256], err[512];
        snprintf(path, sizeof path, "%s/%s", s->dir_abs, de->d_name);
        size_t tlen;
        char *text = read_file(path, 1 << 20, &tlen, err, sizeof err);
        if (grow(rows, &cap, *n, sizeof **rows, 32) < 0) {
            fprintf(stderr, "ternrig clients: out of memory\n");
            free(text);
            rc = -1;
            break;
        }
        r = &(*rows)[*n];
        memset(r, 0, sizeof *r);
        if (!text || client_parse(path, text, &r->c, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            rc = -1;
        } else if (wanted(o, r->c.name)) {
            for (unsigned k = 0; k < r->c.nneeds && !r->skipped[0]; k++)
                if (child_find_command(r->c.needs[k], err, sizeof err) < 0)
                    snprintf(r->skipped, sizeof r->skipped,
                             "needs %s, which is not installed here (%.400s)",
                             r->c.needs[k], err);
            ++*n;
        } else {
            client_free(&r->c);
        }
        free(text);
    }
    closedir(d);
    if (rc == 0)
        for (int i = 0; i < o->nnames; i++) {
            bool found = false;
            for (size_t k = 0; k < *n; k++)
                found |= !strcmp((*rows)[k].c.name, o->names[i]);
            if (!found) {
                fprintf(stderr, "ternrig clients: no client %s in %s\n",
                        o->names[i], o->dir);
                rc = -1;
            }
        }
    if (rc == 0 && *n == 0) {
        fprintf(stderr, "ternrig clients: no NAME.sh clients in %s\n", o->dir);
        rc = -1;
    }
    if (rc == 0)
        qsort(*rows, *n, sizeof **rows, cmp_row);
    return rc;
}

/* ---- running one script ---- */

/* scratch/NAME-TAG/{data,tmp,output}: a fresh data directory, the
 * program's TMPDIR and an output file.  A program killed at the time
 * limit (a compiler, sort) leaves its temporary files there, and they go
 * with the scratch directory, not into /tmp. */
struct run_place {
    char base[256], data[300], tmp[300], output[300];
    char env_data[320], env_dir[PATH_MAX + 16], env_tmp[320];
};

static int make_place(const struct session *s, const struct row *r,
                      const char *tag, struct run_place *p)
{
    snprintf(p->base, sizeof p->base, "%s/%s-%s", s->scratch, r->c.name, tag);
    snprintf(p->data, sizeof p->data, "%s/data", p->base);
    snprintf(p->output, sizeof p->output, "%s/output", p->base);
    snprintf(p->env_data, sizeof p->env_data, "CLIENT_DATA=%s", p->data);
    snprintf(p->env_dir, sizeof p->env_dir, "CLIENT_DIR=%s", s->dir_abs);
    snprintf(p->tmp, sizeof p->tmp, "%s/tmp", p->base);
    snprintf(p->env_tmp, sizeof p->env_tmp, "TMPDIR=%s", p->tmp);
    return make_dirs(p->data) < 0 ? -1 : make_dirs(p->tmp);
}

/* Run the script in `cwd` with its output to p->output. */
static int run_script(const struct clients_opts *o, const struct row *r,
                      const struct run_place *p, const char *cwd,
                      const struct watch_mount *m, struct watch_result *wr,
                      struct child_outcome *co, char *why, size_t cap)
{
    int out = open(p->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) {
        snprintf(why, cap, "%s: %s", p->output, strerror(errno));
        if (out >= 0)
            close(out);
        if (in >= 0)
            close(in);
        return -1;
    }
    char *argv[] = {"/bin/sh", (char *)r->c.script, NULL};
    const char *env[] = {p->env_data, p->env_dir, p->env_tmp, "LC_ALL=C",
                         NULL};
    struct child_spec cs = {.argv = argv, .cwd = cwd, .env_add = env,
                            .in_fd = in, .out_fd = out, .err_fd = out,
                            .timeout_s = o->timeout, .only_std_fds = true};
    int rc = m ? watch_command(m, cwd, &cs, wr, why, cap)
               : child_run(&cs, co, why, cap);
    if (rc == 0 && m)
        *co = wr->run;
    close(out);
    close(in);
    return rc;
}

/* Replace every occurrence of `from` in s by `to` (paths that change from
 * run to run: the mount, the scratch directory). */
static void scrub(char *s, size_t cap, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    char *p;
    if (!fl)
        return;
    while ((p = strstr(s, from))) {
        size_t rest = strlen(p + fl);
        if ((size_t)(p - s) + tl + rest + 1 > cap)
            return;
        memmove(p + tl, p + fl, rest + 1);
        memcpy(p, to, tl);
    }
}

/* How the program ended, with the last line it printed: "exit 1: bash:
 * line 1: echo: write error: Operation not permitted". */
static void program_end(const struct run_place *p, const struct child_outcome *co,
                        const struct clients_opts *o, const char *mount,
                        char *buf, size_t cap)
{
    char end[128], err[256];
    child_describe_end(co, o->timeout, end, sizeof end);
    size_t len;
    char *text = read_file(p->output, 1 << 20, &len, err, sizeof err);
    const char *last = "";
    if (text) {
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
            text[--len] = 0;
        char *nl = strrchr(text, '\n');
        last = nl ? nl + 1 : text;
    }
    snprintf(buf, cap, "%s%s%.200s", end, *last ? ": " : "", last);
    free(text);
    scrub(buf, cap, p->data, "$CLIENT_DATA");
    if (mount)
        scrub(buf, cap, mount, "<mount>");
}

static bool exited_zero(const struct child_outcome *co)
{
    return child_exit_code(co) == 0 && !co->timed_out;
}

/* ---- the plain-directory run: the expected bytes hold ---- */

static void control_run(const struct clients_opts *o, const struct session *s,
                        struct row *r)
{
    struct run_place p;
    char work[320], why[512];
    if (r->skipped[0])
        return;
    if (make_place(s, r, "plain", &p) < 0) {
        snprintf(r->control_error, sizeof r->control_error, "%s: %s", p.base,
                 strerror(errno));
        return;
    }
    snprintf(work, sizeof work, "%s/work", p.base);
    mkdir(work, 0755);
    struct child_outcome co;
    if (run_script(o, r, &p, work, NULL, NULL, &co, why, sizeof why) < 0) {
        snprintf(r->control_error, sizeof r->control_error, "%s", why);
        return;
    }
    if (!exited_zero(&co)) {
        char end[400];
        program_end(&p, &co, o, NULL, end, sizeof end);
        snprintf(r->control_error, sizeof r->control_error,
                 "fails in a plain directory: %s", end);
        return;
    }
    for (unsigned i = 0; i < r->c.nexpect; i++) {
        struct client_expect *e = &r->c.expect[i];
        char path[700], err[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", work, e->path);
        char *got = read_file(path, 64 << 20, &len, err, sizeof err);
        if (!got) {
            snprintf(r->control_error, sizeof r->control_error,
                     "in a plain directory it leaves no %s", e->path);
            return;
        }
        if (e->control) {
            free(e->bytes);
            e->bytes = got;
            e->len = len;
            continue;
        }
        if (classify_content(e->bytes, e->len, got, len) != CELL_EXACT)
            snprintf(r->control_error, sizeof r->control_error,
                     "in a plain directory it leaves %s with other bytes "
                     "(%zu, expected %zu): fix the script or its expect line",
                     e->path, len, e->len);
        free(got);
    }
}

/* ---- one cell ---- */

/* The fate of the file the directory shows at `path`, or of the last one
 * created there. */
static int fate_at(const struct watch_result *wr, const char *path)
{
    int found = -1;
    for (size_t i = 0; i < wr->fates.n; i++)
        if (!strcmp(wr->files[i].path, path) &&
            (found < 0 || wr->files[i].visible ||
             !wr->files[found].visible))
            found = (int)i;
    return found;
}

static enum cell judge_file(const struct client_expect *e, const char *dir,
                            const struct watch_result *wr, char *why,
                            size_t cap)
{
    char path[4700], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->path);
    int k = fate_at(wr, e->path);
    char expl[1024] = "";
    if (k >= 0) {
        fate_explain(&wr->fates.f[k], &wr->log, false, expl, sizeof expl);
        /* the verdict word is the cell's; keep the reason */
        char *colon = strchr(expl, ':');
        if (colon)
            memmove(expl, colon + 2, strlen(colon + 2) + 1);
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t len;
        char *got = read_file(path, 64 << 20, &len, err, sizeof err);
        if (!got) {
            snprintf(why, cap, "cannot read it back: %s", err);
            return CELL_ERROR;
        }
        enum cell c = classify_content(e->bytes, e->len, got, len);
        free(got);
        const struct watch_file *w = k >= 0 ? &wr->files[k] : NULL;
        snprintf(why, cap, "%s%s%s%s",
                 c == CELL_ERROR ? "other bytes than expected; " : "",
                 w && w->renamed ? "written under a temporary name, " : "",
                 k >= 0 ? expl : "there, but no create of it was logged",
                 w && w->renamed ? ", then renamed into place" : "");
        if (c == CELL_ERROR)
            snprintf(why + strlen(why), cap - strlen(why),
                     " (%zu bytes, expected %zu)", len, e->len);
        return c;
    }
    if (k < 0) {
        snprintf(why, cap, "never created");
        return CELL_ERROR;
    }
    const struct fate *f = &wr->fates.f[k];
    if (f->verdict == FATE_ABORTED || f->verdict == FATE_LOST) {
        snprintf(why, cap, "%s", expl);
        return CELL_LOST;
    }
    snprintf(why, cap, "%s%s", expl,
             wr->files[k].gone ? "; then the program removed it" : "");
    return CELL_ERROR;
}

static void judge_cell(const struct clients_opts *o, const struct row *r,
                       const struct run_place *p, const char *dir,
                       const char *mount, const struct watch_result *wr,
                       enum policy pol, struct cell_result *out)
{
    out->ran = true;
    char worst[1024] = "";
    enum cell cells[CLIENT_MAX_EXPECT];
    unsigned wi = 0;
    /* the worst file decides; among equals, the first one's reason */
    for (unsigned i = 0; i < r->c.nexpect; i++) {
        char why[1024];
        cells[i] = judge_file(&r->c.expect[i], dir, wr, why, sizeof why);
        if (i == 0 || (cells[i] != out->cell &&
                       cell_worse(cells[i], out->cell) == cells[i])) {
            out->cell = cells[i];
            wi = i;
            /* a reason cut short is still the reason (the return value
             * is taken so that -Wformat-truncation sees it is meant) */
            if (snprintf(worst, sizeof worst, "%s%s%s",
                         r->c.nexpect > 1 ? r->c.expect[i].path : "",
                         r->c.nexpect > 1 ? ": " : "", why) < 0)
                worst[0] = 0;
        }
    }
    for (unsigned i = 0; i < r->c.nexpect; i++) /* and the others, briefly */
        if (i != wi)
            snprintf(worst + strlen(worst), sizeof worst - strlen(worst),
                     "; %s: %s%s", r->c.expect[i].path, cell_name(cells[i]),
                     cells[i] == out->cell ? " too" : "");
    char end[400] = "";
    if (out->cell != CELL_EXACT || !exited_zero(&wr->run))
        program_end(p, &wr->run, o, mount, end, sizeof end);
    if (snprintf(out->reason, sizeof out->reason, "%s%s%s%s", worst,
                 end[0] ? " (the program: " : "", end,
                 end[0] ? ")" : "") < 0)
        out->reason[0] = 0;
    out->mismatch = r->c.predicted[pol] && r->c.predict[pol] != out->cell;
}

/* ---- one policy ---- */

static int run_policy(const struct clients_opts *o, struct session *s,
                      struct row *rows, size_t n, enum policy pol)
{
    struct watch_mount m;
    char why[512];
    int runs = watch_fs_runs_policy(NULL, pol, why, sizeof why);
    if (runs <= 0) {
        snprintf(s->na[pol], sizeof s->na[pol], "%s", why);
        return runs < 0 ? -1 : 0;
    }
    if (watch_mount_open(&m, pol, o->closetracker_map, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig clients: %s: %s\n", policy_name(pol), why);
        return -1;
    }
    s->ran[pol] = true;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0 && !child_run_stop_signal(); i++) {
        struct row *r = &rows[i];
        if (r->control_error[0] || r->skipped[0])
            continue;
        struct run_place p;
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", m.dir, r->c.name);
        if (make_place(s, r, policy_name(pol), &p) < 0 ||
            mkdir(dir, 0755) < 0) {
            fprintf(stderr, "ternrig clients: %s: %s\n", dir, strerror(errno));
            rc = -1;
            break;
        }
        struct watch_result wr;
        struct child_outcome co;
        memset(&wr, 0, sizeof wr);
        if (run_script(o, r, &p, dir, &m, &wr, &co, why, sizeof why) < 0) {
            fprintf(stderr, "ternrig clients: %s: %s\n", r->c.name, why);
            rc = -1;
        } else if (!child_run_stop_signal()) {
            judge_cell(o, r, &p, dir, m.dir, &wr, pol, &r->cells[pol]);
            if (o->verbose) {
                char err[256];
                size_t len;
                char *text = read_file(p.output, 1 << 20, &len, err, sizeof err);
                fprintf(stderr, "--- %s under %s: %s\n%s", r->c.name,
                        policy_name(pol), cell_name(r->cells[pol].cell),
                        text ? text : "");
                free(text);
            }
        }
        watch_result_free(&wr);
        remove_tree(p.base);
    }
    if (watch_mount_close(&m) < 0) {
        fprintf(stderr, "ternrig clients: %s did not unmount cleanly\n",
                policy_name(pol));
        rc = -1;
    }
    return rc;
}

/* ---- printing ---- */

static void print_text(const struct clients_opts *o, const struct session *s,
                       const struct row *rows, size_t n)
{
    int w = 6;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(rows[i].c.name) > w)
            w = (int)strlen(rows[i].c.name);
    int last = 0; /* the last column: not padded */
    for (int p = 0; p < POLICY_COUNT; p++)
        if (o->policies & (1u << p))
            last = p;
    printf("What real programs leave on the embedded filesystem, under each "
           "policy\n\n%-*s", w, "client");
    for (int p = 0; p < POLICY_COUNT; p++)
        if (o->policies & (1u << p))
            printf("  %-*s", p == last ? 0 : 10, policy_name((enum policy)p));
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        printf("%-*s", w, rows[i].c.name);
        for (int p = 0; p < POLICY_COUNT; p++) {
            if (!(o->policies & (1u << p)))
                continue;
            const struct cell_result *c = &rows[i].cells[p];
            char cell[32];
            snprintf(cell, sizeof cell, "%s%s",
                     rows[i].skipped[0]         ? "skipped"
                     : rows[i].control_error[0] ? "error"
                     : c->ran                   ? cell_name(c->cell)
                                                : "n/a",
                     c->mismatch ? "*" : "");
            printf("  %-*s", p == last ? 0 : 10, cell);
        }
        printf("\n");
    }
    for (int p = 0; p < POLICY_COUNT; p++)
        if ((o->policies & (1u << p)) && !s->ran[p])
            printf("\nn/a under %s: ternrig fs does not run it: %s",
                   policy_name((enum policy)p), s->na[p]);
    printf("\n\nWhy:\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        printf("%s: %s\n", r->c.name, r->c.what);
        if (r->skipped[0]) {
            printf("    skipped: %s\n", r->skipped);
            continue;
        }
        if (r->control_error[0]) {
            printf("    error: %s\n", r->control_error);
            continue;
        }
        bool done[POLICY_COUNT] = {0};
        for (int p = 0; p < POLICY_COUNT; p++) {
            const struct cell_result *c = &r->cells[p];
            if (!c->ran || done[p] || !(o->policies & (1u << p)))
                continue;
            printf("    %s", policy_name((enum policy)p));
            for (int q = p + 1; q < POLICY_COUNT; q++)
                if (r->cells[q].ran && !done[q] &&
                    r->cells[q].cell == c->cell &&
                    !strcmp(r->cells[q].reason, c->reason)) {
                    done[q] = true;
                    printf(", %s", policy_name((enum policy)q));
                }
            printf(": %s: %s\n", cell_name(c->cell), c->reason);
        }
        for (int p = 0; p < POLICY_COUNT; p++)
            if (r->cells[p].mismatch)
                printf("    * under %s SPEC.md predicts %s\n",
                       policy_name((enum policy)p),
                       cell_name(r->c.predict[p]));
    }
}

static void print_json(FILE *f, const struct clients_opts *o,
                       const struct session *s, const struct row *rows,
                       size_t n)
{
    fprintf(f, "{\"tool\":\"ternrig clients\",\"version\":1,\"policies\":[");
    bool first = true;
    for (int p = 0; p < POLICY_COUNT; p++) {
        if (!(o->policies & (1u << p)))
            continue;
        fprintf(f, "%s{\"policy\":", first ? "" : ",");
        json_string(f, policy_name((enum policy)p));
        fprintf(f, ",\"ran\":%s,\"na\":", s->ran[p] ? "true" : "false");
        json_string(f, s->ran[p] ? "" : s->na[p]);
        fprintf(f, "}");
        first = false;
    }
    fprintf(f, "],\"clients\":[");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        fprintf(f, "%s{\"name\":", i ? "," : "");
        json_string(f, r->c.name);
        fprintf(f, ",\"what\":");
        json_string(f, r->c.what);
        fprintf(f, ",\"skipped\":");
        json_string(f, r->skipped);
        fprintf(f, ",\"control_error\":");
        json_string(f, r->control_error);
        fprintf(f, ",\"cells\":{");
        first = true;
        for (int p = 0; p < POLICY_COUNT; p++) {
            const struct cell_result *c = &r->cells[p];
            if (!(o->policies & (1u << p)) || !c->ran)
                continue;
            fprintf(f, "%s", first ? "" : ",");
            json_string(f, policy_name((enum policy)p));
            fprintf(f, ":{\"cell\":");
            json_string(f, cell_name(c->cell));
            fprintf(f, ",\"reason\":");
            json_string(f, c->reason);
            fprintf(f, ",\"predicted\":");
            json_string(f, r->c.predicted[p] ? cell_name(r->c.predict[p]) : "");
            fprintf(f, ",\"mismatch\":%s}", c->mismatch ? "true" : "false");
            first = false;
        }
        fprintf(f, "}}");
    }
    fprintf(f, "]}\n");
}

static void md_text(const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", stdout);
        else if (*s == '\n')
            fputc(' ', stdout);
        else
            fputc(*s, stdout);
    }
}

static void print_markdown(const struct clients_opts *o,
                           const struct session *s, const struct row *rows,
                           size_t n)
{
    printf("| program | what it does |");
    for (int p = 0; p < POLICY_COUNT; p++)
        if (o->policies & (1u << p))
            printf(" %s |", policy_name((enum policy)p));
    printf("\n|---|---|");
    for (int p = 0; p < POLICY_COUNT; p++)
        if (o->policies & (1u << p))
            printf("---|");
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        printf("| `%s` | ", r->c.name);
        md_text(r->c.what);
        printf(" |");
        int first = -1;
        for (int p = 0; p < POLICY_COUNT; p++) {
            if (!(o->policies & (1u << p)))
                continue;
            const struct cell_result *c = &r->cells[p];
            printf(" ");
            if (r->skipped[0]) {
                printf("**skipped**: ");
                md_text(r->skipped);
            } else if (r->control_error[0]) {
                printf("**error**: ");
                md_text(r->control_error);
            } else if (!c->ran) {
                printf("n/a");
                if (r->c.predicted[p])
                    printf(" (SPEC.md: %s)", cell_name(r->c.predict[p]));
            } else if (first >= 0 && r->cells[first].cell == c->cell &&
                       !strcmp(r->cells[first].reason, c->reason)) {
                printf("**%s**, as under %s", cell_name(c->cell),
                       policy_name((enum policy)first));
            } else {
                printf("**%s**: ", cell_name(c->cell));
                md_text(c->reason);
                if (first < 0)
                    first = p;
            }
            if (c->mismatch)
                printf(" (SPEC.md predicts %s)", cell_name(r->c.predict[p]));
            printf(" |");
        }
        printf("\n");
    }
    for (int p = 0; p < POLICY_COUNT; p++)
        if ((o->policies & (1u << p)) && !s->ran[p]) {
            printf("\nn/a under `%s`: ternrig fs does not run it: ",
                   policy_name((enum policy)p));
            md_text(s->na[p]);
            printf("\n");
        }
}

/* ---- the command ---- */

static int parse_opts(int argc, char **argv, struct clients_opts *o)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"all-policies", no_argument, 0, 'a'},
        {"markdown", no_argument, 0, 'M'},
        {"json", required_argument, 0, 'j'},
        {"dir", required_argument, 0, 'd'},
        {"timeout", required_argument, 0, 't'},
        {"verbose", no_argument, 0, 'v'},
        {"closetracker-map", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->policies = (1u << POLICY_COUNT) - 1;
    o->dir = "corpus/clients";
    o->timeout = 20;
    int c;
    bool one = false, all = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:aMj:d:t:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("clients", optarg, &pol))
                return 2;
            o->policies = 1u << pol;
            one = true;
            break;
        }
        case 'a': all = true; break;
        case 'M': o->markdown = true; break;
        case 'j': o->json = optarg; break;
        case 'd': o->dir = optarg; break;
        case 't':
            if (parse_time_limit(optarg, &o->timeout) < 0)
                return usage_error("clients", "--timeout: '%s' is not a "
                                   "positive number of seconds", optarg);
            break;
        case 'v': o->verbose = true; break;
        case 'm':
            if (closetracker_map_arg("clients", optarg, &o->closetracker_map))
                return 2;
            break;
        case 'h': return policy_help(clients_help);
        default: return usage_error("clients", "bad option");
        }
    }
    if (one && all)
        return usage_error("clients",
                           "--policy and --all-policies exclude each other");
    o->names = argv + optind;
    o->nnames = argc - optind;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_clients(int argc, char **argv)
{
    struct clients_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0)
        return rc;
    static struct session s;
    memset(&s, 0, sizeof s);
    struct row *rows;
    size_t n;
    if (load_rows(&o, &s, &rows, &n) < 0) {
        for (size_t i = 0; i < n; i++)
            client_free(&rows[i].c);
        free(rows);
        return 2;
    }
    FILE *jf = NULL;
    if (o.json && strcmp(o.json, "-")) {
        char why[PATH_MAX + 64];
        /* made (or refused) before anything runs: results that cannot be
         * written are lost at the end */
        if (prepare_output_file(o.json, why, sizeof why) == 0 &&
            !(jf = fopen(o.json, "w")))
            snprintf(why, sizeof why, "%s: %s", o.json, strerror(errno));
        if (!jf) {
            fprintf(stderr, "ternrig clients: --json %s\n", why);
            rc = 2;
            goto out;
        }
    }
    double t0 = now_s();
    snprintf(s.scratch, sizeof s.scratch, "/tmp/ternrig-clients-XXXXXX");
    child_run_catch_signals();
    if (!mkdtemp(s.scratch)) {
        fprintf(stderr, "ternrig clients: mkdtemp: %s\n", strerror(errno));
        rc = 2;
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < n && !child_run_stop_signal(); i++)
        control_run(&o, &s, &rows[i]);
    for (int p = 0; p < POLICY_COUNT && rc == 0 && !child_run_stop_signal();
         p++)
        if ((o.policies & (1u << p)) &&
            run_policy(&o, &s, rows, n, (enum policy)p) < 0)
            rc = 2;
    remove_tree(s.scratch);
    if (rc == 0 && !child_run_stop_signal()) {
        if (o.json && !jf)
            print_json(stdout, &o, &s, rows, n);
        else
            (o.markdown ? print_markdown : print_text)(&o, &s, rows, n);
        if (jf) {
            print_json(jf, &o, &s, rows, n);
            int e = close_output(jf);
            jf = NULL;
            if (e < 0) {
                fprintf(stderr, "ternrig clients: %s: %s\n", o.json,
                        strerror(errno));
                rc = 2;
                goto out;
            }
        }
        unsigned cells = 0, differ = 0, broken = 0, skipped = 0;
        for (size_t i = 0; i < n; i++) {
            broken += rows[i].control_error[0] != 0;
            skipped += rows[i].skipped[0] != 0;
            for (int p = 0; p < POLICY_COUNT; p++) {
                cells += rows[i].cells[p].ran;
                differ += rows[i].cells[p].mismatch;
            }
        }
        FILE *sum = o.json && !strcmp(o.json, "-") ? stderr : stdout;
        if (!o.markdown) {
            fprintf(sum, "\n%zu programs, %u cells run in %.1f s; ", n, cells,
                    now_s() - t0);
            if (differ)
                fprintf(sum, "%u differ from SPEC.md's prediction (marked *)", differ);
            else
                fprintf(sum, "every one is what SPEC.md predicts");
            if (broken)
                fprintf(sum, "; %u programs fail in a plain directory", broken);
            if (skipped)
                fprintf(sum, "; %u programs skipped, not run: a program they need "
                       "is missing (see Why)", skipped);
            fprintf(sum, "\n");
        }
        rc = differ || broken ? 1 : 0;
    }
out:
    if (jf) {
        fclose(jf);
        remove(o.json);
    }
    for (size_t i = 0; i < n; i++)
        client_free(&rows[i].c);
    free(rows);
    return child_run_release_signals(rc);
}

#else

int cmd_clients(int argc, char **argv)
{
    return command_unavailable("clients", clients_help, "libfuse3", argc, argv);
}

#endif
