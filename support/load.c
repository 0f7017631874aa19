/* load.c - read a trace file into a program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"
#include "util.h"

int load_program(const char *path, struct program *p, struct model *m,
                 char *errbuf, size_t errcap)
{
    size_t len;
    char *data = read_file(path, TRACE_FILE_LIMIT, &len, errbuf, errcap);
    if (!data)
        return -1;
    size_t pl = strlen(path);
    bool binary = trace_is_binary((const uint8_t *)data, len) ||
                  (pl > 4 && strcmp(path + pl - 4, ".trb") == 0);
    int rc = 0;
    if (binary) {
        trace_decode((const uint8_t *)data, len, p);
        model_sanitize(m, p);
    } else {
        struct trace_error err;
        if (trace_parse(data, len, p, &err) < 0) {
            snprintf(errbuf, errcap, "%s:%u: %s", path, err.line, err.msg);
            rc = -1;
        }
    }
    free(data);
    return rc;
}
