/* reproducer.c - the storm's findings as traces (see reproducer.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>
#include "reproducer.h"

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
    char path[600];
    snprintf(path, sizeof path, "%.300s/content", s->o->out_dir);
    mkdir(s->o->out_dir, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%.300s/content/%08x.trace", s->o->out_dir,
             sc->id);
    FILE *f = fopen(path, "w");
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
    fclose(f);
}

void storm_write_reproducer(struct sup *s, const struct scenario *sc,
                            const struct scen_finding *f,
                            struct stress_finding *sf)
{
    const char *kind = finding_kind_name((enum finding_kind)f->kind);
    unsigned k = ++s->repro_count[f->kind];
    if (!s->o->out_dir || k > 8) /* eight of a kind are plenty */
        return;
    char dir[400];
    snprintf(dir, sizeof dir, "%.380s/reproducers", s->o->out_dir);
    mkdir(s->o->out_dir, 0755);
    mkdir(dir, 0755);
    snprintf(sf->reproducer, sizeof sf->reproducer, "%s/%s-%u.trace", dir,
             kind, k);
    FILE *out = fopen(sf->reproducer, "w");
    if (!out) {
        sf->reproducer[0] = 0;
        return;
    }
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
    fclose(out);
}
