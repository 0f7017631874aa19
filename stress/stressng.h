/* stressng.h - the storm's --load: stress-ng running beside it.
 *
 * Owns: turning a --load SPEC (stressor:N,...) into a stress-ng command
 * line working in the storm's directory, starting it in its own process
 * group, and stopping it; what ran (or why not) goes to the result's
 * load_note.
 */
#ifndef TERNRIG_STRESSNG_H
#define TERNRIG_STRESSNG_H

#include "supervisor.h"

void start_load(struct sup *s);
void stop_load(struct sup *s);

#endif
