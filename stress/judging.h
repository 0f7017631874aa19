/* judging.h - the storm's scenarios, judged when complete.
 *
 * Owns: deciding when a pending scenario is complete (ended and its
 * records in, or cut by its worker's death), judging it with
 * scenario_judge, and adding its verdict to the result: the counts, the
 * first detection of each kind, the findings kept with their reproducers.
 */
#ifndef TERNRIG_JUDGING_H
#define TERNRIG_JUDGING_H

#include <stdbool.h>
#include "supervisor.h"

/* Judge what is complete; `all`: everything left (the end of the storm). */
void judge_ready(struct sup *s, bool all);

#endif
