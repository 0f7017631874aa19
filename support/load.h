/* load.h - a program from a trace file, text or binary. */
#ifndef TERNRIG_LOAD_H
#define TERNRIG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"
#include "trace.h"

#define TRACE_FILE_LIMIT (16u << 20)

/* True when bytes without the TRB1 magic are a text trace by content:
 * valid UTF-8 with no control byte but tab, CR and newline, and at least
 * one line that is neither blank nor a comment (and not the start of the
 * magic: a binary trace cut short).  Raw fuzzer bytes that
 * are not (a lone space, a newline, a comment without its newline) are
 * binary; `load_program` and `ternrig decode` both decide by this. */
bool trace_bytes_are_text(const char *data, size_t len);

/* Loads `path`: binary when it starts with the magic, or ends in .trb and
 * is not text by content (decoded, then made valid with model_sanitize),
 * text otherwise (parsed; errors as "PATH:LINE: message").  Returns 0, or
 * -1 with `errbuf`. */
int load_program(const char *path, struct program *p, struct model *m,
                 char *errbuf, size_t errcap);

#endif
