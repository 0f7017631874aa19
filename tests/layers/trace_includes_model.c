/* Forbidden edge: the trace language knows no executor.  Must not compile. */
#include "trace.h"
#include "model.h"
int layer_check(void) { return 0; }
