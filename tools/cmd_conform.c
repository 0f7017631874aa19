/* cmd_conform.c - `ternrig conform`: the model against the real kernel. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "judge.h"
#include "load.h"
#include "util.h"
#ifdef TERNRIG_HAVE_REAL
#include "real_exec.h"
#include "real_mount.h"
#endif

static const char conform_help[] =
    "usage: ternrig conform [--policy P] [-v] [TRACE|DIR...]\n"
    "\n"
    "Run each trace (default: corpus/traces) in the model and for real on\n"
    "the embedded filesystem (ternrig fs, mounted in a temporary directory,\n"
    "with its flush log), and compare step by step the flushes the kernel\n"
    "issued (which process, mm alive or gone, the decision) with those the\n"
    "model predicted, and the final states with the trace's expectations.\n"
    "Any difference is a bug in the model or in SPEC.md's Linux facts.\n"
    "Needs root and /dev/fuse.\n"
    "\n"
    "The kernel chooses two things a trace may fix (SPEC v2 `reuses` and\n"
    "`order`): which freed task_struct a new task gets, and in which order\n"
    "the threads of a dying group exit.  With BPF contexts each run learns\n"
    "what the kernel chose (the new task's task_struct pointer; at each\n"
    "teardown flush, whether the leader still had its mm) and is compared\n"
    "with the model under that schedule, once, without reruns.  As root the\n"
    "dying threads are stopped at their exit with ptrace and released one\n"
    "at a time in the written order; task_struct reuse is helped by CPU\n"
    "pinning and an RCU barrier.  Each line says which schedule ran (\"as\n"
    "written\" or \"schedule taken: ...\"), and the end gives how often the\n"
    "kernel followed the written schedule, per statement kind.\n"
    "\n"
    "  -p, --policy P  run under P (repeatable; default: every policy;\n"
    "                  those reading kernel-only facts need BPF contexts)\n"
    "  -v, --verbose   print conforming traces too\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 everything conforms, 1 a difference, 2 setup error.\n";

#ifdef TERNRIG_HAVE_REAL
#include <stdarg.h>

/* The report: appended to, never past its end. */
struct report {
    char buf[1 << 15];
    size_t len;
};

static void say(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct report *r, const char *fmt, ...)
{
    size_t room = sizeof r->buf - r->len;
    if (room <= 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < room ? (size_t)n : room - 1;
}

int cmd_conform(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    unsigned policies = 0; /* none chosen: all */
    bool verbose = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("conform", optarg, &pol))
                return 2;
            policies |= 1u << pol;
            break;
        }
        case 'v': verbose = true; break;
        case 'h': return policy_help(conform_help);
        default: return usage_error("conform", "bad option");
        }
    }
    if (!policies)
        policies = POLICY_MASK_ALL;
    struct path_list l = {0};
    char err[512];
    int nargs = argc - optind;
    const char *deflt = "corpus/traces";
    for (int i = 0; i < (nargs ? nargs : 1); i++)
        if (collect_traces(nargs ? argv[optind + i] : deflt, &l, err,
                           sizeof err) < 0) {
            fprintf(stderr, "ternrig conform: %s\n", err);
            path_list_free(&l);
            return 2;
        }
    struct judge jd;
    struct program *p = malloc(sizeof *p);
    if (!p || judge_init(&jd) < 0) {
        free(p);
        path_list_free(&l);
        return 2;
    }
    int worst = 0;
    printf("%-18s %10s %8s %8s %9s %9s\n", "policy", "conform", "differ",
           "skipped", "flushes", "sched taken");
    struct real_sched_tally sched = {0};
    static struct real_outcome ro;
    static struct report rep;
    rep.len = 0;

    for (int pol = 0; pol < POLICY_COUNT && worst < 2; pol++) {
        if (!(policies & (1u << pol)))
            continue;
        static struct real_mount rm;
        /* the handlers before the mount, and until it is down: a SIGINT
         * while it is made or taken down leaves neither it nor its
         * directory */
        real_stop_on_signals(&rm);
        if (real_mount_start_late(&rm, NULL, (enum policy)pol, err,
                                  sizeof err) < 0) {
            real_stop_on_signals_off();
            fprintf(stderr, "ternrig conform: %s\n", err);
            worst = 2;
            break;
        }
        unsigned ok = 0, bad = 0, skipped = 0, flushes = 0, taken = 0;
        for (size_t k = 0; k < l.n; k++) {
            struct trace_error te;
            if (load_program(l.paths[k], p, jd.model, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", err);
                worst = 2;
                continue;
            }
            if (model_check(jd.model, p, &te) < 0) {
                fprintf(stderr, "%s:%u: %s\n", l.paths[k], te.line, te.msg);
                worst = 2;
                continue;
            }
            /* a trace with a small close tracker gets a mount of its own:
             * the shared one's map holds the earlier traces' counters */
            int rr = real_needs_own_mount(p, (enum policy)pol)
                         ? real_replay_own(&jd, p, (enum policy)pol, &ro)
                         : real_replay(&jd, p, (enum policy)pol, rm.dir,
                                       rm.log, &ro);
            if (rr < 0) {
                fprintf(stderr, "%s: %s\n", l.paths[k], ro.reason);
                worst = 2;
                continue;
            }
            if (ro.skipped) {
                skipped++;
                if (verbose)
                    say(&rep, "SKIP     %s %s: %s\n",
                        policy_name((enum policy)pol), l.paths[k], ro.reason);
                continue;
            }
            real_sched_add(&sched, &ro);
            taken += ro.schedule_differs > 0;
            flushes += ro.flushes_compared;
            bool differs = ro.ndiffs > 0 || ro.failed > 0;
            differs ? bad++ : ok++;
            if (differs || verbose || ro.schedule_differs)
                say(&rep, "%s %s %s (%u flushes compared; %s)\n",
                    differs ? "DIFFERS " : "CONFORMS",
                    policy_name((enum policy)pol), l.paths[k],
                    ro.flushes_compared, ro.schedule);
            for (unsigned d = 0; d < ro.ndiffs && d < 8; d++)
                say(&rep, "    %s\n", ro.diffs[d]);
            for (uint32_t d = 0; d < ro.failed && d < 4; d++)
                say(&rep, "    expectation failed, line %u: %s\n",
                    ro.judged_by->steps[ro.failures[d].step].line,
                    ro.failures[d].got);
        }
        if (real_mount_stop(&rm) != 0 && worst < 2)
            worst = 2;
        real_stop_on_signals_off();
        printf("%-18s %6u/%-3u %8u %8u %9u %9u\n",
               policy_name((enum policy)pol), ok, ok + bad, bad, skipped,
               flushes, taken);
        if (bad && worst < 1)
            worst = 1;
    }
    if (rep.len)
        printf("\n%s", rep.buf);
    printf("\n");
    real_sched_print(stdout, &sched);
    judge_destroy(&jd);
    free(p);
    path_list_free(&l);
    return worst;
}
#else
int cmd_conform(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ternrig conform: built without libfuse3\n");
    return 2;
}
#endif
