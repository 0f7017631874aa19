/* Forbidden edge: the oracle knows no model.  Must not compile. */
#include "oracle.h"
#include "model.h"
int layer_check(void) { return 0; }
