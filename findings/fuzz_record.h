/* fuzz_record.h - what a fuzz run leaves for the reports: fuzz.json.
 *
 * Owns: the time series of every engine job (executions, execs/s and
 * coverage over time) and the JSON form of a whole run:
 *   {"tool":"ternrig fuzz","version":1,"engine":"libfuzzer","mutator":
 *    "custom"|"bytes","seconds":S,"jobs":N,"started":UNIX_TIME,
 *    "series":[{"policy":P,"target":T,"job":I,"cpu_s":CPU,
 *               "samples":[[t_s,execs,execs_per_s,coverage],...]}],
 *    "totals":{"execs":N},"inputs":N,"unusable":N,
 *    "findings":[{"policy":P,"kind":K,"inputs":N,"first_s":S,
 *                 "reproducer":"findings/P-K-1.trace"}],
 *    "exit":0|1}
 * "cpu_s" is the job's CPU time, user and system, from its exit (0 when it
 * was not reaped): its executions per CPU second tell a slow job from a
 * machine shared with other work.  Reproducer paths are relative to the
 * run's --out directory.  A series
 * keeps at most FUZZ_MAX_SAMPLES samples: when full, every other one is
 * dropped and sampling slows down by half.
 */
#ifndef TERNRIG_FUZZ_RECORD_H
#define TERNRIG_FUZZ_RECORD_H

#include <stdio.h>
#include <time.h>
#include "findings.h"

#define FUZZ_MAX_SAMPLES 600

struct fuzz_sample {
    double t;
    unsigned long execs, execs_per_s, cov;
};

struct fuzz_series {
    enum policy policy;
    char target[64];
    int job;
    double cpu_s;    /* the job's CPU time (user + system) once it ended */
    double every;    /* the current sampling interval, seconds */
    struct fuzz_sample samples[FUZZ_MAX_SAMPLES];
    unsigned n;
};

/* Start a series: sampled at most once a second to begin with. */
void fuzz_series_init(struct fuzz_series *s, enum policy policy,
                      const char *target, int job);
/* Record a sample at `t` seconds since the run began (skipped when too
 * soon after the last one, unless `force`). */
void fuzz_series_add(struct fuzz_series *s, double t, unsigned long execs,
                     unsigned long execs_per_s, unsigned long cov,
                     bool force);

struct fuzz_run_info {
    const char *engine;
    bool bytes;
    long seconds;
    long jobs;
    time_t started;
    const char *out; /* the --out directory, stripped from reproducers */
};

void fuzz_record_write(FILE *f, const struct fuzz_run_info *info,
                       const struct fuzz_series *series, unsigned nseries,
                       const struct finding_set *found, int exit_status);

#endif
