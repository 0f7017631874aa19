/* json.h - a small JSON reader and writer for the reports.
 *
 * Owns: parsing JSON text (RFC 8259) into a tree, looking values up, and
 * writing a tree back as compact JSON.  Pure: no files, no printing; errors
 * come back as "LINE:COL: message".  Nesting is limited to JSON_MAX_DEPTH,
 * so hostile input cannot exhaust the stack.
 */
#ifndef TERNRIG_JSON_H
#define TERNRIG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json {
    enum json_type type;
    bool boolean;
    double number;
    char *string;         /* JSON_STRING (NUL-terminated, no NULs inside) */
    char *key;            /* the member name, inside an object            */
    struct json *first;   /* array elements / object members, in order    */
    struct json *last;
    struct json *next;    /* the following sibling                        */
    size_t count;         /* number of elements or members                */
};

/* Parse `len` bytes.  Returns the tree (free with json_free), or NULL with
 * `err` saying where and why ("3:14: expected ':'"). */
struct json *json_parse(const char *text, size_t len, char *err,
                        size_t errcap);
void json_free(struct json *v);

/* Member `key` of an object (the first one with that name), else NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* A number, string or array member, or the default when missing or of
 * another type. */
double json_get_num(const struct json *obj, const char *key, double dflt);
const char *json_get_str(const struct json *obj, const char *key,
                         const char *dflt);

/* Building trees (for merging reports).  Each returns NULL when out of
 * memory.  json_append takes ownership of `v` (and frees it on failure);
 * `key` is copied (NULL inside an array). */
struct json *json_new(enum json_type type);
struct json *json_new_string(const char *s);
struct json *json_new_number(double n);
int json_append(struct json *container, const char *key, struct json *v);

/* Compact JSON text. */
void json_write(FILE *f, const struct json *v);

#endif
