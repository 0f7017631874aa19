/* records.h - the ledger, drained into the scenarios it describes.
 *
 * Owns: the supervisor's pending scenarios (struct sup's pend: one per
 * LR_BEGIN, filled by the records that follow: intents, results, kills,
 * ends, looks) and the draining of the ledger into them, the flush log's
 * tail after it (logtail.h).  The judging takes them from there
 * (judging.h).
 */
#ifndef TERNRIG_RECORDS_H
#define TERNRIG_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include "scenario.h"
#include "supervisor.h"

/* The pending scenario `id`, or NULL. */
struct scenario *find_scen(struct sup *s, uint32_t id);
void scen_free(struct scenario *sc);
/* Add a flush-log decision to a scenario. */
void add_dec(struct scenario *sc, const struct rh_decision *d);

/* Every ledger record written since the last call, then the flush log's
 * new lines; `final`: the writers are gone (a torn record is lost). */
void storm_drain(struct sup *s, bool final);

#endif
