/* logtail.c - the flush log, tailed into scenarios (see logtail.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "flushlog.h"
#include "ledger.h"
#include "logtail.h"
#include "records.h"

/* Decisions the log showed before their scenario's first record, and
 * those too old to ever find one (dropped). */
void adopt_orphans(struct sup *s, struct scenario *sc)
{
    uint32_t keep = 0;
    uint64_t too_old = ledger_now_ns() - 60000000000ULL;
    for (uint32_t i = 0; i < s->norphans; i++) {
        if (sc && s->orphan[i].scen == sc->id)
            add_dec(sc, &s->orphan[i].d);
        else if (s->orphan[i].d.t > too_old)
            s->orphan[keep++] = s->orphan[i];
    }
    s->norphans = keep;
}

/* The flush log of ternrig fs (ours, or the one --mount reports):
 * decisions on the storm's files.  A line still being written is left
 * whole for next time (flushlog.h's tail reader). */
void tail_log(struct sup *s)
{
    if (!s->log[0])
        return;
    /* opened once and kept: the log is read even if someone removes its
     * name meanwhile */
    if (!s->logf && !(s->logf = fopen(s->log, "r")))
        return;
    struct flog_tail tail;
    struct flog_event ev;
    flushlog_tail_init(&tail, s->logf, s->log_off);
    while (flushlog_tail_next(&tail, &ev) == 1) {
        unsigned scen, file;
        if (ev.op != FLOG_FLUSH || !ev.decision[0] || !ev.t_ns)
            continue;
        /* a tmpfile by its inode (unnamed until linked; the
         * worker's LR_INODE came through the ledger, drained first), any
         * other file by its name */
        const struct storm_inode *in = &s->inode[ev.ino % STORM_INODES];
        if (ev.ino && in->ino == ev.ino) {
            scen = in->scen;
            file = in->file;
        } else if (sscanf(ev.name, "s%8x-f%u", &scen, &file) != 2) {
            continue;
        }
        struct scenario *sc = find_scen(s, scen);
        struct rh_decision d = {0};
        d.file = (uint16_t)file;
        d.type = !strcmp(ev.decision, "seal")    ? EV_SEAL
                 : !strcmp(ev.decision, "abort") ? EV_ABORT
                                                 : EV_FLUSH;
        d.mm_alive = ev.mm_alive;
        d.group_exit = ev.group_exit;
        d.tgid = ev.tgid;
        d.tid = ev.tid;
        d.t = ev.t_ns;
        d.size = ev.size > 0 ? (uint64_t)ev.size : 0;
        if (sc) {
            add_dec(sc, &d);
        } else if (s->norphans < MAX_ORPHANS) {
            /* the log can be ahead of the ledger (a record being written
             * holds the reader back): kept until its scenario begins */
            s->orphan[s->norphans].scen = scen;
            s->orphan[s->norphans++].d = d;
        }
    }
    s->log_off = tail.off;
    flushlog_tail_done(&tail);
}

