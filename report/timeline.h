/* timeline.h - a history printed as a readable timeline (replay -v). */
#ifndef TERNRIG_TIMELINE_H
#define TERNRIG_TIMELINE_H

#include <stdio.h>
#include "model.h"
#include "oracle.h"

void print_timeline(FILE *out, const struct program *p, const struct model *m,
                    const struct verdict *v, enum policy policy);

#endif
