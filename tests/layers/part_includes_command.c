/* Forbidden edge: nothing below the commands includes them.  Must not
 * compile. */
#include "util.h"
#include "commands.h"
int layer_check(void) { return 0; }
