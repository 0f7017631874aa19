/* clients.h - the real-program compatibility corpus (corpus/clients/).
 *
 * Owns: the client script header and the matrix cells.  A client is a
 * small shell script run with its working directory on the filesystem
 * under test; its header says what it does, what it must leave there,
 * and what SPEC.md predicts under each policy:
 *
 *   #!/bin/sh
 *   # what: bash's builtin echo, redirected into a new file
 *   # needs bash                  programs it runs that a system may lack
 *   # expect out "hello\n"        exact bytes (C escapes: \n \t \\ \" \xHH)
 *   # expect prog control         the bytes it leaves in a plain directory
 *   # predict empty               under every policy ...
 *   # predict[fuse-naive] exact   ... but this one
 *
 * Scripts find their inputs and helper sources through $CLIENT_DATA (a
 * fresh scratch directory outside the mount) and $CLIENT_DIR (the corpus
 * directory).  Pure: parsing and classification only.
 */
#ifndef TERNRIG_CLIENTS_H
#define TERNRIG_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include "core.h"

enum cell {
    CELL_EXACT,     /* the file is there with exactly the expected bytes  */
    CELL_EMPTY,     /* there, with 0 bytes                                */
    CELL_TRUNCATED, /* there, with a proper prefix of the expected bytes  */
    CELL_LOST,      /* not there: aborted or never sealed                 */
    CELL_ERROR,     /* anything else: other bytes, the program failed...  */
    CELL_COUNT
};

#define CLIENT_MAX_EXPECT 8
#define CLIENT_MAX_NEEDS 8

struct client_expect {
    char path[256];
    bool control;   /* the bytes the script leaves in a plain directory */
    char *bytes;    /* malloc'd; NULL until known for a control file      */
    size_t len;
};

struct client {
    char name[64];   /* the script's name without .sh                    */
    char script[4096];
    char what[256];
    struct client_expect expect[CLIENT_MAX_EXPECT];
    unsigned nexpect;
    char needs[CLIENT_MAX_NEEDS][64]; /* program names, looked up in PATH */
    unsigned nneeds;
    bool predicted[POLICY_COUNT];
    enum cell predict[POLICY_COUNT];
};

const char *cell_name(enum cell c);
bool cell_from_name(const char *s, enum cell *out);

/* Parse the header of script `text` (named `path`, for messages) into `c`.
 * Returns 0, or -1 with "PATH:LINE: message" in `why`. */
int client_parse(const char *path, const char *text, struct client *c,
                 char *why, size_t cap);
void client_free(struct client *c);

/* exact, empty, truncated (a proper prefix) or error (other bytes). */
enum cell classify_content(const char *want, size_t wlen, const char *got,
                           size_t glen);

/* The worse of two cells (exact < truncated < empty < lost < error). */
enum cell cell_worse(enum cell a, enum cell b);

#endif
