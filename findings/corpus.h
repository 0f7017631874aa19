/* corpus.h - the trace corpus as the corpus workflow sees it.
 *
 * Owns: indexing a corpus directory by shape (shape.h), telling a finding's
 * (policy, kind), and the corpus file a finding becomes: its name
 * (POLICY-KIND-HASH.trace) and its text (normalized statements plus
 * expectations for every policy from the model, expect_gen.h), and a
 * trace's text with one policy's expectations filled in (`corpus fill`).
 * `ternrig corpus` and `ternrig report` share it.
 */
#ifndef TERNRIG_CORPUS_H
#define TERNRIG_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "judge.h"

struct corpus_entry {
    uint64_t hash;
    char *shape; /* the shape text */
    char *path;  /* the trace that has it */
    int policy;  /* -1: the trace's own shape; else the shape of the trace */
    int kind;    /* minimized for this (policy, violation kind)          */
    char *mechanism; /* minimized: its root cause under (policy, kind)
                        (mechanism.h), or NULL                         */
};

struct corpus_index {
    struct corpus_entry *e;
    size_t n, cap;
};

/* Index every trace below `dir` (a missing or empty directory gives an
 * empty index) by its own shape and, for each (policy, violation kind) it
 * shows in the model, by the shape of its minimized form: a minimized
 * finding of a bug that a corpus trace shows among other statements is
 * known.  Returns 0, or -1 with `err` naming the bad trace
 * ("PATH:LINE: message"). */
int corpus_index_load(struct corpus_index *ix, const char *dir,
                      struct judge *j, char *err, size_t errcap);
/* Add a trace's own shape (policy -1) or a minimized one.  Returns 0, or -1
 * when out of memory. */
int corpus_index_add(struct corpus_index *ix, const char *shape,
                     const char *path, int policy, int kind);
/* The entry that knows this shape: a trace's own shape, or a minimized
 * shape for the same (policy, kind) (give policy -1 to look only at the
 * traces' own shapes).  NULL when none. */
const struct corpus_entry *corpus_index_find(const struct corpus_index *ix,
                                             const char *shape, int policy,
                                             int kind);
/* The entry whose minimized form shows `mechanism` (mechanism.h) under
 * (policy, kind): a finding of another shape with the same root cause is
 * a variant of that trace, the same bug.  NULL when none. */
const struct corpus_entry *
corpus_index_find_mechanism(const struct corpus_index *ix,
                            const char *mechanism, int policy, int kind);
/* Number of traces (own shapes) indexed. */
size_t corpus_index_traces(const struct corpus_index *ix);
void corpus_index_free(struct corpus_index *ix);

/* A finding's (policy, kind): from its first `expect[P] violation KIND F`
 * naming one policy (the form `ternrig fuzz` writes); else the first policy
 * in the core's order under which the model shows a violation, with the
 * first such violation's kind.
 * Returns false when neither applies. */
bool finding_identify(struct judge *j, const struct program *p,
                      enum policy *policy, enum finding_kind *kind);

/* What a shape is known as: the corpus file name
 * "POLICY-KIND-HHHHHHHHHHHH.trace" (12 hex digits of the shape hash). */
void corpus_file_name(enum policy policy, enum finding_kind kind,
                      uint64_t hash, char *buf, size_t cap);

/* Load a finding and reduce it to its corpus form: `p` normalized
 * (finding_normalize, minimized unless `keep`), its shape text into
 * `shape` (malloc'd).  `policy`/`kind` are in-out: FIND_KIND_COUNT as the
 * kind means "identify it" (finding_identify); when that fails the kind
 * stays FIND_KIND_COUNT.  Returns 0, or -1 with `err`. */
int finding_load(struct judge *j, const char *path, struct program *p,
                 struct program *scratch, bool keep, enum policy *policy,
                 enum finding_kind *kind, char **shape, char *err,
                 size_t errcap);

/* The text of a trace (`text`, `len` bytes) with `lines` (the model's
 * expect lines for `pol`, each ending in a newline: expectations_text_for)
 * put right after its last expect line, or at the end when it has none.
 * The trace's own expectations for `pol` go: a line for `pol` alone is
 * dropped (with its trailing comment), `pol` is struck from a longer list
 * (bare `expect` is reference's).  Unless `force`, a trace that has any
 * is left alone: NULL, with *first_line its first such line.  Comments and
 * every other line are kept byte for byte.  Returns a malloc'd string, or
 * NULL with *first_line 0 when out of memory. */
char *corpus_fill_text(const char *text, size_t len, enum policy pol,
                       const char *lines, bool force, unsigned *first_line);

#endif
