/* trace.h - the trace language of SPEC §3: program representation, text
 * parser and printer, and the compact binary encoding for fuzzers.
 *
 * Owns: syntax.  The parser checks everything that can be checked without
 * running the trace (unknown statement, arity, names, numbers, policy and
 * finding names, an expect that names a file no statement creates, limits).
 * Whether each statement is valid when it runs (a dead or unknown task, an fd
 * name that is not open, a suspended vfork parent) is the model's business:
 * see model_check() in model.h.  What each statement looks like is the
 * statement table's (statements.h).  This module knows no executor.
 */
#ifndef TERNRIG_TRACE_H
#define TERNRIG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "event.h"
#include "limits.h"
#include "statements.h"

enum expect_kind {
    EXPECT_SEALED,    /* expect F sealed N          */
    EXPECT_ABORTED,   /* expect F aborted           */
    EXPECT_TRANSIENT, /* expect F transient         */
    EXPECT_CLEAN,     /* expect clean               */
    EXPECT_FINDING,   /* expect violation|hazard KIND F */
    EXPECT_KIND_COUNT
};

#define STEP_CLOEXEC 0x01 /* create ... cloexec                          */
#define STEP_AS 0x02      /* create/send ... as D: the fd name was given */
#define STEP_REUSES 0x04  /* spawn/kthread/fork/vfork/thread ... reuses X */
#define STEP_ORDER 0x08   /* kill/exit_group/exec ... order T...: the list
                             is given (it may be empty)                   */

#define POLICY_MASK_ALL ((1u << POLICY_COUNT) - 1)

/* One statement.  Names are small integers into the program's name tables,
 * one table per namespace (tasks, files, fd names). */
struct step {
    uint8_t op;       /* enum trace_op                                  */
    uint8_t flags;    /* STEP_*                                         */
    uint8_t xkind;    /* OP_EXPECT: enum expect_kind                    */
    uint8_t xfind;    /* OP_EXPECT finding: enum finding_kind           */
    uint8_t policies; /* OP_EXPECT: mask of policies it applies to; 0 =
                         a bare expect (applies to reference)            */
    uint8_t norder;   /* STEP_ORDER: how many names the list holds       */
    uint16_t task;    /* the acting task (P, K, or kill's target)        */
    uint16_t task2;   /* fork/vfork/thread: Q or T; send: Q              */
    uint16_t file;    /* create, expect: F                               */
    uint16_t fd;      /* create: D; write/close/dup/dup2/send: D        */
    uint16_t fd2;     /* dup/dup2: D2; send: D2                          */
    uint16_t reuses;  /* STEP_REUSES: the task whose task_struct it gets */
    uint16_t order_at; /* STEP_ORDER: where the list starts in the
                          program's order_names                          */
    uint32_t n;       /* write: N; expect sealed: N                      */
    uint32_t line;    /* source line, 0 when decoded from binary         */
};

typedef char trace_name[MAX_NAME_LEN + 1];

/* The value in a slot of a step (enum step_slot), and setting it. */
static inline uint32_t step_slot(const struct step *s, unsigned slot)
{
    switch (slot) {
    case SLOT_TASK: return s->task;
    case SLOT_TASK2: return s->task2;
    case SLOT_FILE: return s->file;
    case SLOT_FD: return s->fd;
    case SLOT_FD2: return s->fd2;
    case SLOT_REUSES: return s->reuses;
    case SLOT_N: return s->n;
    default: return 0;
    }
}

static inline void step_set_slot(struct step *s, unsigned slot, uint32_t v)
{
    switch (slot) {
    case SLOT_TASK: s->task = (uint16_t)v; break;
    case SLOT_TASK2: s->task2 = (uint16_t)v; break;
    case SLOT_FILE: s->file = (uint16_t)v; break;
    case SLOT_FD: s->fd = (uint16_t)v; break;
    case SLOT_FD2: s->fd2 = (uint16_t)v; break;
    case SLOT_REUSES: s->reuses = (uint16_t)v; break;
    case SLOT_N: s->n = v; break;
    default: break;
    }
}


struct program {
    uint32_t nsteps;
    uint16_t ntasks, nfiles, nfds;
    trace_name task_names[MAX_TASK_NAMES];
    trace_name file_names[MAX_FILE_NAMES];
    trace_name fd_names[MAX_FD_NAMES];
    /* The task names of every `order` list, each list in one run (see
     * struct step's order_at and norder). */
    uint16_t norder_names;
    uint16_t order_names[MAX_ORDER_NAMES];
    struct step steps[MAX_STEPS];
};

/* The `order` list of step `s` (its norder names). */
static inline const uint16_t *step_order(const struct program *p,
                                         const struct step *s)
{
    return &p->order_names[s->order_at];
}

/* Give step `s` of `p` the order list `tasks` (n names; `tasks` may point
 * into p's own list) and set STEP_ORDER.  Compacts the program's lists when
 * they are full.  Returns 0, or -1 when the lists of all steps together
 * would hold more than MAX_ORDER_NAMES names (nothing changed then). */
int program_set_order(struct program *p, struct step *s,
                      const uint16_t *tasks, unsigned n);

/* The name that operand kind `kind` (enum operand_kind) gives index `i`
 * in `p`: a task, file or fd name.  NULL for a number. */
const char *program_name(const struct program *p, unsigned kind, uint32_t i);

/* A trace error: where and what.  Reported as FILE:LINE: message. */
struct trace_error {
    uint32_t line;
    char msg[160];
};

/* Parse `len` bytes of text.  Returns 0, or -1 with `err` filled. */
int trace_parse(const char *text, size_t len, struct program *out,
                struct trace_error *err);

/* Print as text that trace_parse reads back to the same program.  Returns
 * the length it needed (like snprintf); the output is truncated to `cap`. */
size_t trace_print(const struct program *p, char *buf, size_t cap);
/* Print one statement (no newline). */
size_t trace_print_step(const struct program *p, const struct step *s,
                        char *buf, size_t cap);

/* Binary encoding.  A file holds TRACE_BIN_MAGIC then the payload; fuzzers
 * feed the payload alone.  trace_decode() is total: any bytes give a
 * syntactically valid program of at most TRACE_DECODE_MAX_STEPS statements,
 * with generated names.  Statements that would be invalid when run are
 * removed afterwards by model_sanitize(). */
#define TRACE_BIN_MAGIC "TRB1"
#define TRACE_BIN_MAGIC_LEN 4
#define TRACE_DECODE_MAX_STEPS 512
size_t trace_encode(const struct program *p, uint8_t *buf, size_t cap);
/* Give p the decoder's generated names (p0.., f0.., d0..), the first
 * ntasks, nfiles and nfds of each namespace (at most the limits), and
 * those counts. */
void trace_generated_names(struct program *p, unsigned ntasks,
                           unsigned nfiles, unsigned nfds);
void trace_decode(const uint8_t *data, size_t len, struct program *out);
/* The libFuzzer/AFL++ dictionary of the binary form (fuzz/ternrig.dict),
 * made from the statement table.  Returns the length it needed (like
 * snprintf); the text is NUL-terminated within `cap`. */
size_t trace_fuzz_dictionary(char *buf, size_t cap);
/* True if `data` starts with the binary magic. */
bool trace_is_binary(const uint8_t *data, size_t len);

const char *trace_op_name(enum trace_op op);
/* Start a program with no statements and no names. */
void program_init(struct program *p);
/* True if a statement of `p` makes file `f` (create, tmpfile). */
bool program_makes_file(const struct program *p, uint16_t f);
/* Remove statement `i`, keeping the rest in order. */
void program_remove_step(struct program *p, uint32_t i);

#endif
