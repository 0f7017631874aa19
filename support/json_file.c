/* json_file.c - a JSON file read and parsed (json_file.h). */
#include "json_file.h"

#include <stdio.h>
#include <stdlib.h>
#include "util.h"

struct json *read_json_file(const char *path, size_t limit, char *err,
                            size_t errcap)
{
    size_t len;
    char why[512];
    char *text = read_file(path, limit, &len, why, sizeof why);
    if (!text) {
        snprintf(err, errcap, "%s", why);
        return NULL;
    }
    struct json *v = json_parse(text, len, why, sizeof why);
    free(text);
    if (!v)
        snprintf(err, errcap, "%s:%s", path, why);
    return v;
}
