/* cmd_stress.c - `ternrig stress`: the storm's command line, its progress,
 * summary table, JSON report and JUnit XML. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "util.h"

static const char stress_help[] =
    "usage: ternrig stress [--mount DIR] [--policy P] [--duration 60s]\n"
    "                      [--workers N] [--seed S] [--kill-rate R]\n"
    "                      [--steps N] [--load SPEC] [--out DIR]\n"
    "                      [--report FILE.json] [--junit FILE.xml]\n"
    "                      [--calibrate] [--no-ledger] [--no-log]\n"
    "                      [--closetracker-map N]\n"
    "\n"
    "A storm of real processes creating, writing (io_uring, batched, a\n"
    "verifiable content pattern), forking, vforking, spawning threads,\n"
    "exec'ing, unsharing, dup2'ing, close_range'ing, passing fds and being\n"
    "SIGKILLed, on a mounted filesystem.  Each worker runs random scenario\n"
    "programs of the trace language through the real executor; a crash-safe\n"
    "ledger records an intent and a result around every statement; an\n"
    "observer polls the directory; the oracle judges what really happened.\n"
    "Every violation comes with its evidence and a reproducer .trace.\n"
    "\n"
    "  -m, --mount DIR     work in a fresh subdirectory of DIR (a TernFS\n"
    "                      mount, or tmpfs as a negative control); default:\n"
    "                      mount the embedded filesystem in a temp dir\n"
    "  -p, --policy P      the embedded fs's policy, or the one DIR runs\n"
    "                      (default: what a ternrig fs mount reports, else\n"
    "                      reference; those reading kernel-only facts need\n"
    "                      BPF contexts on the embedded fs)\n"
    "  -d, --duration T    how long: 90, 90s, 10m, 1h (default 60s)\n"
    "  -w, --workers N     worker processes (default: 4 per core, max 64;\n"
    "                      workers mostly wait on the fs, so more than one\n"
    "                      per core pays: 8 run 15% faster than 4 on 2 cores)\n"
    "  -s, --seed S        generator seed (default: from the clock; printed)\n"
    "  -k, --kill-rate R   SIGKILLs per second, all workers together: a\n"
    "                      quarter kill a whole worker (its scenario is cut\n"
    "                      mid-statement), the rest a process of a scenario\n"
    "                      at a random point of a statement (default 2)\n"
    "      --steps N       statements per scenario (default 32)\n"
    "      --interleave K  each scenario interleaves K independent random\n"
    "                      programs, statement by statement (1..4, default 2)\n"
    "      --closetracker-map N\n"
    "                      under fuse-closetracker, the embedded fs's close\n"
    "                      tracker holds N counters (1..1048576, default\n"
    "                      TernFS's 1,048,576), one map for the whole storm.\n"
    "                      It counts every close(2) on the mount: the\n"
    "                      workers', and the observer's too (its read-only\n"
    "                      opens of the sealed files it checks, and of the\n"
    "                      directories it lists), so a small map fills and\n"
    "                      new files stop being sealed (lost-file)\n"
    "  -l, --load SPEC     run stress-ng beside the storm: SPEC is\n"
    "                      stressor:N[,stressor:N...], e.g. cpu:2,vm:1 or\n"
    "                      dentry:1,open:1 (its --temp-path is in the storm's\n"
    "                      directory)\n"
    "  -o, --out DIR       reproducers go to DIR/reproducers (default\n"
    "                      ternrig-stress-out)\n"
    "  -r, --report FILE   the JSON report\n"
    "  -j, --junit FILE    JUnit XML for a CI server\n"
    "                      (DIR, and the folders of FILE, are made before\n"
    "                      the run; one that cannot be written, or inside\n"
    "                      --mount, refuses it, exit 2, instead of losing\n"
    "                      its results; a reproducer that cannot be written\n"
    "                      during the run is said at once and makes the\n"
    "                      exit status 2)\n"
    "      --calibrate     first measure this machine's raw fork+exit+wait\n"
    "                      and fork+exec rates (1 s each, one loop, then\n"
    "                      one loop per CPU at once), and report the\n"
    "                      storm's rates as a ratio of the one loop's\n"
    "      --no-log        with --mount: judge from looks alone even when\n"
    "                      DIR is a ternrig fs mount that reports its flush\n"
    "                      log (user.ternrig.log), as on any foreign mount\n"
    "      --no-ledger     no ledger, no observer, nothing judged: the\n"
    "                      baseline of the ledger overhead benchmark\n"
    "  -q, --quiet         no progress\n"
    "  -h, --help          this help\n"
    "\n"
    "Progress: a live line on a terminal, else a line every 10 s.  Exit\n"
    "status: 0 clean, 1 violations found, 2 usage or environment error,\n"
    "a reproducer that could not be written, or a storm most of whose runs\n"
    "failed (OUT/failed-runs says why): it did not exercise the filesystem\n"
    "(the reports say the rest).\n"
    "Needs root and /dev/fuse for the embedded filesystem.  Leaves no\n"
    "process, mount or temporary directory behind, and cleans up after a\n"
    "storm that was itself killed.\n";

#ifdef TERNRIG_HAVE_REAL
#include "real_mount.h"
#include "stress.h"

static bool parse_duration(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    if (!strcmp(end, "") || !strcmp(end, "s"))
        *out = v;
    else if (!strcmp(end, "m"))
        *out = v * 60;
    else if (!strcmp(end, "h"))
        *out = v * 3600;
    else
        return false;
    return *out > 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The machine's raw rates, measured the way the storm forks and execs:
 * fork + _exit + waitpid, and fork + execve(ternrig __noop) + waitpid,
 * one loop (`serial`), and one loop per CPU at once (`all`: what the
 * machine can do in total; on a paravirtualised guest process creation
 * may not scale with CPUs at all). */
struct raw_rates {
    double fork, exec;         /* one loop, per second */
    double fork_all, exec_all; /* one loop per CPU, summed */
    long cpus;
};

static double raw_rate(bool exec)
{
    unsigned n = 0;
    double t0 = now_s(), t;
    while ((t = now_s() - t0) < 1.0) {
        pid_t p = fork();
        if (p == 0) {
            if (exec)
                execl("/proc/self/exe", "ternrig", "__noop", (char *)NULL);
            _exit(0);
        }
        if (p < 0)
            break;
        waitpid(p, NULL, 0);
        n++;
    }
    return t > 0 ? n / t : 0;
}

/* raw_rate in `cpus` processes at once, their rates summed (0 when one
 * could not run). */
static double raw_rate_all(bool exec, long cpus)
{
    int fds[2];
    if (cpus < 1 || pipe(fds) < 0)
        return 0;
    long started = 0;
    for (; started < cpus; started++) {
        pid_t p = fork();
        if (p < 0)
            break;
        if (p == 0) {
            close(fds[0]);
            double r = raw_rate(exec);
            _exit(write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
        }
    }
    close(fds[1]);
    double sum = 0, r;
    long got = 0;
    while (read(fds[0], &r, sizeof r) == sizeof r) {
        sum += r;
        got++;
    }
    close(fds[0]);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    return got == cpus ? sum : 0;
}

static void calibrate(struct raw_rates *raw)
{
    raw->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    raw->fork = raw_rate(false);
    raw->exec = raw_rate(true);
    raw->fork_all = raw_rate_all(false, raw->cpus);
    raw->exec_all = raw_rate_all(true, raw->cpus);
}

static struct stress_result result;

static void on_signal(int sig)
{
    (void)sig;
    stress_request_stop();
}

static void json_counts(FILE *f, const struct stress_counts *c)
{
    fprintf(f,
            "\"scenarios\":%llu,\"steps\":%llu,\"forks\":%llu,\"execs\":%llu,"
            "\"kills\":%llu,\"worker_kills\":%llu,\"sealed\":%llu,"
            "\"aborted\":%llu,\"uncertain\":%llu,\"violations\":%llu,"
            "\"unjudged\":%llu,\"failed_runs\":%llu,\"observations\":%llu,"
            "\"ledger_records\":%llu,\"ledger_lost\":%llu,\"ledger_torn\":%llu,"
            "\"content_mismatches\":%llu",
            (unsigned long long)c->scenarios, (unsigned long long)c->steps,
            (unsigned long long)c->forks, (unsigned long long)c->execs,
            (unsigned long long)c->kills, (unsigned long long)c->worker_kills,
            (unsigned long long)c->sealed, (unsigned long long)c->aborted,
            (unsigned long long)c->uncertain,
            (unsigned long long)c->violations,
            (unsigned long long)c->unjudged,
            (unsigned long long)c->failed_runs,
            (unsigned long long)c->observations,
            (unsigned long long)c->ledger_records,
            (unsigned long long)c->ledger_lost,
            (unsigned long long)c->ledger_torn,
            (unsigned long long)c->content_bad);
}

static int write_json(const char *path, const struct stress_options *o,
                      const struct stress_result *r,
                      const struct raw_rates *raw, int exit_code)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ternrig stress: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\"tool\":\"ternrig stress\",\"version\":1,\"policy\":");
    json_string(f, policy_name(o->policy));
    fprintf(f, ",\"mount\":");
    json_string(f, r->embedded ? "embedded" : r->mount);
    fprintf(f, ",\"flush_log\":%s", r->have_log ? "true" : "false");
    fprintf(f, ",\"seed\":%llu,\"duration_s\":%.3f,\"elapsed_s\":%.3f,"
               "\"workers\":%u,\"kill_rate\":%.3f,\"steps_per_scenario\":%u,"
               "\"interleave\":%u,\"ledger\":%s,",
            (unsigned long long)o->seed, o->duration_s, r->elapsed_s,
            o->workers, o->kill_rate, o->steps, o->interleave,
            o->no_ledger_observer ? "false" : "true");
    fprintf(f, "\"load\":");
    json_string(f, r->load_note);
    fprintf(f, ",\"totals\":{");
    json_counts(f, &r->c);
    double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
    fprintf(f, "},\"rates\":{\"scenarios_per_s\":%.2f,\"forks_per_s\":%.2f,"
               "\"execs_per_s\":%.2f",
            r->c.scenarios / el, r->c.forks / el, r->c.execs / el);
    if (raw->fork > 0)
        fprintf(f, ",\"raw_fork_exit_wait_per_s\":%.1f,"
                   "\"raw_fork_exec_per_s\":%.1f,"
                   "\"raw_fork_exit_wait_all_cpus_per_s\":%.1f,"
                   "\"raw_fork_exec_all_cpus_per_s\":%.1f,\"cpus\":%ld",
                raw->fork, raw->exec, raw->fork_all, raw->exec_all, raw->cpus);
    fprintf(f, "},\"timeline\":[");
    for (unsigned i = 0; i < r->nsamples; i++) {
        fprintf(f, "%s{\"t\":%.2f,", i ? "," : "", r->samples[i].t);
        json_counts(f, &r->samples[i].c);
        const struct stress_sample *sm = &r->samples[i];
        if (sm->fs_rss_kb)
            fprintf(f, ",\"fs_rss_kb\":%llu",
                    (unsigned long long)sm->fs_rss_kb);
        if (sm->fs_requests)
            fprintf(f, ",\"fs_requests\":%llu",
                    (unsigned long long)sm->fs_requests);
        fprintf(f, ",\"supervisor_rss_kb\":%llu}",
                (unsigned long long)sm->sup_rss_kb);
    }
    fprintf(f, "],\"by_kind\":{");
    bool first = true;
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        if (r->by_kind[k]) {
            fprintf(f, "%s\"%s\":%llu", first ? "" : ",",
                    finding_kind_name((enum finding_kind)k),
                    (unsigned long long)r->by_kind[k]);
            first = false;
        }
    fprintf(f, "},\"first_detection\":{");
    first = true;
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        if (r->first[k] >= 0) {
            fprintf(f, "%s\"%s\":%.3f", first ? "" : ",",
                    finding_kind_name((enum finding_kind)k), r->first[k]);
            first = false;
        }
    fprintf(f, "},\"lost_after_close\":%llu",
            (unsigned long long)r->lost_after_close);
    if (r->first_lost_after_close >= 0)
        fprintf(f, ",\"first_lost_after_close\":%.3f",
                r->first_lost_after_close);
    fprintf(f, ",\"findings\":[");
    for (unsigned i = 0; i < r->nfindings; i++) {
        const struct stress_finding *sf = &r->findings[i];
        fprintf(f, "%s{\"kind\":\"%s\",\"file\":", i ? "," : "",
                finding_kind_name((enum finding_kind)sf->kind));
        json_string(f, sf->file);
        fprintf(f, ",\"t\":%.3f,\"scenario\":\"%08x\",\"explain\":", sf->t,
                sf->scen);
        json_string(f, sf->explain);
        fprintf(f, ",\"reproducer\":");
        json_string(f, sf->reproducer);
        fprintf(f, ",\"evidence\":[");
        for (unsigned e = 0; e < sf->nevidence; e++) {
            fprintf(f, "%s", e ? "," : "");
            json_string(f, sf->evidence[e]);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "],\"reproducers_unwritten\":%u", r->unwritten);
    if (r->unwritten) {
        fprintf(f, ",\"reproducers_unwritten_first\":");
        json_string(f, r->unwritten_why);
    }
    fprintf(f, ",\"exit\":%d}\n", exit_code);
    if (close_output(f) < 0) {
        fprintf(stderr, "ternrig stress: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
}

/* One test case per violation kind: failed with the first reproducers, or
 * passed. */
static int write_junit(const char *path, const struct stress_options *o,
                       const struct stress_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ternrig stress: %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned failures = 0;
    for (int k = 0; k < FIND_FIRST_HAZARD; k++)
        failures += r->by_kind[k] != 0;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites>\n<testsuite name=\"ternrig stress %s\" "
               "tests=\"%d\" failures=\"%u\" time=\"%.3f\">\n",
            policy_name(o->policy), FIND_FIRST_HAZARD, failures,
            r->elapsed_s);
    for (int k = 0; k < FIND_FIRST_HAZARD; k++) {
        const char *kind = finding_kind_name((enum finding_kind)k);
        fprintf(f, "  <testcase classname=\"stress.%s\" name=\"%s\" "
                   "time=\"%.3f\">\n",
                policy_name(o->policy), kind, r->elapsed_s);
        if (r->by_kind[k]) {
            fprintf(f, "    <failure message=\"%llu %s violation(s), first "
                       "after %.1f s\">",
                    (unsigned long long)r->by_kind[k], kind, r->first[k]);
            for (unsigned i = 0; i < r->nfindings; i++) {
                const struct stress_finding *sf = &r->findings[i];
                if (sf->kind != k)
                    continue;
                xml_text(f, sf->explain);
                fputs("\n", f);
                for (unsigned e = 0; e < sf->nevidence; e++) {
                    fputs("  ", f);
                    xml_text(f, sf->evidence[e]);
                    fputs("\n", f);
                }
                fputs("  reproducer: ", f);
                xml_text(f, sf->reproducer);
                fputs("\n", f);
            }
            fprintf(f, "</failure>\n");
        }
        fprintf(f, "  </testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    if (close_output(f) < 0) {
        fprintf(stderr, "ternrig stress: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void summary(FILE *out, const struct stress_options *o,
                    const struct stress_result *r,
                    const struct raw_rates *raw)
{
    double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
    const struct stress_counts *c = &r->c;
    fprintf(out, "\nternrig stress: policy %s on %s, %u workers, seed %llu, "
                 "%.1f s\n",
            policy_name(o->policy), r->mount, o->workers,
            (unsigned long long)o->seed, r->elapsed_s);
    fprintf(out, "judged from: %s\n",
            r->have_log ? "the filesystem's flush log, and looks"
                        : "looks alone (no flush log): a file's state is "
                          "what a look after a statement proved");
    if (r->load_note[0])
        fprintf(out, "load: %s\n", r->load_note);
    fprintf(out, "  %-22s %12s %12s\n", "", "total", "per second");
    fprintf(out, "  %-22s %12llu %12.1f\n", "scenarios",
            (unsigned long long)c->scenarios, c->scenarios / el);
    fprintf(out, "  %-22s %12llu %12.1f\n", "statements",
            (unsigned long long)c->steps, c->steps / el);
    fprintf(out, "  %-22s %12llu %12.1f", "forks (fork, vfork)",
            (unsigned long long)c->forks, c->forks / el);
    if (raw->fork > 0)
        fprintf(out, "   %.0f%% of raw fork+exit+wait (%.0f/s; %.0f/s on "
                     "all %ld CPUs at once)",
                100 * c->forks / el / raw->fork, raw->fork, raw->fork_all,
                raw->cpus);
    fprintf(out, "\n  %-22s %12llu %12.1f", "execs",
            (unsigned long long)c->execs, c->execs / el);
    if (raw->exec > 0)
        fprintf(out, "   %.0f%% of raw fork+exec (%.0f/s; %.0f/s on all "
                     "%ld CPUs at once)",
                100 * c->execs / el / raw->exec, raw->exec, raw->exec_all,
                raw->cpus);
    fprintf(out, "\n  %-22s %12llu   (%llu whole workers)\n", "kills",
            (unsigned long long)c->kills,
            (unsigned long long)c->worker_kills);
    if (!o->no_ledger_observer) {
        fprintf(out, "  %-22s %12llu\n", "files sealed",
                (unsigned long long)c->sealed);
        fprintf(out, "  %-22s %12llu\n", "files aborted",
                (unsigned long long)c->aborted);
        fprintf(out, "  %-22s %12llu\n", "uncertain statements",
                (unsigned long long)c->uncertain);
        fprintf(out, "  %-22s %12llu   (%llu not the bytes written%s)\n",
                "observations", (unsigned long long)c->observations,
                (unsigned long long)c->content_bad,
                c->content_bad ? ": see OUT/content" : "");
        fprintf(out, "  %-22s %12llu   (%llu lost, %llu torn)\n",
                "ledger records", (unsigned long long)c->ledger_records,
                (unsigned long long)c->ledger_lost,
                (unsigned long long)c->ledger_torn);
        if (c->unjudged || c->failed_runs)
            fprintf(out, "  %-22s %12llu   (%llu runs failed)\n",
                    "scenarios not judged", (unsigned long long)c->unjudged,
                    (unsigned long long)c->failed_runs);
        fprintf(out, "\n  %-22s %12s %18s\n", "violation", "count",
                "first after (s)");
        for (int k = 0; k < FIND_FIRST_HAZARD; k++) {
            fprintf(out, "  %-22s %12llu",
                    finding_kind_name((enum finding_kind)k),
                    (unsigned long long)r->by_kind[k]);
            if (r->first[k] >= 0)
                fprintf(out, " %18.2f", r->first[k]);
            fprintf(out, "\n");
        }
        if (policy_needs(o->policy, POLICY_FACT_CLOSE_COUNT)) {
            fprintf(out, "  %-22s %12llu",
                    "  of which after close",
                    (unsigned long long)r->lost_after_close);
            if (r->first_lost_after_close >= 0)
                fprintf(out, " %18.2f", r->first_lost_after_close);
            fprintf(out,
                    "\n\n  The close tracker counts every close(2) on the "
                    "mount in one map\n  (%u entries): the workers' closes, "
                    "and the observer's too (its\n  read-only opens of the "
                    "sealed files it checks, and of the\n  directories it "
                    "lists, each take an entry for good).  A lost-file\n  "
                    "after a close(2) is a close that was not counted: the "
                    "map was\n  full (close_range, io_uring close, dup2 and "
                    "exec are never counted).\n",
                    o->closetracker_map ? o->closetracker_map
                                        : CLOSETRACKER_MAP_DEFAULT);
        }
        for (unsigned i = 0; i < r->nfindings && i < 5; i++) {
            const struct stress_finding *sf = &r->findings[i];
            fprintf(out, "\n%s at +%.2f s: %s\n",
                    finding_kind_name((enum finding_kind)sf->kind), sf->t,
                    sf->explain);
            for (unsigned e = 0; e < sf->nevidence; e++)
                fprintf(out, "    %s\n", sf->evidence[e]);
            if (sf->reproducer[0])
                fprintf(out, "    reproducer: %s\n", sf->reproducer);
        }
        if (r->nfindings > 5) {
            unsigned with = 0;
            for (unsigned i = 5; i < r->nfindings; i++)
                with += r->findings[i].reproducer[0] != 0;
            fprintf(out, "\n(%u more, %u of them with reproducers; all in "
                         "the JSON report)\n",
                    r->nfindings - 5, with);
        }
    }
    if (r->unwritten)
        fprintf(out, "\n%u reproducer%s could not be written (first: %s)\n",
                r->unwritten, r->unwritten == 1 ? "" : "s", r->unwritten_why);
}

/* Every output path made or refused before the run starts: a report or
 * a reproducer that cannot be written at the end loses the whole run. */
static int check_outputs(const struct stress_options *o, const char *report,
                         const char *junit)
{
    char why[4200];
    const char *const outs[] = {o->out_dir, report, junit};
    const char *const names[] = {"--out", "--report", "--junit"};
    for (int i = 0; i < 3 && o->mount; i++)
        if (outs[i] && path_inside(outs[i], o->mount) == 1) {
            fprintf(stderr, "ternrig stress: %s %s is inside --mount %s: "
                            "give a place outside the filesystem under "
                            "test\n",
                    names[i], outs[i], o->mount);
            return -1;
        }
    if (o->out_dir && prepare_output_dir(o->out_dir, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig stress: --out %s\n", why);
        return -1;
    }
    if (report && prepare_output_file(report, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig stress: --report %s\n", why);
        return -1;
    }
    if (junit && prepare_output_file(junit, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig stress: --junit %s\n", why);
        return -1;
    }
    return 0;
}

int cmd_stress(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"mount", required_argument, 0, 'm'},
        {"policy", required_argument, 0, 'p'},
        {"duration", required_argument, 0, 'd'},
        {"workers", required_argument, 0, 'w'},
        {"seed", required_argument, 0, 's'},
        {"kill-rate", required_argument, 0, 'k'},
        {"steps", required_argument, 0, 'S'},
        {"interleave", required_argument, 0, 'I'},
        {"closetracker-map", required_argument, 0, 'M'},
        {"load", required_argument, 0, 'l'},
        {"out", required_argument, 0, 'o'},
        {"report", required_argument, 0, 'r'},
        {"junit", required_argument, 0, 'j'},
        {"calibrate", no_argument, 0, 'C'},
        {"no-ledger", no_argument, 0, 'N'},
        {"no-log", no_argument, 0, 'L'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        /* hidden, for tests and debugging (stress/README.md):
         * --test-corrupt-content: workers write the wrong pattern, the
         *   control of the content check (tests/stress.sh);
         * --test-fail-runs: every run fails, the control of the exit
         *   status when most runs fail (tests/stress.sh);
         * --debug-violations: each violating scenario's records (step
         *   times, decisions) on stderr */
        {"test-corrupt-content", no_argument, 0, 'X'},
        {"test-fail-runs", no_argument, 0, 'F'},
        {"debug-violations", no_argument, 0, 'D'},
        {0, 0, 0, 0},
    };
    struct stress_options o = {0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.policy = POLICY_REFERENCE;
    o.duration_s = 60;
    o.workers = (unsigned)(cores > 0 ? (cores * 4 > 64 ? 64 : cores * 4) : 4);
    o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
    o.kill_rate = 2;
    o.steps = 32;
    o.interleave = 2;
    o.out_dir = "ternrig-stress-out";
    o.progress = stderr;
    o.notices = stderr; /* even when quiet: it removed things */
    const char *report = NULL, *junit = NULL;
    bool want_calibration = false, chose_policy = false;
    int c;
    char *end;
    unsigned long long num;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:d:w:s:k:l:o:r:j:qh", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'm': o.mount = optarg; break;
        case 'p':
            if (policy_arg("stress", optarg, &o.policy))
                return 2;
            chose_policy = true;
            break;
        case 'd':
            if (!parse_duration(optarg, &o.duration_s))
                return usage_error("stress", "bad duration '%s' (e.g. 90, "
                                             "90s, 10m, 1h)", optarg);
            break;
        case 'w':
            if (parse_number(optarg, 1, 64, &num) < 0)
                return usage_error("stress", "--workers must be 1..64");
            o.workers = (unsigned)num;
            break;
        case 's':
            if (parse_number(optarg, 0, UINT64_MAX, &num) < 0)
                return usage_error("stress", "bad seed '%s'", optarg);
            o.seed = num;
            break;
        case 'k':
            o.kill_rate = strtod(optarg, &end);
            if (*end || o.kill_rate < 0 || o.kill_rate > 10000)
                return usage_error("stress", "--kill-rate must be 0..10000 "
                                             "per second");
            break;
        case 'S':
            if (parse_number(optarg, 2, 1000, &num) < 0)
                return usage_error("stress", "--steps must be 2..1000");
            o.steps = (unsigned)num;
            break;
        case 'I':
            if (parse_number(optarg, 1, 4, &num) < 0)
                return usage_error("stress", "--interleave must be 1..4");
            o.interleave = (unsigned)num;
            break;
        case 'M':
            if (parse_number(optarg, 1, CLOSETRACKER_MAP_DEFAULT, &num) < 0)
                return usage_error("stress", "--closetracker-map must be "
                                             "1..1048576");
            o.closetracker_map = (unsigned)num;
            break;
        case 'l': o.load = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'r': report = optarg; break;
        case 'j': junit = optarg; break;
        case 'C': want_calibration = true; break;
        case 'N': o.no_ledger_observer = true; break;
        case 'L': o.no_log = true; break;
        case 'q': o.progress = NULL; break;
        case 'X': o.corrupt_content = true; break;
        case 'F': o.fail_runs = true; break;
        case 'D': o.debug = stderr; break;
        case 'h': return policy_help(stress_help);
        default: return usage_error("stress", "bad option");
        }
    }
    if (optind < argc)
        return usage_error("stress", "unexpected argument '%s'", argv[optind]);
    if (o.closetracker_map && o.mount)
        return usage_error("stress", "--closetracker-map sizes the embedded "
                                     "filesystem's map: not with --mount");
    if (o.no_log && !o.mount)
        return usage_error("stress", "--no-log goes with --mount (the "
                                     "embedded filesystem's log is ours)");
    if (check_outputs(&o, report, junit) < 0)
        return 2;
    if (o.mount && !chose_policy)
        real_mount_policy(o.mount, &o.policy); /* what ternrig fs runs */
    if (!o.mount) {
        if (geteuid() != 0 || access("/dev/fuse", W_OK) != 0) {
            fprintf(stderr,
                    "ternrig stress: mounting the embedded filesystem needs "
                    "root and a writable /dev/fuse (%s); run as root, or "
                    "give --mount DIR\n",
                    geteuid() != 0 ? "not root" : "no /dev/fuse");
            return 2;
        }
        /* the policies reading kernel-only facts need the fs's BPF
         * contexts: `ternrig fs` itself says when it cannot run one */
    }
    if (o.load) {
        if (system("command -v stress-ng >/dev/null 2>&1") != 0) {
            fprintf(stderr, "ternrig stress: --load needs stress-ng: "
                            "apt-get install stress-ng\n");
            return 2;
        }
    }
    if (o.progress)
        o.progress_tty = isatty(fileno(o.progress));
    struct raw_rates raw = {0};
    if (want_calibration) {
        calibrate(&raw);
        if (o.progress)
            fprintf(o.progress, "raw rates: fork+exit+wait %.0f/s, "
                                "fork+exec+wait %.0f/s; on all %ld CPUs at "
                                "once %.0f/s and %.0f/s\n",
                    raw.fork, raw.exec, raw.cpus, raw.fork_all,
                    raw.exec_all);
    }
    if (o.progress)
        fprintf(o.progress, "ternrig stress: %s, policy %s, %u workers, "
                            "seed %llu, %.0f s\n",
                o.mount ? o.mount : "embedded filesystem",
                policy_name(o.policy), o.workers,
                (unsigned long long)o.seed, o.duration_s);
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char why[300];
    int rc = stress_run(&o, &result, why, sizeof why);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc < 0) {
        fprintf(stderr, "ternrig stress: %s\n", why);
        return 2;
    }
    /* a file that does not hold what was written fails the run too, even
     * though the oracle has no kind for it (traces in OUT/content) */
    int exit_code = result.c.violations || result.c.content_bad ? 1 : 0;
    /* a reproducer that could not be written lost part of the run's
     * results: an error, never silent (the reports still say the rest) */
    if (result.unwritten) {
        fprintf(stderr, "ternrig stress: %u reproducer%s could not be "
                        "written (first: %s)\n",
                result.unwritten, result.unwritten == 1 ? "" : "s",
                result.unwritten_why);
        exit_code = 2;
    }
    /* a storm most of whose runs failed judged next to nothing: never a
     * clean exit (a binary gone from under it, a mount it cannot use) */
    if (result.c.scenarios >= 20 &&
        result.c.failed_runs * 2 > result.c.scenarios) {
        fprintf(stderr, "ternrig stress: %llu of %llu runs failed (%s/"
                        "failed-runs says why): the storm did not exercise "
                        "the filesystem\n",
                (unsigned long long)result.c.failed_runs,
                (unsigned long long)result.c.scenarios,
                o.out_dir ? o.out_dir : "OUT");
        exit_code = 2;
    }
    summary(stdout, &o, &result, &raw);
    if (report && write_json(report, &o, &result, &raw,
                             exit_code) < 0)
        return 2;
    if (junit && write_junit(junit, &o, &result) < 0)
        return 2;
    return exit_code;
}

#else
int cmd_stress(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        fputs(stress_help, stdout);
        return 0;
    }
    fprintf(stderr, "ternrig stress: built without libfuse3 "
                    "(apt-get install libfuse3-dev fuse3, then rebuild)\n");
    return 2;
}
#endif
