/* observer.h - the storm's observer: what the directory shows, when.
 *
 * Owns: polling the storm's worker directories (readdir, stat, and a read
 * that checks the content pattern of stress_pattern()) and appending an
 * LR_OBSERVE record for every file seen anew or with a new size: the look's
 * start in `b`, its end as the record's time, whether the bytes are the
 * ones written in `result` (the first wrong offset in `pid`).
 */
#ifndef TERNRIG_OBSERVER_H
#define TERNRIG_OBSERVER_H

#include "ledger.h"

/* Sweep `storm_dir` every 20 ms until *stop; returns 0. */
int observer_main(struct ledger *l, const char *storm_dir,
                  const volatile int *stop);

#endif
