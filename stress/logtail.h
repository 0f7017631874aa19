/* logtail.h - the flush log, tailed into the storm's scenarios.
 *
 * Owns: reading the new lines of the flush log of ternrig fs (the embedded
 * one's, or the one a --mount reports) with flushlog.h's tail reader,
 * keeping the decisions on the storm's files (named s<scenario>-f<file>,
 * or, a tmpfile not yet linked, known by the inode its worker reported:
 * LR_INODE; its flush lines have no name),
 * and the orphans: decisions read before their scenario's first ledger
 * record, adopted when it comes, dropped after a minute.
 */
#ifndef TERNRIG_LOGTAIL_H
#define TERNRIG_LOGTAIL_H

#include "scenario.h"
#include "supervisor.h"

/* The decisions logged since the last call, into their scenarios. */
void tail_log(struct sup *s);

/* Give `sc` (just begun) the decisions kept for it; drop the old ones. */
void adopt_orphans(struct sup *s, struct scenario *sc);

#endif
