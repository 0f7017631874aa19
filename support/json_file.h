/* json_file.h - a JSON file read and parsed: json.c is pure, util.c reads
 * files; this joins them for the commands that read results (report, lab).
 */
#ifndef TERNRIG_JSON_FILE_H
#define TERNRIG_JSON_FILE_H

#include <stddef.h>
#include "json.h"

/* At most `limit` bytes: the tree (free with json_free), or NULL with
 * "PATH: why" or "PATH:LINE:COL: why". */
struct json *read_json_file(const char *path, size_t limit, char *err,
                            size_t errcap);

#endif
