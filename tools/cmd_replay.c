/* cmd_replay.c - `ternrig replay`: traces through the model and the oracle. */
#include <getopt.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "judge.h"
#include "load.h"
#include "timeline.h"
#include "util.h"
#ifdef TERNRIG_HAVE_REAL
#include "real_exec.h"
#include "real_mount.h"

#endif

static const char replay_help[] =
    "usage: ternrig replay [--policy P | --all-policies] [-v | --json] "
    "PATH...\n"
    "       ternrig replay (--real | --mount DIR [--no-log]) [--policy P] "
    "[-q] PATH...\n"
    "\n"
    "Run each trace (a .trace text file, a .trb binary file, or a directory\n"
    "searched for both) through the model of Linux under a flush policy,\n"
    "judge the history with the oracle, and check the trace's expectations.\n"
    "\n"
    "  -p, --policy P      the flush policy (default reference; see below)\n"
    "  -a, --all-policies  run every trace under every policy; bare\n"
    "                      `expect` lines apply to reference, expect[P] to P\n"
    "  -v, --verbose       print each history as a timeline: who flushed\n"
    "                      what, with which context, and the decision\n"
    "  -j, --json          one JSON object per trace and policy instead\n"
    "  -q, --quiet         print only failures and the summary\n"
    "  -r, --real          run each trace for real: mount the embedded\n"
    "                      filesystem (ternrig fs) under the policy in a\n"
    "                      temporary directory, run real tasks and syscalls,\n"
    "                      judge what really happened (root, /dev/fuse;\n"
    "                      BPF too for the policies that read kernel-only\n"
    "                      facts).  With BPF contexts the run learns the\n"
    "                      schedule the kernel took (which freed\n"
    "                      task_struct each new task got, in which order\n"
    "                      a group's threads exited) and is judged by the\n"
    "                      model under it: each line says \"as written\"\n"
    "                      or \"schedule taken: ...\" (the statements whose\n"
    "                      `reuses`/`order` differ; the expectations are\n"
    "                      then the model's under that schedule)\n"
    "  -m, --mount DIR     run for real in a fresh subdirectory of DIR, a\n"
    "                      mount running --policy (default: the policy a\n"
    "                      ternrig fs mount reports, else reference).  The\n"
    "                      decisions come from the flush log the mount\n"
    "                      reports (ternrig fs --log: user.ternrig.log);\n"
    "                      without one, from looks alone: a file never seen\n"
    "                      is transient or aborted, so `expect F transient`\n"
    "                      and `expect F aborted` are left open (shown as\n"
    "                      OPEN, not failed)\n"
    "      --no-log        with --mount: judge from looks alone even when\n"
    "                      the mount reports a flush log\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 every applicable expectation holds, 1 one fails,\n"
    "2 a trace error or bad usage.\n";

/* The trace language, one usage per statement of the statement table. */
static void print_statements(FILE *out)
{
    fputs("\nTrace statements (SPEC section 3; # starts a comment):\n", out);
    for (unsigned op = 0; op < OP_COUNT; op++)
        fprintf(out, "  %s\n", statement_of(op)->usage);
}

struct replay_opts {
    unsigned policies; /* mask */
    bool verbose, json, quiet;
    const char *mount; /* real mode: where */
    const char *log;   /* real mode: ternrig fs's flush log, if ours */
    bool own;          /* --real: the mount is ours, and a trace with a
                          small close tracker gets a mount of its own */
};

struct tally {
    unsigned runs[POLICY_COUNT], passed[POLICY_COUNT];
    unsigned found[POLICY_COUNT][FIND_KIND_COUNT];
    unsigned traces, trace_errors;
    unsigned open_expectations; /* looks alone could not judge them */
#ifdef TERNRIG_HAVE_REAL
    struct real_sched_tally sched; /* real runs' schedules */
#endif
};

static void print_files(FILE *out, const struct program *p,
                        const struct verdict *v)
{
    fprintf(out, "      files:");
    unsigned shown = 0;
    for (uint32_t f = 0; f < v->nfiles; f++) {
        if (!program_makes_file(p, (uint16_t)f))
            continue;
        shown++;
        const struct file_outcome *o = &v->files[f];
        if (o->unseen)
            fprintf(out, "  %s not-visible (transient or aborted)",
                    p->file_names[f]);
        else if (o->state == OUTCOME_SEALED)
            fprintf(out, "  %s sealed %llu", p->file_names[f],
                    (unsigned long long)o->bytes);
        else
            fprintf(out, "  %s %s", p->file_names[f],
                    outcome_name((enum outcome)o->state));
    }
    if (!shown)
        fprintf(out, " none");
    fputc('\n', out);
}

static void print_findings(FILE *out, const struct program *p,
                           const struct verdict *v)
{
    if (v->nfindings == 0) {
        fprintf(out, "      findings: none\n");
        return;
    }
    for (uint32_t i = 0; i < v->nfindings; i++) {
        const struct finding *f = &v->findings[i];
        char why[256];
        finding_explain(f, p->file_names[f->file], why, sizeof why);
        fprintf(out, "      %s %s %s at #%u: %s\n",
                finding_is_hazard((enum finding_kind)f->kind) ? "hazard"
                                                              : "violation",
                finding_kind_name((enum finding_kind)f->kind),
                p->file_names[f->file], f->index, why);
    }
    if (v->truncated)
        fprintf(out, "      (more findings left out)\n");
}

/* The failures listed stop at JUDGE_MAX_REPORTED_FAILURES: say how many
 * more there were, so that `failed` and the list never disagree silently. */
static uint32_t failures_left_out(const struct judgement *j)
{
    return j->failed > JUDGE_MAX_REPORTED_FAILURES
               ? j->failed - JUDGE_MAX_REPORTED_FAILURES
               : 0;
}

static void print_failures_cut(FILE *out, const struct judgement *j)
{
    if (failures_left_out(j))
        fprintf(out, "      (%u more failed expectation%s left out: the "
                     "first %d are listed)\n",
                failures_left_out(j), failures_left_out(j) == 1 ? "" : "s",
                JUDGE_MAX_REPORTED_FAILURES);
}

static void print_json_failures_cut(FILE *o, const struct judgement *j)
{
    if (failures_left_out(j))
        fprintf(o, ",\"failures_cut\":true,\"failures_left_out\":%u",
                failures_left_out(j));
}

static void print_failures(FILE *out, const struct program *p,
                           const struct judgement *j)
{
    for (uint32_t i = 0; i < j->failed && i < JUDGE_MAX_REPORTED_FAILURES;
         i++) {
        const struct step *s = &p->steps[j->failures[i].step];
        char stmt[128];
        trace_print_step(p, s, stmt, sizeof stmt);
        fprintf(out, "      expectation failed, line %u: %s: %s\n", s->line,
                stmt, j->failures[i].got);
    }
    print_failures_cut(out, j);
}

/* The expectations looks alone cannot judge (see expect_judgeable). */
static void print_open(FILE *out, const struct program *p, enum policy pol,
                       const struct verdict *v)
{
    for (uint32_t i = 0; i < p->nsteps; i++) {
        const struct step *s = &p->steps[i];
        if (!expect_applies(s, pol) || expect_judgeable(s, v))
            continue;
        char stmt[128];
        trace_print_step(p, s, stmt, sizeof stmt);
        fprintf(out, "      OPEN line %u: %s: without a flush log, %s is "
                     "only known not visible (transient or aborted)\n",
                s->line, stmt, p->file_names[s->file]);
    }
}

/* A trace that could not be read (or a PATH that names none), in --json:
 * one object per policy asked for, as a trace error of each. */
static void print_json_error(const char *path, unsigned policies,
                             const char *err)
{
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        if (!(policies & (1u << pol)))
            continue;
        printf("{\"trace\":");
        json_string(stdout, path);
        printf(",\"policy\":\"%s\",\"pass\":false,\"error\":",
               policy_name((enum policy)pol));
        json_string(stdout, err);
        printf("}\n");
    }
}

static void print_json(const char *path, enum policy pol,
                       const struct program *p, const struct judgement *j)
{
    FILE *o = stdout;
    fprintf(o, "{\"trace\":");
    json_string(o, path);
    fprintf(o, ",\"policy\":\"%s\"", policy_name(pol));
    if (j->trace_error) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s:%u: %s", path, j->err.line, j->err.msg);
        fprintf(o, ",\"pass\":false,\"error\":");
        json_string(o, msg);
        fprintf(o, "}\n");
        return;
    }
    const struct verdict *v = &j->verdict;
    fprintf(o, ",\"pass\":%s,\"expectations\":%u,\"failed\":%u,\"files\":{",
            j->failed ? "false" : "true", j->applicable, j->failed);
    bool first = true;
    for (uint32_t f = 0; f < v->nfiles; f++) {
        if (!program_makes_file(p, (uint16_t)f))
            continue;
        fprintf(o, "%s", first ? "" : ",");
        first = false;
        json_string(o, p->file_names[f]);
        fprintf(o, ":{\"state\":\"%s\",\"bytes\":%llu}",
                outcome_name((enum outcome)v->files[f].state),
                (unsigned long long)v->files[f].bytes);
    }
    fprintf(o, "},\"findings\":[");
    for (uint32_t i = 0; i < v->nfindings; i++) {
        const struct finding *f = &v->findings[i];
        char why[256];
        finding_explain(f, p->file_names[f->file], why, sizeof why);
        fprintf(o, "%s{\"kind\":\"%s\",\"hazard\":%s,\"file\":", i ? "," : "",
                finding_kind_name((enum finding_kind)f->kind),
                finding_is_hazard((enum finding_kind)f->kind) ? "true"
                                                              : "false");
        json_string(o, p->file_names[f->file]);
        fprintf(o, ",\"index\":%u,\"explanation\":", f->index);
        json_string(o, why);
        fputc('}', o);
    }
    fprintf(o, "],\"failures\":[");
    for (uint32_t i = 0; i < j->failed && i < JUDGE_MAX_REPORTED_FAILURES;
         i++) {
        const struct step *s = &p->steps[j->failures[i].step];
        char stmt[128];
        trace_print_step(p, s, stmt, sizeof stmt);
        fprintf(o, "%s{\"line\":%u,\"expect\":", i ? "," : "", s->line);
        json_string(o, stmt);
        fprintf(o, ",\"got\":");
        json_string(o, j->failures[i].got);
        fputc('}', o);
    }
    fputc(']', o);
    print_json_failures_cut(o, j);
    fprintf(o, "}\n");
}

/* Returns 0 pass, 1 expectation failure, 2 trace error. */
static int replay_one(struct judge *jd, const char *path,
                      const struct replay_opts *o, struct program *p,
                      struct tally *t)
{
    char err[512];
    t->traces++;
    if (load_program(path, p, jd->model, err, sizeof err) < 0) {
        t->trace_errors++;
        if (o->json) {
            print_json_error(path, o->policies, err);
        } else {
            fprintf(stderr, "%s\n", err);
        }
        return 2;
    }
    int worst = 0;
    struct judgement j;
#ifdef TERNRIG_HAVE_REAL
    if (o->mount) {
        enum policy pol = (enum policy)__builtin_ctz(o->policies);
        static struct real_outcome ro;
        int rr = o->own && real_needs_own_mount(p, pol)
                     ? real_replay_own(jd, p, pol, &ro)
                     : real_replay(jd, p, pol, o->mount, o->log, &ro);
        if (rr < 0) {
            fprintf(stderr, "%s: real replay failed: %s\n", path, ro.reason);
            t->trace_errors++;
            return 2;
        }
        if (ro.skipped) {
            printf("SKIP  %-17s %s  (%s)\n", policy_name(pol), path,
                   ro.reason);
            return 0;
        }
        real_sched_add(&t->sched, &ro);
        t->runs[pol]++;
        bool pass = ro.failed == 0;
        t->passed[pol] += pass;
        bool seen[FIND_KIND_COUNT] = {0};
        for (uint32_t i = 0; i < ro.verdict.nfindings; i++)
            seen[ro.verdict.findings[i].kind] = true;
        for (int k = 0; k < FIND_KIND_COUNT; k++)
            t->found[pol][k] += seen[k];
        if (!(o->quiet && pass)) {
            char open[64] = "";
            if (ro.unjudged)
                snprintf(open, sizeof open, ", %u open without a flush log",
                         ro.unjudged);
            printf("%s  %-17s %s  (real, %u statements, %u expectation%s "
                   "judged%s; %s)\n",
                   pass ? "PASS" : "FAIL", policy_name(pol), path, ro.steps,
                   ro.applicable, ro.applicable == 1 ? "" : "s", open,
                   ro.schedule);
            print_files(stdout, p, &ro.verdict);
            print_findings(stdout, p, &ro.verdict);
            j.failed = ro.failed;
            memcpy(j.failures, ro.failures, sizeof j.failures);
            print_failures(stdout, ro.judged_by, &j);
            print_open(stdout, ro.judged_by, pol, &ro.verdict);
        }
        t->open_expectations += ro.unjudged;
        return pass ? 0 : 1;
    }
#endif
    for (int pol = 0; pol < POLICY_COUNT; pol++) {
        if (!(o->policies & (1u << pol)))
            continue;
        judge_run(jd, p, (enum policy)pol, &j);
        if (o->json) {
            print_json(path, (enum policy)pol, p, &j);
        }
        if (j.trace_error) {
            if (!o->json)
                fprintf(stderr, "%s:%u: %s\n", path, j.err.line, j.err.msg);
            /* validity never depends on the policy: the others fail alike */
            for (int q = pol + 1; o->json && q < POLICY_COUNT; q++)
                if (o->policies & (1u << q))
                    print_json(path, (enum policy)q, p, &j);
            t->trace_errors++;
            return 2;
        }
        t->runs[pol]++;
        bool pass = j.failed == 0;
        t->passed[pol] += pass;
        bool seen[FIND_KIND_COUNT] = {0};
        for (uint32_t i = 0; i < j.verdict.nfindings; i++)
            seen[j.verdict.findings[i].kind] = true;
        for (int k = 0; k < FIND_KIND_COUNT; k++)
            t->found[pol][k] += seen[k];
        if (!pass && worst < 1)
            worst = 1;
        if (o->json || (o->quiet && pass))
            continue;
        printf("%s  %-17s %s  (%u expectation%s)\n", pass ? "PASS" : "FAIL",
               policy_name((enum policy)pol), path, j.applicable,
               j.applicable == 1 ? "" : "s");
        print_files(stdout, p, &j.verdict);
        print_findings(stdout, p, &j.verdict);
        print_failures(stdout, p, &j);
        if (o->verbose) {
            printf("      timeline:\n");
            print_timeline(stdout, p, jd->model, &j.verdict,
                           (enum policy)pol);
        }
    }
    return worst;
}

static void print_summary(const struct tally *t, unsigned policies)
{
    printf("\nWhat each policy gets wrong: traces with each finding, out of "
           "%u trace%s\n\n",
           t->traces, t->traces == 1 ? "" : "s");
    printf("%-22s", "");
    for (int p = 0; p < POLICY_COUNT; p++)
        if (policies & (1u << p))
            printf(" %17s", policy_name((enum policy)p));
    printf("\n");
    for (int k = 0; k < FIND_KIND_COUNT; k++) {
        printf("%-22s", finding_kind_name((enum finding_kind)k));
        for (int p = 0; p < POLICY_COUNT; p++)
            if (policies & (1u << p))
                printf(" %17u", t->found[p][k]);
        printf("%s\n", finding_is_hazard((enum finding_kind)k) ? "  (hazard)"
                                                               : "");
    }
    printf("%-22s", "expectations hold");
    for (int p = 0; p < POLICY_COUNT; p++)
        if (policies & (1u << p)) {
            char cell[32];
            snprintf(cell, sizeof cell, "%u/%u", t->passed[p], t->runs[p]);
            printf(" %17s", cell);
        }
    printf("\n");
    if (t->open_expectations)
        printf("\n%u expectation%s left open: judged from looks alone (no "
               "flush log), a file never seen is transient or aborted\n",
               t->open_expectations, t->open_expectations == 1 ? "" : "s");
    if (t->trace_errors)
        printf("\n%u trace error%s (see above)\n", t->trace_errors,
               t->trace_errors == 1 ? "" : "s");
}

int cmd_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"all-policies", no_argument, 0, 'a'},
        {"verbose", no_argument, 0, 'v'},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        {"real", no_argument, 0, 'r'},
        {"mount", required_argument, 0, 'm'},
        {"no-log", no_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    bool no_log = false;
    struct replay_opts o = {1u << POLICY_REFERENCE, false, false, false,
                            NULL, NULL, false};
    bool chose_policy = false, all = false, real = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:avjqrm:h", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("replay", optarg, &pol))
                return 2;
            o.policies = 1u << pol;
            chose_policy = true;
            break;
        }
        case 'a': all = true; break;
        case 'v': o.verbose = true; break;
        case 'j': o.json = true; break;
        case 'q': o.quiet = true; break;
        case 'r': real = true; break;
        case 'm': o.mount = optarg; break;
        case 'L': no_log = true; break;
        case 'h':
            policy_help(replay_help);
            print_statements(stdout);
            return 0;
        default: return usage_error("replay", "bad option");
        }
    }
    if (all && chose_policy)
        return usage_error("replay",
                           "--policy and --all-policies exclude each other");
    if (all)
        o.policies = POLICY_MASK_ALL;
    if (o.json && o.verbose)
        return usage_error("replay", "-v and --json exclude each other");
    if (optind >= argc)
        return usage_error("replay", "no trace given");
    if ((real || o.mount) && (all || o.json || o.verbose))
        return usage_error("replay", "--real/--mount run one policy, without "
                                     "--all-policies, --json or -v");
    if (real && o.mount)
        return usage_error("replay", "--real mounts its own filesystem: "
                                     "give --real or --mount, not both");
    if (no_log && !o.mount)
        return usage_error("replay", "--no-log goes with --mount");
#ifdef TERNRIG_HAVE_REAL
    static char mount_log[4096];
    if (o.mount) {
        struct stat st;
        if (stat(o.mount, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "ternrig replay: --mount %s: %s\n", o.mount,
                    stat(o.mount, &st) != 0 ? strerror(errno)
                                            : "not a directory");
            return 2;
        }
        enum policy pol;
        if (!chose_policy && real_mount_policy(o.mount, &pol))
            o.policies = 1u << pol; /* what ternrig fs says it runs */
        if (!no_log && real_mount_log(o.mount, mount_log, sizeof mount_log))
            o.log = mount_log;
        char bad[4400];
        if (o.log && real_mount_log_usable(o.log, bad, sizeof bad) < 0) {
            fprintf(stderr, "ternrig replay: --mount %s: %s (--no-log "
                            "judges from looks alone)\n",
                    o.mount, bad);
            return 2;
        }
    }
    struct real_mount rm = {0};
    /* the handlers before the mount: a SIGINT while it is being made
     * takes it down with its directory, instead of leaving them */
    if (o.mount || real)
        real_stop_on_signals(real ? &rm : NULL);
    if (real) {
        char why[256];
        enum policy pol = (enum policy)__builtin_ctz(o.policies);
        if (real_mount_start_late(&rm, NULL, pol, why, sizeof why) < 0) {
            real_stop_on_signals_off();
            fprintf(stderr, "ternrig replay --real: %s\n", why);
            return 2;
        }
        o.mount = rm.dir;
        o.log = rm.log;
        o.own = true;
    }
#else
    if (real || o.mount)
        return usage_error("replay", "this ternrig was built without "
                                     "libfuse3: no real replay");
#endif

    struct judge jd;
    struct program *p = malloc(sizeof *p);
    if (!p || judge_init(&jd) < 0) {
        fprintf(stderr, "ternrig replay: out of memory\n");
        free(p);
        return 2;
    }
    struct tally t = {0};
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        struct path_list l = {.cmd = "replay"};
        char err[512];
        if (collect_traces(argv[i], &l, err, sizeof err) < 0) {
            if (o.json)
                print_json_error(argv[i], o.policies, err);
            fprintf(stderr, "ternrig replay: %s\n", err);
            worst = 2;
            t.trace_errors++;
            path_list_free(&l);
            continue;
        }
        for (size_t k = 0; k < l.n; k++) {
            int rc = replay_one(&jd, l.paths[k], &o, p, &t);
            if (rc > worst)
                worst = rc;
        }
        path_list_free(&l);
    }
    bool ran = false;
    for (int pol = 0; pol < POLICY_COUNT; pol++)
        ran |= t.runs[pol] > 0;
    if (!o.json && ran)
        print_summary(&t, o.policies);
#ifdef TERNRIG_HAVE_REAL
    if (!o.json && ran && o.mount) {
        printf("\n");
        real_sched_print(stdout, &t.sched);
    }
#endif
    judge_destroy(&jd);
    free(p);
#ifdef TERNRIG_HAVE_REAL
    /* (the handlers stay until the mount is down: a SIGINT meanwhile
     * finishes the same stop) */
    if (real && real_mount_stop(&rm) != 0) {
        fprintf(stderr, "ternrig replay: the filesystem did not unmount "
                        "cleanly\n");
        worst = 2;
    }
    if (o.mount)
        real_stop_on_signals_off();
#endif
    return worst;
}
