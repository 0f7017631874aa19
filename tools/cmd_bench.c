/* cmd_bench.c - `ternrig bench`: model and oracle throughput, peak RSS. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "commands.h"
#include "gen.h"
#include "judge.h"
#include "util.h"

static const char bench_help[] =
    "usage: ternrig bench [--policy P] [--seconds S] [--programs N] "
    "[--seed X]\n"
    "\n"
    "Generate random valid programs of 16, 64 and 256 statements and replay\n"
    "them through the model alone, then through model + oracle + expects.\n"
    "Prints operations per second, programs per second and peak RSS.\n"
    "\n"
    "  -p, --policy P     flush policy (default reference)\n"
    "  -s, --seconds S    time per measurement (default 1)\n"
    "  -n, --programs N   distinct programs per size (default 200)\n"
    "  -x, --seed X       generator seed (default 1)\n"
    "  -h, --help         this help\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"seconds", required_argument, 0, 's'},
        {"programs", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'x'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    enum policy pol = POLICY_REFERENCE;
    double seconds = 1.0;
    long nprog = 200;
    unsigned long long seed = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:s:n:x:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'p':
            if (policy_arg("bench", optarg, &pol))
                return 2;
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (*end || !(seconds > 0 && seconds <= 3600))
                return usage_error("bench", "bad --seconds '%s'", optarg);
            break;
        case 'n': {
            unsigned long long v;
            if (parse_number(optarg, 1, 100000, &v) < 0)
                return usage_error("bench", "bad --programs '%s' (1..100000)",
                                   optarg);
            nprog = (long)v;
            break;
        }
        case 'x':
            if (parse_number(optarg, 1, UINT64_MAX, &seed) < 0)
                return usage_error("bench", "bad --seed '%s' (1..%llu)",
                                   optarg, (unsigned long long)UINT64_MAX);
            break;
        case 'h': return policy_help(bench_help);
        default: return usage_error("bench", "bad option");
        }
    }
    if (optind != argc)
        return usage_error("bench", "unexpected argument '%s'", argv[optind]);

    struct judge jd;
    if (judge_init(&jd) < 0) {
        fprintf(stderr, "ternrig bench: out of memory\n");
        return 2;
    }
    static const uint32_t sizes[] = {16, 64, 256};
    uint64_t rng = seed;
    printf("ternrig bench: policy %s, %ld programs per size, %.1f s per "
           "measurement\n\n",
           policy_name(pol), nprog, seconds);
    printf("%6s %9s %16s %16s %16s %16s\n", "steps", "events", "model ops/s",
           "model progs/s", "+oracle ops/s", "+oracle progs/s");
    int rc = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        struct program *progs = malloc((size_t)nprog * sizeof *progs);
        if (!progs) {
            fprintf(stderr, "ternrig bench: out of memory for %ld programs\n",
                    nprog);
            rc = 2;
            break;
        }
        uint64_t total_steps = 0, total_events = 0;
        for (long i = 0; i < nprog; i++) {
            gen_program(jd.model, &progs[i], sizes[si], &rng);
            total_steps += progs[i].nsteps;
        }
        struct trace_error err;
        for (long i = 0; i < nprog; i++) {
            model_run(jd.model, &progs[i], pol, &err);
            total_events += model_history(jd.model)->len;
        }
        double rates[2][2];
        for (int with_oracle = 0; with_oracle < 2; with_oracle++) {
            uint64_t runs = 0, ops = 0;
            double t0 = now(), t = t0;
            struct judgement j;
            while (t - t0 < seconds) {
                for (long i = 0; i < nprog; i++) {
                    if (with_oracle)
                        judge_run(&jd, &progs[i], pol, &j);
                    else
                        model_run(jd.model, &progs[i], pol, &err);
                    ops += progs[i].nsteps;
                }
                runs += (uint64_t)nprog;
                t = now();
            }
            rates[with_oracle][0] = (double)ops / (t - t0);
            rates[with_oracle][1] = (double)runs / (t - t0);
        }
        printf("%6u %9.1f %16.0f %16.0f %16.0f %16.0f\n",
               (unsigned)(total_steps / (uint64_t)nprog),
               (double)total_events / (double)nprog, rates[0][0], rates[0][1],
               rates[1][0], rates[1][1]);
        free(progs);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\npeak RSS: %ld KiB (includes the generated programs)\n",
           ru.ru_maxrss);
    judge_destroy(&jd);
    return rc;
}
