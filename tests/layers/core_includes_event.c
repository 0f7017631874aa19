/* Forbidden edge: the core includes nothing of ours.  Must not compile. */
#include "core.h"
#include "event.h"
int layer_check(void) { return 0; }
