/* real_history.c - the history of a real run (see real_history.h). */
#include <stdlib.h>
#include <string.h>
#include "grow.h"
#include "real_history.h"

void rh_init(struct real_history *h, bool looks_only)
{
    memset(h, 0, sizeof *h);
    h->growable = true;
    h->looks_only = looks_only;
}

void rh_init_fixed(struct real_history *h, struct event *ev,
                   struct rh_origin *org, uint32_t cap, bool looks_only)
{
    memset(h, 0, sizeof *h);
    h->ev = ev;
    h->org = org;
    h->cap = cap;
    h->looks_only = looks_only;
}

void rh_free(struct real_history *h)
{
    if (h->growable) {
        free(h->ev);
        free(h->org);
    }
    h->ev = NULL;
    h->org = NULL;
    h->n = h->cap = 0;
}

/* Room for one more event and its origin: the two arrays grow together,
 * and cap is what both hold. */
static bool make_room(struct real_history *h)
{
    if (!h->growable)
        return false;
    size_t ev_cap = h->cap, org_cap = h->cap;
    if (grow(&h->ev, &ev_cap, h->n, sizeof *h->ev, 1024) < 0 ||
        grow(&h->org, &org_cap, h->n, sizeof *h->org, 1024) < 0)
        return false;
    h->cap = (uint32_t)ev_cap;
    return true;
}

int32_t rh_put(struct real_history *h, const struct event *e, uint8_t src,
               uint32_t stmt, uint64_t t0, uint64_t t1)
{
    if (h->n == h->cap && !make_room(h)) {
        h->overflow = true;
        return -1;
    }
    h->ev[h->n] = *e;
    h->org[h->n] = (struct rh_origin){src, stmt, t0, t1};
    return (int32_t)h->n++;
}

int32_t rh_put_real(struct real_history *h, uint8_t type, uint16_t file,
                    uint64_t bytes, uint32_t stmt, uint8_t src, uint64_t t0,
                    uint64_t t1)
{
    struct event e = event_real(type, file, stmt, bytes);
    return rh_put(h, &e, src, stmt, t0, t1);
}

int rh_pick_decision(const struct rh_decision *d, size_t n, const bool *used,
                     uint16_t file, int32_t flusher, int mm_alive,
                     uint64_t lo, uint64_t hi, bool fallback)
{
    int first = -1, by_process = -1;
    for (size_t k = 0; k < n; k++) {
        if (used[k] || d[k].file != file ||
            (hi && (d[k].t < lo || d[k].t >= hi)))
            continue;
        if (flusher && d[k].tgid != flusher) {
            if (first < 0)
                first = (int)k;
            continue;
        }
        if (mm_alive < 0 || d[k].mm_alive == (mm_alive != 0))
            return (int)k;
        if (by_process < 0)
            by_process = (int)k;
    }
    if (by_process >= 0)
        return by_process;
    return fallback ? first : -1;
}

int rh_judge(struct oracle *o, const struct real_history *h, uint32_t nfiles,
             unsigned done, struct verdict *v, uint32_t *bad)
{
    struct history hist = {h->ev, h->n, h->cap, h->looks_only};
    return oracle_judge(o, &hist, nfiles, done, v, bad);
}
