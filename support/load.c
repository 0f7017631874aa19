/* load.c - read a trace file into a program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"
#include "util.h"

bool trace_bytes_are_text(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    if (trace_is_binary(s, len) ||
        (len < TRACE_BIN_MAGIC_LEN && !memcmp(s, TRACE_BIN_MAGIC, len)))
        return false; /* a binary trace, or one cut inside its magic */
    bool statement = false, line_start = true, comment = false;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c == '\n') {
            line_start = true;
            comment = false;
            i++;
            continue;
        }
        if (c < 0x20 && c != '\t' && c != '\r')
            return false;
        if (c == 0x7f)
            return false;
        size_t l = utf8_seq_len(s + i, len - i);
        if (l == 0)
            return false;
        if (line_start && c == '#')
            comment = true;
        if (c != ' ' && c != '\t' && c != '\r') {
            if (!comment)
                statement = true;
            line_start = false;
        }
        i += l;
    }
    return statement;
}

int load_program(const char *path, struct program *p, struct model *m,
                 char *errbuf, size_t errcap)
{
    size_t len;
    char *data = read_file(path, TRACE_FILE_LIMIT, &len, errbuf, errcap);
    if (!data)
        return -1;
    size_t pl = strlen(path);
    bool trb = pl > 4 && strcmp(path + pl - 4, ".trb") == 0;
    bool binary = trace_is_binary((const uint8_t *)data, len) ||
                  (trb && !trace_bytes_are_text(data, len));
    int rc = 0;
    if (binary) {
        trace_decode((const uint8_t *)data, len, p);
        model_sanitize(m, p);
    } else {
        struct trace_error err;
        if (trace_parse(data, len, p, &err) < 0) {
            snprintf(errbuf, errcap, "%s:%u: %s%s", path, err.line, err.msg,
                     trb ? " (read as a text trace: no TRB1 magic, only "
                           "text and a statement line)"
                         : "");
            rc = -1;
        }
    }
    free(data);
    return rc;
}
