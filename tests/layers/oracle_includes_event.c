/* An allowed edge, so that the check itself is shown to build what it
 * should: the oracle reads events.  Must compile. */
#include "event.h"
#include "oracle.h"
int layer_check(void) { return (int)FIND_KIND_COUNT; }
