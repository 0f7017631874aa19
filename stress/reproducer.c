/* reproducer.c - the storm's findings as traces (see reproducer.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "reproducer.h"
#include "util.h"

/* A trace that could not be written is counted and its reason kept (the
 * first), and said at once on the progress stream: the run goes on, the
 * command reports it at the end and fails (stress_result.unwritten). */
static void unwritten(struct sup *s, const char *path, int err)
{
    if (s->r->unwritten++ == 0) {
        snprintf(s->r->unwritten_why, sizeof s->r->unwritten_why,
                 "%.400s: %s", path, strerror(err));
        if (s->o->progress)
            fprintf(s->o->progress, "\nternrig stress: cannot write a "
                                    "reproducer: %s\n",
                    s->r->unwritten_why);
    }
}

/* OUT/SUB/NAME opened for writing, SUB made (mkdir -p: OUT may have been
 * removed since the run began); NULL, counted as unwritten, when not. */
static FILE *open_trace(struct sup *s, const char *sub, const char *name,
                        char *path, size_t cap)
{
    snprintf(path, cap, "%.380s/%s", s->o->out_dir, sub);
    if (make_dirs(path) < 0) {
        unwritten(s, path, errno);
        return NULL;
    }
    snprintf(path, cap, "%.380s/%s/%s", s->o->out_dir, sub, name);
    FILE *f = fopen(path, "w");
    if (!f)
        unwritten(s, path, errno);
    return f;
}

/* Close a trace opened by open_trace: 0, or -1 (counted, the partial file
 * removed) when a write failed (a full disk). */
static int close_trace(struct sup *s, FILE *f, const char *path)
{
    if (close_output(f) == 0)
        return 0;
    unwritten(s, path, errno);
    unlink(path);
    return -1;
}

/* A file seen with bytes it was never written: its scenario as a trace,
 * the place it went wrong in a comment. */
void save_content_mismatch(struct sup *s, const struct scenario *sc,
                           const struct scen_obs *o, uint64_t bad,
                           uint32_t got)
{
    if (s->o->progress)
        fprintf(s->o->progress, "\nternrig stress: f%u of scenario %08x "
                                "(%llu bytes) does not hold the bytes written "
                                "(at offset %llu: 0x%02x, written 0x%02x)\n",
                (unsigned)o->file, sc->id, (unsigned long long)o->size,
                (unsigned long long)bad, got & 0xff, (got >> 8) & 0xff);
    if (!s->o->out_dir)
        return;
    char path[600], name[32];
    snprintf(name, sizeof name, "%08x.trace", sc->id);
    FILE *f = open_trace(s, "content", name, path, sizeof path);
    if (!f)
        return;
    scenario_program(s->j.model, s->prog, sc->seed, sc->nsteps,
                     sc->interleave);
    static char text[1 << 20];
    trace_print(s->prog, text, sizeof text);
    fprintf(f, "# ternrig stress: f%u seen with %llu bytes, not all of them "
               "written to it: first wrong byte at offset %llu\n%s",
            (unsigned)o->file, (unsigned long long)o->size,
            (unsigned long long)bad, text);
    close_trace(s, f, path);
}

void storm_write_reproducer(struct sup *s, const struct scenario *sc,
                            const struct scen_finding *f,
                            struct stress_finding *sf)
{
    const char *kind = finding_kind_name((enum finding_kind)f->kind);
    unsigned k = ++s->repro_count[f->kind];
    sf->reproducer[0] = 0;
    if (!s->o->out_dir || k > 8) /* eight of a kind are plenty */
        return;
    char name[64], path[sizeof sf->reproducer];
    snprintf(name, sizeof name, "%s-%u.trace", kind, k);
    FILE *out = open_trace(s, "reproducers", name, path, sizeof path);
    if (!out)
        return;
    fprintf(out, "# ternrig stress reproducer: %s of %s under policy %s\n",
            kind, sf->file, policy_name(s->o->policy));
    fprintf(out, "# scenario %08x (worker %u, generator seed %llu), on %s\n",
            sc->id, sc->worker, (unsigned long long)sc->seed, s->r->mount);
    fprintf(out, "# %s\n", f->explain);
    for (unsigned e = 0; e < f->nevidence; e++)
        fprintf(out, "# evidence: %s\n", f->evidence[e]);
    fprintf(out, "# replay: ternrig replay -v --policy %s THIS.trace   "
                 "(model)\n#         ternrig replay --real --policy %s "
                 "THIS.trace   (embedded fs) or --mount DIR\n",
            policy_name(s->o->policy), policy_name(s->o->policy));
    static char text[1 << 20];
    trace_print(s->prog, text, sizeof text);
    fputs(text, out);
    /* what the mount showed, as an expectation the model must meet too:
     * `ternrig replay` fails on it where the model and the mount differ */
    fprintf(out, "expect[%s] violation %s %s\n", policy_name(s->o->policy),
            kind, sf->file);
    if (close_trace(s, out, path) == 0)
        snprintf(sf->reproducer, sizeof sf->reproducer, "%s", path);
}
