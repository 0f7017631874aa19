/* leftovers.h - nothing of a storm may outlive it.
 *
 * Owns: a storm's state directory (/tmp/ternrig-stress-XXXXXX with
 * `owner`, `mount` or `storm` files naming what to remove if the storm is
 * killed), removing trees, and killing a subreaper's children.  The
 * cleaning of what killed storms left is stress_clean_leftovers()
 * (stress.h).
 */
#ifndef TERNRIG_LEFTOVERS_H
#define TERNRIG_LEFTOVERS_H

#include <sys/types.h>

/* Write `val` into the file `name` of state directory `dir`. */
void write_state(const char *dir, const char *name, const char *val);
/* SIGKILL our children other than `spare`; returns how many there were. */
unsigned kill_children(pid_t spare);

#endif
