/* cmd_fuzz.c - `ternrig fuzz`: run libFuzzer or AFL++ on the policy
 * targets, show progress, and turn what they find into reproducers. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "findings.h"
#include "fuzz_record.h"

/* Paths are built in PATH_MAX buffers from an --out and a fuzz directory
 * whose lengths are checked up front (at most 1024), so gcc's worst-case
 * truncation analysis does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "trace.h"
#include "util.h"

static const char fuzz_help[] =
    "usage: ternrig fuzz [--policy P | --all] [--engine libfuzzer|afl]\n"
    "                    [--time 10m] [--jobs N] [--out DIR] [--bytes]\n"
    "                    [--fuzz-dir DIR] [--nosan-dir DIR] [--seed S]\n"
    "                    [--sanitize | --no-sanitize | --sanitize-share PCT]\n"
    "\n"
    "Fuzz the model under flush policies, then turn every violation found\n"
    "into a reproducer: decoded to a text trace, minimized by deleting\n"
    "statements while the same (policy, kind) still fires, named canonically,\n"
    "deduplicated by shape and written as OUT/findings/POLICY-KIND-N.trace,\n"
    "which `ternrig replay` reproduces.  Ctrl-C stops the engines and still\n"
    "writes the findings.  OUT/fuzz.json records every job's execs/s and\n"
    "coverage over time and the findings, for `ternrig report`.\n"
    "\n"
    "  -p, --policy P    one policy (default: all)\n"
    "  -a, --all         every policy\n"
    "  -e, --engine E    libfuzzer (default; targets from `cmake --preset\n"
    "                    fuzz-nosan` and `fuzz`) or afl (AFL++; `afl-nosan`\n"
    "                    and `afl`)\n"
    "  -t, --time T      total time: 90s, 10m, 1h (default 1m)\n"
    "  -j, --jobs N      engine processes at once (default: number of CPUs)\n"
    "  -o, --out DIR     output directory (default ternrig-fuzz-out; made,\n"
    "                    or refused with exit 2, before anything runs)\n"
    "  -b, --bytes       byte-level mutation instead of the structure-aware\n"
    "                    custom mutator (for comparison)\n"
    "  -d, --fuzz-dir D  where the sanitized fuzz binaries are (default:\n"
    "                    found from the build next to this ternrig)\n"
    "  -n, --nosan-dir D where the fuzz binaries without sanitizers are\n"
    "                    (default: build-fuzz-nosan or build-afl-nosan next\n"
    "                    to this ternrig: cmake --preset fuzz-nosan|afl-nosan)\n"
    "  -S, --sanitize-share PCT  the share of the time given to the sanitized\n"
    "                    build, after the rest ran without sanitizers on the\n"
    "                    same corpus (default 20: violations are hunted at\n"
    "                    full speed, the rig's own memory bugs still caught)\n"
    "      --sanitize    the whole time under ASan+UBSan (share 100)\n"
    "      --no-sanitize the whole time without sanitizers (share 0)\n"
    "      --seed S      the engines' random seed (job i gets S+i: libFuzzer\n"
    "                    -seed, afl-fuzz -s), so that runs can be repeated\n"
    "                    and compared over seeds (default: the engine's own)\n"
    "  -h, --help        this help\n"
    "\n"
    "Exit status: 0 done, 1 a finding under `reference` (the policy meant to\n"
    "be correct: a bug in model, oracle or spec), 2 bad usage or setup.\n";

struct job {
    pid_t pid;
    int out_fd; /* its log, read as the engine writes it, or -1 */
    enum policy policy;
    char target[64];
    char log[4096];
    char stats[4096]; /* AFL++: fuzzer_stats */
    char line[512];
    size_t linelen;
    unsigned long execs, execs_per_s, cov;
    double cpu_s; /* user + system, from its exit */
    bool done;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool is_exec(const char *path)
{
    return access(path, X_OK) == 0;
}

/* Does `dir` hold every policy's engine target (fuzz_NAME), and with
 * `bytes` its byte-level twin (fuzz_NAME_bytes: the engine build, not the
 * replay-only one)? */
static bool holds_policy_targets(const char *dir, bool bytes)
{
    for (int p = 0; p < POLICY_COUNT; p++) {
        char t[64], probe[PATH_MAX];
        fuzz_target_name((enum policy)p, t, sizeof t);
        snprintf(probe, sizeof probe, "%.3900s/%s", dir, t);
        if (!is_exec(probe))
            return false;
        snprintf(probe, sizeof probe, "%.3900s/%s_bytes", dir, t);
        if (bytes && !is_exec(probe))
            return false;
    }
    return true;
}

/* Find the directory holding the engine's fuzz binaries (commands.h). */
bool fuzz_find_dir(const char *engine, const char *given, bool sanitized,
                   char *out, size_t cap)
{
    if (given) {
        snprintf(out, cap, "%s", given);
        return holds_policy_targets(out, false);
    }
    const char *env = sanitized ? getenv("TERNRIG_FUZZ_DIR")
                                : getenv("TERNRIG_FUZZ_NOSAN_DIR");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        n = 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    const char *build = strcmp(engine, "afl") == 0 ? "build-afl" : "build-fuzz";
    char cands[3][PATH_MAX];
    int nc = 0;
    if (env)
        snprintf(cands[nc++], PATH_MAX, "%s", env);
    snprintf(cands[nc++], PATH_MAX, "%.3900s/../%s%s/fuzz", exe, build,
             sanitized ? "" : "-nosan");
    if (sanitized) /* a ternrig inside the build: its own targets */
        snprintf(cands[nc++], PATH_MAX, "%.3900s/fuzz", exe);
    for (int i = 0; i < nc; i++) {
        if (holds_policy_targets(cands[i], true)) {
            if (!realpath(cands[i], out))
                snprintf(out, cap, "%s", cands[i]);
            return true;
        }
    }
    return false;
}


struct run {
    const char *engine, *fuzz_dir, *out;
    bool bytes;
    long seconds;
    pid_t pgid;
    bool seeded;        /* --seed: job i runs with seed + i */
    unsigned long seed;
};

static pid_t start_job(struct run *r, struct job *j, long seconds, int idx)
{
    char bin[PATH_MAX], seeds[PATH_MAX], corpus[PATH_MAX], collect[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/%s%s", r->fuzz_dir, j->target,
             r->bytes ? "_bytes" : "");
    snprintf(seeds, sizeof seeds, "%s/seeds/%s%s", r->fuzz_dir, j->target,
             r->bytes ? "_bytes" : "");
    snprintf(corpus, sizeof corpus, "%s/corpus/%s", r->out, j->target);
    snprintf(collect, sizeof collect, "%s/collect", r->out);
    snprintf(j->log, sizeof j->log, "%s/logs/%s-%d.log", r->out, j->target,
             idx);
    if (!is_exec(bin)) {
        fprintf(stderr, "ternrig fuzz: %s is missing\n", bin);
        return -1;
    }
    make_dirs(corpus);
    /* The engine writes its log file itself, and this process reads it
     * on its own clock (run_phase), as fuzz/bench.sh's runs do: through a
     * pipe, every line the engine printed woke this process, which then
     * took a CPU from a job whenever there were as many jobs as CPUs. */
    int logfd = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        fprintf(stderr, "ternrig fuzz: cannot write %s: %s\n", j->log,
                strerror(errno));
        return -1;
    }
    char tstr[32], dict[PATH_MAX], outdir[PATH_MAX], sstr[40];
    unsigned long seed = r->seed + (unsigned long)idx;
    snprintf(dict, sizeof dict, "-dict=%s/ternrig.dict", r->fuzz_dir);
    if (strcmp(r->engine, "afl") == 0) {
        snprintf(outdir, sizeof outdir, "%s/afl/%s-%d", r->out, j->target,
                 idx);
        make_dirs(outdir);
        snprintf(j->stats, sizeof j->stats, "%s/default/fuzzer_stats",
                 outdir);
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setpgid(0, r->pgid);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(logfd, 1);
        dup2(logfd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        setenv("TERNRIG_FUZZ_COLLECT", collect, 1);
        if (strcmp(r->engine, "afl") == 0) {
            char mut[PATH_MAX];
            snprintf(mut, sizeof mut, "%s/libternrig_afl_mutator.so",
                     r->fuzz_dir);
            setenv("AFL_NO_UI", "1", 1);
            setenv("AFL_SKIP_CPUFREQ", "1", 1);
            setenv("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1", 1);
            setenv("AFL_NO_AFFINITY", "1", 1);
            if (!r->bytes) { /* only whole-statement mutations: see README */
                setenv("AFL_CUSTOM_MUTATOR_LIBRARY", mut, 1);
                setenv("AFL_CUSTOM_MUTATOR_ONLY", "1", 1);
            }
            snprintf(tstr, sizeof tstr, "%ld", seconds);
            char dictarg[PATH_MAX];
            snprintf(dictarg, sizeof dictarg, "%s/ternrig.dict", r->fuzz_dir);
            /* the optional arguments go first, in a fixed tail */
            snprintf(sstr, sizeof sstr, "%lu", seed);
            char *av[16];
            int n = 0;
            av[n++] = "afl-fuzz";
            if (r->seeded) {
                av[n++] = "-s";
                av[n++] = sstr;
            }
            if (r->bytes) {
                av[n++] = "-x";
                av[n++] = dictarg;
            }
            char *tail[] = {"-i", seeds, "-o", outdir, "-V", tstr, "--", bin,
                            NULL};
            for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
                av[n++] = tail[i];
            execvp("afl-fuzz", av);
        } else {
            char prefix[PATH_MAX];
            snprintf(tstr, sizeof tstr, "-max_total_time=%ld", seconds);
            snprintf(prefix, sizeof prefix, "-artifact_prefix=%s/crashes/",
                     r->out);
            snprintf(sstr, sizeof sstr, "-seed=%lu", seed);
            char *av[16];
            int n = 0;
            char *head[] = {bin, tstr, "-max_len=512", "-print_final_stats=1",
                            prefix};
            for (size_t i = 0; i < sizeof head / sizeof *head; i++)
                av[n++] = head[i];
            if (r->seeded)
                av[n++] = sstr;
            if (r->bytes)
                av[n++] = dict;
            av[n++] = corpus;
            av[n++] = seeds;
            av[n] = NULL;
            execv(bin, av);
        }
        fprintf(stderr, "ternrig fuzz: cannot run %s: %s\n",
                strcmp(r->engine, "afl") ? bin : "afl-fuzz", strerror(errno));
        _exit(127);
    }
    if (r->pgid == 0)
        r->pgid = pid;
    setpgid(pid, r->pgid);
    close(logfd);
    j->out_fd = open(j->log, O_RDONLY | O_CLOEXEC);
    j->pid = pid;
    j->done = false;
    return pid;
}

/* libFuzzer status line: "#123 NEW cov: 402 ft: ... exec/s: 21805 ...",
 * and its final "stat::number_of_executed_units: N". */
static void parse_line(struct job *j, const char *l)
{
    static const char units[] = "stat::number_of_executed_units:";
    if (l[0] == '#' && l[1] >= '0' && l[1] <= '9')
        j->execs = strtoul(l + 1, NULL, 10);
    else if (!strncmp(l, units, sizeof units - 1))
        j->execs = strtoul(l + sizeof units - 1, NULL, 10);
    const char *c = strstr(l, "cov: ");
    const char *e = strstr(l, "exec/s: ");
    if (c)
        j->cov = strtoul(c + 5, NULL, 10);
    if (e)
        j->execs_per_s = strtoul(e + 8, NULL, 10);
}

/* Parse what the engine added to its log since the last call. */
static void drain(struct job *j)
{
    char buf[4096];
    ssize_t n;
    while (j->out_fd >= 0 && (n = read(j->out_fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || j->linelen == sizeof j->line - 1) {
                j->line[j->linelen] = 0;
                parse_line(j, j->line);
                j->linelen = 0;
            } else {
                j->line[j->linelen++] = buf[i];
            }
        }
    }
}

static void read_afl_stats(struct job *j)
{
    FILE *f = fopen(j->stats, "r");
    if (!f)
        return;
    char l[256];
    unsigned long done = 0, run_time = 0;
    while (fgets(l, sizeof l, f)) {
        char *v = strchr(l, ':');
        if (!v)
            continue;
        if (!strncmp(l, "execs_done", 10))
            done = strtoul(v + 1, NULL, 10);
        else if (!strncmp(l, "run_time", 8))
            run_time = strtoul(v + 1, NULL, 10);
        else if (!strncmp(l, "edges_found", 11))
            j->cov = strtoul(v + 1, NULL, 10);
    }
    fclose(f);
    /* afl-fuzz rewrites the file now and then: the average is steadier
     * than its execs_per_sec snapshot */
    j->execs = done;
    if (run_time)
        j->execs_per_s = done / run_time;
}

static unsigned count_collected(const char *dir, unsigned kinds[FIND_KIND_COUNT])
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    memset(kinds, 0, FIND_KIND_COUNT * sizeof kinds[0]);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *dot = strchr(de->d_name, '.');
        const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
        if (!dot2)
            continue;
        enum finding_kind k =
            finding_kind_from_name(dot + 1, (size_t)(dot2 - dot - 1));
        if (k < FIND_KIND_COUNT) {
            kinds[k]++;
            n++;
        }
    }
    closedir(d);
    return n;
}

static void progress(const struct run *r, struct job *jobs, int njobs,
                     time_t start, bool tty)
{
    char collect[PATH_MAX];
    snprintf(collect, sizeof collect, "%s/collect", r->out);
    unsigned kinds[FIND_KIND_COUNT];
    unsigned found = count_collected(collect, kinds);
    unsigned long total = 0;
    char parts[1024] = "";
    size_t pl = 0;
    for (int i = 0; i < njobs; i++) {
        if (jobs[i].stats[0])
            read_afl_stats(&jobs[i]);
        total += jobs[i].done ? 0 : jobs[i].execs_per_s;
        if (pl < sizeof parts - 64)
            pl += (size_t)snprintf(parts + pl, sizeof parts - pl,
                                   " %s:%luk/s,cov%lu",
                                   policy_name(jobs[i].policy),
                                   jobs[i].execs_per_s / 1000, jobs[i].cov);
    }
    long el = (long)(time(NULL) - start);
    printf("%s[%02ld:%02ld/%02ld:%02ld] %lu exec/s |%s | inputs with a "
           "violation: %u",
           tty ? "\r\033[K" : "", el / 60, el % 60, r->seconds / 60,
           r->seconds % 60, total, parts, found);
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        if (kinds[k])
            printf(" %s:%u", finding_kind_name((enum finding_kind)k),
                   kinds[k]);
    if (!tty)
        printf("\n");
    fflush(stdout);
}

/* One sample per job (for fuzz.json); `force` at the end of a round. */
static void record_samples(struct job *jobs, int njobs,
                           struct fuzz_series *series, time_t start,
                           bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t = difftime(now.tv_sec, start) + now.tv_nsec / 1e9;
    for (int i = 0; i < njobs; i++) {
        if (!force && jobs[i].done)
            continue;
        if (jobs[i].stats[0])
            read_afl_stats(&jobs[i]);
        fuzz_series_add(&series[i], t, jobs[i].execs, jobs[i].execs_per_s,
                        jobs[i].cov, force);
        series[i].cpu_s = jobs[i].cpu_s;
    }
}

static void stop_all(struct job *jobs, int njobs, int sig)
{
    for (int i = 0; i < njobs; i++)
        if (!jobs[i].done && jobs[i].pid > 0)
            kill(jobs[i].pid, sig);
}

static int reap(struct job *jobs, int njobs)
{
    int running = 0;
    for (int i = 0; i < njobs; i++) {
        if (jobs[i].done)
            continue;
        int st;
        struct rusage ru;
        pid_t w = wait4(jobs[i].pid, &st, WNOHANG, &ru);
        if (w == jobs[i].pid) {
            jobs[i].cpu_s = (double)ru.ru_utime.tv_sec +
                            ru.ru_utime.tv_usec / 1e6 +
                            (double)ru.ru_stime.tv_sec +
                            ru.ru_stime.tv_usec / 1e6;
            drain(&jobs[i]);
            jobs[i].done = true;
            if (jobs[i].out_fd >= 0)
                close(jobs[i].out_fd);
            jobs[i].out_fd = -1;
            if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                fprintf(stderr, "\nternrig fuzz: job %s could not start, see "
                                "%s\n",
                        jobs[i].target, jobs[i].log);
        } else {
            running++;
        }
    }
    return running;
}

/* One phase of the run: every policy's jobs on the targets in `dir` for
 * `seconds`, in rounds when there are fewer jobs than policies.  Its series
 * go to `series` (rounds x per_round of them; `tag` marks their target
 * names).  0, or 2 when a job cannot start. */
struct phase {
    const char *dir, *tag;
    long seconds;
};

static int run_phase(struct run *r, const struct phase *ph,
                     const enum policy *list, int npol, long njobs,
                     struct fuzz_series *series, time_t start, bool tty)
{
    int rounds = (int)((npol + njobs - 1) / njobs);
    int per_round = (int)(njobs < npol ? njobs : (npol > njobs ? npol : njobs));
    long round_seconds = ph->seconds / rounds;
    if (round_seconds < 1)
        round_seconds = 1;
    r->fuzz_dir = ph->dir;
    struct job *jobs = calloc((size_t)per_round, sizeof *jobs);
    if (!jobs)
        return 2;
    int next_policy = 0;
    for (int round = 0; round < rounds && !interrupted; round++) {
        int nj = 0;
        for (int k = 0; k < per_round; k++) {
            if (rounds > 1 && next_policy >= npol)
                break;
            struct job *j = &jobs[nj];
            memset(j, 0, sizeof *j);
            j->out_fd = -1;
            j->policy = list[next_policy++ % npol];
            fuzz_target_name(j->policy, j->target, sizeof j->target);
            char label[80];
            snprintf(label, sizeof label, "%s%s", j->target, ph->tag);
            fuzz_series_init(&series[round * per_round + k], j->policy,
                             label, round * per_round + k);
            if (start_job(r, j, round_seconds, round * per_round + k) < 0) {
                stop_all(jobs, nj, SIGKILL);
                reap(jobs, nj);
                free(jobs);
                return 2;
            }
            nj++;
        }
        time_t round_end = time(NULL) + round_seconds + 30; /* hard stop */
        time_t last = 0;
        while (reap(jobs, nj) > 0) {
            poll(NULL, 0, 200); /* a signal ends it early */
            for (int i = 0; i < nj; i++)
                drain(&jobs[i]);
            if (interrupted) {
                printf("\nternrig fuzz: interrupted, stopping the engines\n");
                stop_all(jobs, nj, SIGTERM);
                for (int w = 0; w < 50 && reap(jobs, nj) > 0; w++)
                    usleep(100000);
                stop_all(jobs, nj, SIGKILL);
                break;
            }
            if (time(NULL) > round_end) {
                stop_all(jobs, nj, SIGKILL);
            }
            if (time(NULL) != last) {
                last = time(NULL);
                if (tty || (last - start) % 10 == 0)
                    progress(r, jobs, nj, start, tty);
                record_samples(jobs, nj, &series[round * per_round], start,
                               false);
            }
        }
        while (reap(jobs, nj) > 0)
            usleep(10000);
        record_samples(jobs, nj, &series[round * per_round], start, true);
    }
    free(jobs);
    return 0;
}

int cmd_fuzz(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"all", no_argument, 0, 'a'},
        {"engine", required_argument, 0, 'e'},
        {"time", required_argument, 0, 't'},
        {"jobs", required_argument, 0, 'j'},
        {"out", required_argument, 0, 'o'},
        {"bytes", no_argument, 0, 'b'},
        {"fuzz-dir", required_argument, 0, 'd'},
        {"nosan-dir", required_argument, 0, 'n'},
        {"sanitize-share", required_argument, 0, 'S'},
        {"sanitize", no_argument, 0, 'Z'},
        {"no-sanitize", no_argument, 0, 'N'},
        {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    unsigned policies = POLICY_MASK_ALL;
    struct run r = {.engine = "libfuzzer", .out = "ternrig-fuzz-out",
                    .seconds = 60};
    const char *given_dir = NULL, *given_nosan = NULL;
    long share = 20; /* percent of the time under sanitizers */
    long njobs = sysconf(_SC_NPROCESSORS_ONLN);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:ae:t:j:o:bd:n:S:h", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'p': {
            enum policy pol;
            if (policy_arg("fuzz", optarg, &pol))
                return 2;
            policies = 1u << pol;
            break;
        }
        case 'a': policies = POLICY_MASK_ALL; break;
        case 'e':
            if (strcmp(optarg, "libfuzzer") && strcmp(optarg, "afl"))
                return usage_error("fuzz", "unknown engine '%s' (libfuzzer, "
                                           "afl)",
                                   optarg);
            r.engine = optarg;
            break;
        case 't':
            r.seconds = parse_seconds(optarg);
            if (r.seconds <= 0 || r.seconds > 7 * 24 * 3600)
                return usage_error("fuzz", "bad --time '%s' (e.g. 90s, 10m, "
                                           "1h)",
                                   optarg);
            break;
        case 'j': {
            char *end;
            njobs = strtol(optarg, &end, 10);
            if (*end || njobs < 1 || njobs > 256)
                return usage_error("fuzz", "bad --jobs '%s' (1..256)", optarg);
            break;
        }
        case 'o': r.out = optarg; break;
        case 'b': r.bytes = true; break;
        case 'd': given_dir = optarg; break;
        case 'n': given_nosan = optarg; break;
        case 'S': {
            char *end;
            share = strtol(optarg, &end, 10);
            if (*end || share < 0 || share > 100)
                return usage_error("fuzz", "bad --sanitize-share '%s' "
                                           "(0..100)",
                                   optarg);
            break;
        }
        case 'Z': share = 100; break;
        case 'N': share = 0; break;
        case 's': {
            char *end;
            errno = 0;
            r.seed = strtoul(optarg, &end, 10);
            if (*end || end == optarg || optarg[0] == '-' || errno ||
                r.seed > 0xffffffffUL - 256)
                return usage_error("fuzz", "bad --seed '%s' (0..%lu)", optarg,
                                   0xffffffffUL - 256);
            r.seeded = true;
            break;
        }
        case 'h': return policy_help(fuzz_help);
        default: return usage_error("fuzz", "bad option");
        }
    }
    if (optind != argc)
        return usage_error("fuzz", "unexpected argument '%s'", argv[optind]);
    if (strlen(r.out) > 1024 || (given_dir && strlen(given_dir) > 1024) ||
        (given_nosan && strlen(given_nosan) > 1024))
        return usage_error("fuzz", "path too long (at most 1024 bytes)");
    /* OUT and its folders made (or refused) before anything else: a run
     * whose findings cannot be written is lost at its end */
    char path[PATH_MAX], why[PATH_MAX + 64];
    static const char *const subdirs[] = {"", "/logs", "/collect",
                                          "/crashes"};
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
        snprintf(path, sizeof path, "%s%s", r.out, subdirs[i]);
        if (prepare_output_dir(path, why, sizeof why) < 0) {
            fprintf(stderr, "ternrig fuzz: --out %s\n", why);
            return 2;
        }
    }
    bool afl = strcmp(r.engine, "afl") == 0;
    char fuzz_dir[PATH_MAX], nosan_dir[PATH_MAX];
    bool have_san = share > 0 &&
                    fuzz_find_dir(r.engine, given_dir, true, fuzz_dir,
                                  sizeof fuzz_dir);
    bool have_nosan = share < 100 &&
                      fuzz_find_dir(r.engine, given_nosan, false, nosan_dir,
                                    sizeof nosan_dir);
    if (share > 0 && share < 100 && have_san != have_nosan) {
        fprintf(stderr,
                "ternrig fuzz: no %s build found: the whole time goes to the "
                "%s one\n  (cmake --preset %s%s && cmake --build --preset "
                "%s%s for both)\n",
                have_san ? "no-sanitizer" : "sanitized",
                have_san ? "sanitized" : "no-sanitizer", afl ? "afl" : "fuzz",
                have_san ? "-nosan" : "", afl ? "afl" : "fuzz",
                have_san ? "-nosan" : "");
        share = have_san ? 100 : 0;
    }
    if (!have_san && !have_nosan) {
        const char *preset = share == 100 ? (afl ? "afl" : "fuzz")
                                          : (afl ? "afl-nosan" : "fuzz-nosan");
        fprintf(stderr,
                "ternrig fuzz: no %s fuzz targets found%s%s.\n"
                "Build them first:  cmake --preset %s && cmake --build "
                "--preset %s\n(or point --fuzz-dir / --nosan-dir, or "
                "TERNRIG_FUZZ_DIR / TERNRIG_FUZZ_NOSAN_DIR, at the directory "
                "holding the fuzz_POLICY targets)\n",
                r.engine, given_dir || given_nosan ? " in " : "",
                given_dir ? given_dir : given_nosan ? given_nosan : "",
                preset, preset);
        return 2;
    }
    r.fuzz_dir = share > 0 ? fuzz_dir : nosan_dir;

    /* Policies over jobs: every policy gets at least one job; with fewer
     * jobs than policies the time is split into rounds. */
    enum policy list[POLICY_COUNT];
    int npol = 0;
    for (int p = 0; p < POLICY_COUNT; p++)
        if (policies & (1u << p))
            list[npol++] = (enum policy)p;
    /* Phases: first without sanitizers (the fast build hunts violations),
     * then the sanitized build for its share of the time, on the same
     * corpus (it replays what the first phase found). */
    struct phase phases[2] = {
        {nosan_dir, "", r.seconds * (100 - share) / 100},
        {fuzz_dir, " (asan)", 0},
    };
    phases[1].seconds = r.seconds - phases[0].seconds;
    if (share > 0 && share < 100 && phases[1].seconds < 1) {
        phases[1].seconds = 1;
        phases[0].seconds = r.seconds - 1;
    }
    int rounds = (int)((npol + njobs - 1) / njobs);
    int per_round = (int)(njobs < npol ? njobs : (npol > njobs ? npol : njobs));
    printf("ternrig fuzz: %s%s, %d polic%s, %ld job%s, %lds: ", r.engine,
           r.bytes ? " (byte-level)" : " (custom mutator)", npol,
           npol == 1 ? "y" : "ies", njobs, njobs == 1 ? "" : "s", r.seconds);
    if (phases[0].seconds > 0)
        printf("%lds without sanitizers (%s)%s", phases[0].seconds, nosan_dir,
               phases[1].seconds > 0 ? ", then " : "");
    if (phases[1].seconds > 0)
        printf("%lds under ASan+UBSan (%s)", phases[1].seconds, fuzz_dir);
    printf(",\n  output in %s\n", r.out);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool tty = isatty(STDOUT_FILENO);
    time_t start = time(NULL);
    unsigned per_phase = (unsigned)(rounds * per_round), nseries = 0;
    struct fuzz_series *series = calloc(2 * per_phase, sizeof *series);
    if (!series)
        return 2;
    for (int ph = 0; ph < 2 && !interrupted; ph++) {
        if (phases[ph].seconds <= 0)
            continue;
        if (run_phase(&r, &phases[ph], list, npol, njobs, &series[nseries],
                      start, tty)) {
            free(series);
            return 2;
        }
        nseries += per_phase;
    }
    if (tty)
        printf("\n");
    signal(SIGINT, SIG_IGN);

    printf("ternrig fuzz: minimizing and deduplicating what was found...\n");
    struct finding_set fs;
    char collect[PATH_MAX], fdir[PATH_MAX];
    snprintf(collect, sizeof collect, "%s/collect", r.out);
    snprintf(fdir, sizeof fdir, "%s/findings", r.out);
    if (findings_process(collect, fdir, start, r.engine, &fs) < 0)
        return 2;
    findings_print(stdout, &fs);
    /* summary.txt and fuzz.json are the run's record (the nightly report
     * reads fuzz.json): one that cannot be written fails the run */
    bool lost = false;
    snprintf(path, sizeof path, "%s/summary.txt", r.out);
    FILE *sf = fopen(path, "w");
    if (sf)
        findings_print(sf, &fs);
    if (!sf || close_output(sf) < 0) {
        fprintf(stderr, "ternrig fuzz: %s: %s\n", path, strerror(errno));
        lost = true;
    }
    bool reference_bug = false;
    for (unsigned i = 0; i < fs.nshapes; i++)
        reference_bug |= fs.shapes[i].policy == POLICY_REFERENCE;
    snprintf(path, sizeof path, "%s/fuzz.json", r.out);
    FILE *jf = fopen(path, "w");
    struct fuzz_run_info info = {r.engine, r.bytes, r.seconds, njobs, start,
                                 r.out};
    if (jf)
        fuzz_record_write(jf, &info, series, nseries, &fs,
                          reference_bug ? 1 : 0);
    if (!jf || close_output(jf) < 0) {
        fprintf(stderr, "ternrig fuzz: %s: %s\n", path, strerror(errno));
        lost = true;
    }
    free(series);
    if (fs.nshapes)
        printf("\nReplay one: ternrig replay --policy POLICY -v %s/"
               "POLICY-KIND-1.trace\n",
               fdir);
    findings_free(&fs);
    return lost ? 2 : reference_bug ? 1 : 0;
}
