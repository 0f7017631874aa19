/* statements.h - the table of trace statements (SPEC §3): one row per
 * statement.
 *
 * Owns: what each statement looks like - its keyword, where the acting task
 * stands, its operands and their kinds, its options (`as D`, `cloexec`),
 * its usage text, its generator weight, whether a stress kill may land
 * while it runs, and its stable code in the binary form.  The parser, the
 * printer, the codec, the generator, the mutator, the fuzz dictionary and
 * the help text read this table; what a statement *does* is the model's.
 *
 * Adding a statement: a value in enum trace_op, a row in statements.c with
 * an unused wire code (23..30 are free; 31 is the escape of statements with
 * SPEC v2's options, see trace_codec.c), and its semantics in the model.
 *
 * The schedule options (SPEC v2 §3) are rows' options already: `reuses X`
 * (NAME, RELEASED_TASK -> reuses) and `order T...` (LIST of DYING_TASK).
 */
#ifndef TERNRIG_STATEMENTS_H
#define TERNRIG_STATEMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The statements, as the model knows them.  These are internal ids, not
 * the binary form: see `wire` in struct statement. */
enum trace_op {
    OP_SPAWN,
    OP_KTHREAD,
    OP_CREATE,
    OP_WRITE,
    OP_CLOSE,
    OP_URING_CLOSE,
    OP_CLOSE_RANGE,
    OP_DUP,
    OP_DUP2,
    OP_FORK,
    OP_VFORK,
    OP_THREAD,
    OP_UNSHARE_FILES,
    OP_EXEC,
    OP_EXIT,
    OP_EXIT_GROUP,
    OP_KILL,
    OP_SEND,
    OP_EXPECT,
    /* SPEC v2 (wire codes 19..22; the ids equal the codes) */
    OP_TMPFILE,
    OP_LINK,
    OP_OPEN,
    OP_CLOSETRACKER_MAP,
    OP_COUNT
};

/* Where a statement's words go in struct step (trace.h). */
enum step_slot {
    SLOT_TASK,  /* the acting task, or the one task of spawn/kthread/kill */
    SLOT_TASK2, /* a second task: fork's Q, send's receiver             */
    SLOT_FILE,  /* a file name                                          */
    SLOT_FD,    /* an fd name                                           */
    SLOT_FD2,   /* a second fd name                                     */
    SLOT_REUSES,/* the task whose task_struct a new task reuses         */
    SLOT_N,     /* a number                                             */
    SLOT_NONE   /* no slot (an option's missing default)                */
};

/* What a word of a statement names.  The namespace follows from the kind;
 * "NEW" kinds name something the statement brings into being, which the
 * generator draws as the next unused name. */
enum operand_kind {
    OPERAND_TASK,     /* a task that exists: the actor, kill's P, send's Q */
    OPERAND_NEW_TASK, /* a task the statement makes: spawn P, fork Q       */
    OPERAND_FILE,     /* a file an earlier statement made                  */
    OPERAND_NEW_FILE, /* a file the statement makes: create F              */
    OPERAND_FD,       /* an fd name bound in the actor's table             */
    OPERAND_NEW_FD,   /* an fd name the statement binds                    */
    OPERAND_ANY_FD,   /* bound or not, bound after: dup2's D2              */
    OPERAND_NUMBER,   /* a number in the row's range                       */
    OPERAND_RELEASED_TASK, /* a task whose task_struct is released and not
                              yet reused: `reuses X`                      */
    OPERAND_DYING_TASK     /* a thread that dies in the statement: `order` */
};

/* The namespace an operand kind names (the one place that says so). */
enum name_space { SPACE_TASK, SPACE_FILE, SPACE_FD, SPACE_NONE };

static inline enum name_space operand_space(unsigned kind)
{
    switch (kind) {
    case OPERAND_TASK:
    case OPERAND_NEW_TASK:
    case OPERAND_RELEASED_TASK:
    case OPERAND_DYING_TASK: return SPACE_TASK;
    case OPERAND_FILE:
    case OPERAND_NEW_FILE: return SPACE_FILE;
    case OPERAND_FD:
    case OPERAND_NEW_FD:
    case OPERAND_ANY_FD: return SPACE_FD;
    default: return SPACE_NONE;
    }
}

struct statement_operand {
    uint8_t kind; /* enum operand_kind */
    uint8_t slot; /* enum step_slot    */
};

enum option_kind {
    OPTION_FLAG, /* a word alone: `cloexec`                              */
    OPTION_NAME, /* a word and a name after it: `as D`                   */
    OPTION_LIST  /* a word and every name after it to the end of the
                    statement, perhaps none: `order T1 T2`; kept in the
                    program's order_names (trace.h), its own namespace's
                    names (always tasks today)                           */
};

/* An option: at most once per statement, in any order after the operands. */
struct statement_option {
    const char *keyword;
    uint8_t kind;         /* enum option_kind                              */
    uint8_t flag;         /* the STEP_* bit (trace.h) that says it was given */
    struct statement_operand name;  /* OPTION_NAME: what the name is and its slot     */
    uint8_t default_slot; /* OPTION_NAME: when absent, the name is the one
                             in this slot (create's fd is named like F);
                             SLOT_NONE: no default                          */
};

enum statement_form {
    FORM_BY_TASK,       /* P keyword operands... (operands[0] is P)     */
    FORM_KEYWORD_FIRST, /* keyword operands...                          */
    FORM_EXPECT         /* expect[...] ...: its own grammar (trace_parse.c) */
};

#define STATEMENT_MAX_OPERANDS 4
#define STATEMENT_MAX_OPTIONS 2

struct statement {
    const char *keyword;
    uint8_t op;    /* enum trace_op: the row's own index                 */
    uint8_t wire;  /* the stable statement code of the binary form: 0..31,
                      never reused nor renumbered                         */
    uint8_t form;  /* enum statement_form                                */
    uint8_t noperands, noptions;
    /* In text order; for FORM_BY_TASK the first is the actor.  The binary
     * form holds them in this order, then each option's name. */
    struct statement_operand operands[STATEMENT_MAX_OPERANDS];
    struct statement_option options[STATEMENT_MAX_OPTIONS];
    uint32_t number_min, number_max; /* OPERAND_NUMBER's range        */
    const char *number_what;         /* OPERAND_NUMBER, for errors    */
    const char *usage;
    uint8_t weight; /* how often the generator and the mutator propose
                       it; 0: never (expect)                            */
    /* A stress kill of another process may land while it runs (the real
     * executor): false where the new task or the receiver would never
     * answer, or where the statement is the kill itself. */
    bool kill_may_land;
};

/* The rows, indexed by enum trace_op. */
extern const struct statement statement_table[OP_COUNT];

/* The row of a statement; NULL if `op` is no statement. */
static inline const struct statement *statement_of(unsigned op)
{
    return op < OP_COUNT ? &statement_table[op] : NULL;
}
/* The row that `keyword` (not NUL-terminated) names, or NULL. */
const struct statement *statement_by_keyword(const char *keyword, size_t len);

/* Wire codes are five bits.  Codes that no row claims decode as the
 * format did before the table: code % STATEMENT_WIRE_LEGACY_COUNT (the 19
 * statements of 2026-11), so that stored inputs keep their meaning; a new
 * statement that claims a reserved code changes the meaning of that code
 * alone. */
#define STATEMENT_WIRE_CODES 32
#define STATEMENT_WIRE_LEGACY_COUNT 19
/* Code 31 is no statement's: it escapes a statement with SPEC v2 options
 * (trace_codec.c).  statement_by_wire(31) still gives the legacy row. */
#define STATEMENT_WIRE_ESCAPE 31
/* The row a five-bit wire code decodes to (never NULL). */
const struct statement *statement_by_wire(uint8_t code);

/* True if statement `op` makes the file named in its file slot. */
bool statement_makes_file(unsigned op);

/* True if a kill may land while statement `op` runs (see above). */
bool statement_kill_may_land(unsigned op);

/* Why statement `op` cannot run on a real kernel and mount (the real
 * executor, the storm's scenarios), or NULL when it can. */
const char *statement_not_real(unsigned op);

#endif
