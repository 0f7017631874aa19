/* judging.c - the storm's scenarios, judged (see judging.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "judging.h"
#include "ledger.h"
#include "records.h"
#include "reproducer.h"

#define JUDGE_GRACE_NS 150000000ULL /* records of a scenario still coming */

static void judge_scen(struct sup *s, struct scenario *sc)
{
    struct scen_verdict v;
    scenario_program(s->j.model, s->prog, sc->seed, sc->nsteps,
                     sc->interleave);
    scenario_judge(&s->j, s->prog, s->o->policy, sc, s->r->have_log,
                   s->t_origin, &v);
    if (v.nothing_ran)
        return; /* cut before it began: no scenario to speak of */
    if (!v.judged) {
        s->r->c.unjudged++;
        return;
    }
    s->r->c.sealed += v.sealed;
    s->r->c.aborted += v.aborted;
    s->r->c.uncertain += v.uncertain;
    s->r->c.violations += v.nviolations;
    if (v.nfound && s->o->debug) {
        fprintf(s->o->debug,
                "scenario %08x: killed %d (step %u task %u int %d) "
                "cut %d ended %d\n",
                sc->id, sc->killed, sc->kill_step, sc->kill_task,
                sc->interrupted, sc->cut, sc->ended);
        for (uint32_t i = 0; i < sc->nsteps; i++)
            fprintf(s->o->debug, "  step %u: +%.6f .. +%.6f -> %d\n", i + 1,
                    (double)(sc->step[i].intent_t - s->t_origin) / 1e9,
                    (double)(sc->step[i].result_t - s->t_origin) / 1e9,
                    sc->step[i].result);
        for (uint32_t i = 0; i < sc->ndec; i++)
            fprintf(s->o->debug, "  dec f%u %d at +%.6f size %llu tgid %d\n",
                    sc->dec[i].file, sc->dec[i].type,
                    (double)(sc->dec[i].t - s->t_origin) / 1e9,
                    (unsigned long long)sc->dec[i].size, sc->dec[i].tgid);
    }
    double t = now_mono() - s->t0;
    for (unsigned i = 0; i < v.nfound; i++) {
        const struct scen_finding *f = &v.f[i];
        s->r->by_kind[f->kind]++;
        if (s->r->first[f->kind] < 0)
            s->r->first[f->kind] = t;
        if (f->after_close_syscall && s->r->lost_after_close++ == 0)
            s->r->first_lost_after_close = t;
        if (s->r->nfindings >= STRESS_MAX_FINDINGS ||
            s->repro_count[f->kind] >= 8)
            continue;
        struct stress_finding *sf = &s->r->findings[s->r->nfindings++];
        memset(sf, 0, sizeof *sf);
        sf->kind = f->kind;
        sf->t = t;
        sf->scen = sc->id;
        snprintf(sf->file, sizeof sf->file, "%s", s->prog->file_names[f->file]);
        snprintf(sf->explain, sizeof sf->explain, "%s", f->explain);
        for (unsigned e = 0; e < f->nevidence; e++)
            snprintf(sf->evidence[e], sizeof sf->evidence[e], "%s",
                     f->evidence[e]);
        sf->nevidence = f->nevidence;
        storm_write_reproducer(s, sc, f, sf);
    }
}

/* Judge what is complete: ended (and its records in), or cut by its
 * worker's death.  `all`: everything left (the end of the storm). */
void judge_ready(struct sup *s, bool all)
{
    uint64_t now = ledger_now_ns();
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->npend; i++) {
        struct scenario *sc = s->pend[i];
        uint64_t cut = sc->worker < MAX_WORKERS ? s->worker_cut_t[sc->worker]
                                                : 0;
        if (!sc->ended && cut && cut > sc->begin_t) {
            sc->cut = true;
            sc->cut_t = cut;
        }
        uint64_t done_t = sc->ended ? sc->end_t : sc->cut ? sc->cut_t : 0;
        if (all || (done_t && now > done_t + JUDGE_GRACE_NS)) {
            if (sc->ended || sc->cut)
                judge_scen(s, sc);
            else
                s->r->c.unjudged++; /* stopped mid-scenario at the end */
            scen_free(sc);
        } else {
            s->pend[keep++] = sc;
        }
    }
    s->npend = keep;
}

