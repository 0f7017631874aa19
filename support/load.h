/* load.h - a program from a trace file, text or binary. */
#ifndef TERNRIG_LOAD_H
#define TERNRIG_LOAD_H

#include "model.h"
#include "trace.h"

#define TRACE_FILE_LIMIT (16u << 20)

/* Loads `path`: binary when it starts with the magic or ends in .trb
 * (decoded, then made valid with model_sanitize), text otherwise (parsed;
 * errors as "PATH:LINE: message").  Returns 0, or -1 with `errbuf`. */
int load_program(const char *path, struct program *p, struct model *m,
                 char *errbuf, size_t errcap);

#endif
