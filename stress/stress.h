/* stress.h - the storm: real processes creating, writing, forking, exec'ing,
 * closing and being killed on a mounted filesystem, judged by the oracle.
 *
 * Owns: the storm behind one call, its options and its result (its parts
 * are named in supervisor.h).  Processes: the supervisor (the caller)
 * forks N workers and one observer, all with PR_SET_PDEATHSIG and in
 * their own process group; each worker runs random scenario programs
 * (gen_program_user) through the real executor (real_run) with ledger
 * hooks; the supervisor is a child subreaper and reaps everything.
 */
#ifndef TERNRIG_STRESS_H
#define TERNRIG_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core.h"
#include "event.h"

struct stress_options {
    const char *mount;     /* NULL: mount the embedded filesystem        */
    enum policy policy;    /* of the embedded fs, or what `mount` runs   */
    double duration_s;
    unsigned workers;
    uint64_t seed;
    double kill_rate;      /* SIGKILLs per second, all workers together  */
    unsigned steps;        /* statements per scenario                    */
    unsigned interleave;   /* independent programs merged per scenario   */
    const char *load;      /* stress-ng spec ("cpu:2,vm:1"), or NULL     */
    unsigned closetracker_map; /* the embedded fs's close-tracker capacity
                                  (--closetracker-map; 0: TernFS's
                                  1,048,576); one map for the whole storm */
    const char *out_dir;   /* reproducers go here (made, mkdir -p; one
                              that cannot be written is counted in
                              stress_result.unwritten, never skipped
                              silently)                                  */
    bool no_log;           /* --mount: judge from looks alone even if the
                              mount reports a flush log (user.ternrig.log) */
    bool no_ledger_observer; /* for the overhead benchmark: no records,
                                no observer, nothing judged             */
    bool progress_tty;     /* a live line (else one line every 10 s)     */
    FILE *progress;        /* NULL: silent                               */
    FILE *notices;         /* what was cleaned up after storms that were
                              killed, even when quiet; NULL: not told    */
    /* for tests and debugging (the command's hidden flags) */
    bool fail_runs;        /* every run fails (its tasks cannot enter its
                              directory): the control of the exit status
                              when most runs fail (tests/stress.sh)      */
    bool corrupt_content;  /* workers write the wrong pattern: the content
                              check's control (tests/stress.sh)          */
    FILE *debug;           /* NULL, or where each violating scenario's
                              records are dumped (steps, decisions)      */
};

#define STRESS_MAX_SAMPLES 4096
#define STRESS_MAX_FINDINGS 64

struct stress_counts {
    uint64_t scenarios, steps, forks, execs, kills, worker_kills;
    uint64_t sealed, aborted, uncertain, violations, unjudged, failed_runs;
    uint64_t observations, ledger_records, ledger_lost, ledger_torn;
    uint64_t content_bad;  /* looks whose bytes were not the pattern     */
};

struct stress_sample {
    double t;
    struct stress_counts c;
    /* resident memory (VmRSS, kB) of the embedded filesystem (0: not ours
     * or unknown) and of the supervisor; the requests the filesystem has
     * served (its user.ternrig.stats; 0: not said) */
    uint64_t fs_rss_kb, sup_rss_kb, fs_requests;
};

struct stress_finding {
    uint8_t kind;          /* enum finding_kind */
    double t;              /* seconds from the start when it was judged */
    uint32_t scen;
    char file[24];         /* the trace's name (f3)                    */
    char reproducer[512];  /* path of the .trace written               */
    char explain[256];
    char evidence[5][200];
    unsigned nevidence;
};

struct stress_result {
    struct stress_counts c;
    double elapsed_s;
    char mount[300];       /* where it ran ("embedded" shows as such)   */
    bool embedded;
    bool have_log;         /* decisions from a flush log (else looks only) */
    struct stress_sample samples[STRESS_MAX_SAMPLES];
    unsigned nsamples;
    struct stress_finding findings[STRESS_MAX_FINDINGS];
    unsigned nfindings;    /* kept (the count of all is c.violations)    */
    double first[FIND_KIND_COUNT]; /* time to first detection, <0 none        */
    uint64_t by_kind[FIND_KIND_COUNT];
    /* lost-file right after a close(2) (scen_finding's
     * after_close_syscall): under fuse-closetracker, a close the tracker
     * did not count (its map full); and when the first came, <0 none */
    uint64_t lost_after_close;
    double first_lost_after_close;
    char load_note[200];   /* what --load ran, or why it did not         */
    unsigned unwritten;    /* reproducers and content traces that could
                              not be written (the run's results are
                              incomplete: the command fails)            */
    char unwritten_why[480]; /* the first: "PATH: why"                  */
};

/* Run a storm.  Returns 0 (result filled; violations in it), or -1 with
 * `why` when the storm could not run (no mount, no FUSE, ...). */
int stress_run(const struct stress_options *o, struct stress_result *r,
               char *why, size_t cap);

/* Remove what storms killed before their end left behind (temporary
 * directories, mounts); prints what it cleaned to `log` if not NULL. */
void stress_clean_leftovers(FILE *log);

/* SIGINT/SIGTERM during stress_run: stop early, clean up, report. */
void stress_request_stop(void);

#endif
