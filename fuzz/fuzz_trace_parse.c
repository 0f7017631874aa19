/* fuzz_trace_parse.c - the text parser on arbitrary bytes: it either reports
 * an error with a line inside the input, or gives a program that prints as
 * text that parses back to the same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct program p, q;
    static char text[1 << 20], again[1 << 20];
    struct trace_error err;
    if (trace_parse((const char *)data, size, &p, &err) < 0) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (err.line == 0 || err.line > lines || err.msg[0] == 0) {
            fprintf(stderr, "error line %u outside 1..%zu: %s\n", err.line,
                    lines, err.msg);
            abort();
        }
        return 0;
    }
    size_t n = trace_print(&p, text, sizeof text);
    if (n >= sizeof text)
        return 0;
    if (trace_parse(text, n, &q, &err) < 0) {
        fprintf(stderr, "printed program does not parse: line %u: %s\n%s",
                err.line, err.msg, text);
        abort();
    }
    size_t m = trace_print(&q, again, sizeof again);
    if (m != n || memcmp(text, again, n) != 0) {
        fprintf(stderr, "print/parse round trip differs:\n%s---\n%s", text,
                again);
        abort();
    }
    return 0;
}
