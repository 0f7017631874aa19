/* records.c - the ledger, drained into scenarios (see records.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include "grow.h"
#include "ledger.h"
#include "logtail.h"
#include "records.h"
#include "reproducer.h"

struct scenario *find_scen(struct sup *s, uint32_t id)
{
    for (uint32_t i = s->npend; i-- > 0;)
        if (s->pend[i]->id == id)
            return s->pend[i];
    return NULL;
}

void scen_free(struct scenario *sc)
{
    free(sc->step);
    free(sc->obs);
    free(sc->dec);
    free(sc);
}

static struct scenario *scen_new(struct sup *s, const struct ledger_rec *r)
{
    if (grow(&s->pend, &s->cap_pend, s->npend, sizeof *s->pend, 64) < 0)
        return NULL;
    struct scenario *sc = calloc(1, sizeof *sc);
    uint32_t n = r->b < MAX_STEPS ? (uint32_t)r->b : MAX_STEPS - 1;
    if (sc)
        sc->step = calloc(n + 1, sizeof *sc->step);
    if (!sc || !sc->step) {
        free(sc);
        return NULL;
    }
    sc->id = r->scen;
    sc->worker = r->worker;
    sc->seed = r->a;
    sc->nsteps = n;
    sc->interleave = (unsigned)r->result;
    sc->begin_t = r->t_ns;
    s->pend[s->npend++] = sc;
    return sc;
}

static void add_obs(struct scenario *sc, const struct scen_obs *o)
{
    if (grow(&sc->obs, &sc->cap_obs, sc->nobs, sizeof *sc->obs, 16) == 0)
        sc->obs[sc->nobs++] = *o;
}

void add_dec(struct scenario *sc, const struct rh_decision *d)
{
    if (grow(&sc->dec, &sc->cap_dec, sc->ndec, sizeof *sc->dec, 16) == 0)
        sc->dec[sc->ndec++] = *d;
}

static void take_record(struct sup *s, const struct ledger_rec *r)
{
    s->r->c.ledger_records++;
    if (r->kind == LR_BEGIN) {
        struct scenario *sc = scen_new(s, r);
        if (sc && s->norphans)
            adopt_orphans(s, sc);
        return;
    }
    if (r->kind == LR_INODE) { /* before the scenario check: the log may
                                  name the inode after the scenario ends */
        struct storm_inode *in = &s->inode[r->a % STORM_INODES];
        in->ino = r->a;
        in->scen = r->scen;
        in->file = r->step;
        return;
    }
    struct scenario *sc = find_scen(s, r->scen);
    if (!sc)
        return;
    switch (r->kind) {
    case LR_INTENT:
        if (r->step < sc->nsteps)
            sc->step[r->step].intent_t = r->t_ns;
        break;
    case LR_RESULT:
        if (r->step < sc->nsteps) {
            sc->step[r->step].result_t = r->t_ns;
            sc->step[r->step].result = r->result;
            sc->step[r->step].pid = r->pid;
            sc->step[r->step].pid2 = (int32_t)r->b;
        }
        break;
    case LR_KILL:
        sc->killed = true;
        sc->kill_step = r->step;
        sc->kill_task = (uint16_t)r->a;
        sc->interrupted = r->b != 0;
        break;
    case LR_END:
        sc->ended = true;
        sc->end_result = r->result;
        sc->end_t = r->t_ns;
        break;
    case LR_UNSEEN: {
        struct scen_obs o = {r->step, true, 0, r->b, r->t_ns, false};
        add_obs(sc, &o);
        break;
    }
    case LR_OBSERVE: {
        struct scen_obs o = {r->step, r->result != 0, r->a, r->b, r->t_ns,
                             true};
        add_obs(sc, &o);
        s->r->c.observations++;
        if (!o.content_ok && s->r->c.content_bad++ < 4)
            save_content_mismatch(s, sc, &o, (uint64_t)r->pid, r->worker);
        break;
    }
    default:
        break;
    }
}

void storm_drain(struct sup *s, bool final)
{
    static struct ledger_rec buf[4096];
    if (!s->ledger)
        return;
    for (;;) {
        size_t n = ledger_read(s->ledger, &s->after_seq, buf, 4096,
                               &s->r->c.ledger_lost, &s->r->c.ledger_torn,
                               final);
        for (size_t i = 0; i < n; i++)
            take_record(s, &buf[i]);
        if (n < 4096)
            break;
    }
    tail_log(s);
}
