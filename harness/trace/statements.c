/* statements.c - the statement table itself (statements.h). */
#include <stdatomic.h>
#include <string.h>
#include "limits.h"
#include "statements.h"
#include "trace.h"

#define ACTOR {OPERAND_TASK, SLOT_TASK}
#define NEW_TASK(slot) {OPERAND_NEW_TASK, slot}
#define TASK(slot) {OPERAND_TASK, slot}
#define NEW_FILE {OPERAND_NEW_FILE, SLOT_FILE}
#define FD(slot) {OPERAND_FD, slot}
#define NEW_FD(slot) {OPERAND_NEW_FD, slot}
#define ANY_FD(slot) {OPERAND_ANY_FD, slot}
#define NUMBER {OPERAND_NUMBER, SLOT_N}

/* `as D`: the fd name, by default the name in `dflt`. */
#define OPT_AS(slot, dflt)                                                     \
    {"as", OPTION_NAME, STEP_AS, NEW_FD(slot), dflt}
#define OPT_CLOEXEC {"cloexec", OPTION_FLAG, STEP_CLOEXEC, {0, SLOT_NONE}, SLOT_NONE}
/* `reuses X`: the new task gets the released task_struct of X. */
#define OPT_REUSES                                                             \
    {"reuses", OPTION_NAME, STEP_REUSES,                                       \
     {OPERAND_RELEASED_TASK, SLOT_REUSES}, SLOT_NONE}
/* `order T...`: the dying threads, in the order they exit. */
#define OPT_ORDER                                                              \
    {"order", OPTION_LIST, STEP_ORDER, {OPERAND_DYING_TASK, SLOT_NONE},        \
     SLOT_NONE}

/* A statement by a task with no operand but the actor. */
#define BY_TASK_ALONE(op_, kw, wire_, weight_, kill_)                          \
    [op_] = {kw, op_, wire_, FORM_BY_TASK, 1, 0, {ACTOR}, {{0}}, 0, 0, NULL,   \
             "P " kw, weight_, kill_}
/* The same with an `order` list of the threads it kills. */
#define BY_TASK_ORDERED(op_, kw, wire_, weight_, kill_)                        \
    [op_] = {kw, op_, wire_, FORM_BY_TASK, 1, 1, {ACTOR}, {OPT_ORDER}, 0, 0,   \
             NULL, "P " kw " [order T...]", weight_, kill_}

const struct statement statement_table[OP_COUNT] = {
    [OP_SPAWN] = {"spawn", OP_SPAWN, 0, FORM_KEYWORD_FIRST, 1, 1,
                  {NEW_TASK(SLOT_TASK)}, {OPT_REUSES}, 0, 0, NULL,
                  "spawn P [reuses X]", 2, false},
    [OP_KTHREAD] = {"kthread", OP_KTHREAD, 1, FORM_KEYWORD_FIRST, 1, 1,
                    {NEW_TASK(SLOT_TASK)}, {OPT_REUSES}, 0, 0, NULL,
                    "kthread K [reuses X]", 1, false},
    [OP_CREATE] = {"create", OP_CREATE, 2, FORM_BY_TASK, 2, 2,
                   {ACTOR, NEW_FILE},
                   {OPT_AS(SLOT_FD, SLOT_FILE), OPT_CLOEXEC}, 0, 0, NULL,
                   "P create F [as D] [cloexec]", 14, true},
    [OP_WRITE] = {"write", OP_WRITE, 3, FORM_BY_TASK, 3, 0,
                  {ACTOR, FD(SLOT_FD), NUMBER}, {{0}}, 1, MAX_WRITE,
                  "write size", "P write D N", 18, true},
    [OP_CLOSE] = {"close", OP_CLOSE, 4, FORM_BY_TASK, 2, 0,
                  {ACTOR, FD(SLOT_FD)}, {{0}}, 0, 0, NULL,
                  "P close D", 10, true},
    [OP_URING_CLOSE] = {"uring_close", OP_URING_CLOSE, 5, FORM_BY_TASK, 2, 0,
                        {ACTOR, FD(SLOT_FD)}, {{0}}, 0, 0, NULL,
                        "P uring_close D", 4, true},
    BY_TASK_ALONE(OP_CLOSE_RANGE, "close_range", 6, 2, true),
    [OP_DUP] = {"dup", OP_DUP, 7, FORM_BY_TASK, 3, 0,
                {ACTOR, FD(SLOT_FD), NEW_FD(SLOT_FD2)}, {{0}}, 0, 0, NULL,
                "P dup D D2", 4, true},
    [OP_DUP2] = {"dup2", OP_DUP2, 8, FORM_BY_TASK, 3, 0,
                 {ACTOR, FD(SLOT_FD), ANY_FD(SLOT_FD2)}, {{0}}, 0, 0, NULL,
                 "P dup2 D D2", 4, true},
    [OP_FORK] = {"fork", OP_FORK, 9, FORM_BY_TASK, 2, 1,
                 {ACTOR, NEW_TASK(SLOT_TASK2)}, {OPT_REUSES}, 0, 0, NULL,
                 "P fork Q [reuses X]", 6, false},
    [OP_VFORK] = {"vfork", OP_VFORK, 10, FORM_BY_TASK, 2, 1,
                  {ACTOR, NEW_TASK(SLOT_TASK2)}, {OPT_REUSES}, 0, 0, NULL,
                  "P vfork Q [reuses X]", 3, false},
    [OP_THREAD] = {"thread", OP_THREAD, 11, FORM_BY_TASK, 2, 1,
                   {ACTOR, NEW_TASK(SLOT_TASK2)}, {OPT_REUSES}, 0, 0, NULL,
                   "P thread T [reuses X]", 6, false},
    BY_TASK_ALONE(OP_UNSHARE_FILES, "unshare_files", 12, 2, true),
    BY_TASK_ORDERED(OP_EXEC, "exec", 13, 3, true),
    BY_TASK_ALONE(OP_EXIT, "exit", 14, 3, true),
    BY_TASK_ORDERED(OP_EXIT_GROUP, "exit_group", 15, 2, true),
    [OP_KILL] = {"kill", OP_KILL, 16, FORM_KEYWORD_FIRST, 1, 1,
                 {TASK(SLOT_TASK)}, {OPT_ORDER}, 0, 0, NULL,
                 "kill P [order T...]", 3, false},
    [OP_SEND] = {"send", OP_SEND, 17, FORM_BY_TASK, 3, 1,
                 {ACTOR, FD(SLOT_FD), TASK(SLOT_TASK2)},
                 {OPT_AS(SLOT_FD2, SLOT_FD)}, 0, 0, NULL,
                 "P send D Q [as D2]", 4, false},
    [OP_EXPECT] = {"expect", OP_EXPECT, 18, FORM_EXPECT, 0, 0, {{0}}, {{0}},
                   0, 0, NULL,
                   "expect[P,...] F sealed N | F aborted | F transient | "
                   "clean | violation KIND F | hazard KIND F",
                   0, false},
    [OP_TMPFILE] = {"tmpfile", OP_TMPFILE, 19, FORM_BY_TASK, 2, 2,
                    {ACTOR, NEW_FILE},
                    {OPT_AS(SLOT_FD, SLOT_FILE), OPT_CLOEXEC}, 0, 0, NULL,
                    "P tmpfile F [as D] [cloexec]", 4, true},
    [OP_LINK] = {"link", OP_LINK, 20, FORM_BY_TASK, 2, 0,
                 {ACTOR, FD(SLOT_FD)}, {{0}}, 0, 0, NULL, "P link D", 4,
                 true},
    [OP_OPEN] = {"open", OP_OPEN, 21, FORM_BY_TASK, 2, 1,
                 {ACTOR, {OPERAND_FILE, SLOT_FILE}},
                 {OPT_AS(SLOT_FD, SLOT_FILE)}, 0, 0, NULL,
                 "P open F [as D]", 3, true},
    /* weight 0: it only ever comes first (trace_parse.c, gen.c) */
    [OP_CLOSETRACKER_MAP] = {"closetracker_map", OP_CLOSETRACKER_MAP, 22,
                             FORM_KEYWORD_FIRST, 1, 0, {NUMBER}, {{0}}, 1,
                             CLOSETRACKER_MAP_DEFAULT, "map size",
                             "closetracker_map N", 0, false},
};

const struct statement *statement_by_keyword(const char *keyword, size_t len)
{
    for (unsigned i = 0; i < OP_COUNT; i++)
        if (strlen(statement_table[i].keyword) == len &&
            memcmp(statement_table[i].keyword, keyword, len) == 0)
            return &statement_table[i];
    return NULL;
}

static const struct statement *claiming(uint8_t code)
{
    for (unsigned i = 0; i < OP_COUNT; i++)
        if (statement_table[i].wire == code)
            return &statement_table[i];
    return NULL;
}

/* The search is done once per code: row index + 1, 0 until looked up
 * (atomic: any thread may fill it in, always with the same value). */
static _Atomic uint8_t row_of_wire[STATEMENT_WIRE_CODES];

const struct statement *statement_by_wire(uint8_t code)
{
    code &= STATEMENT_WIRE_CODES - 1;
    uint8_t known = atomic_load_explicit(&row_of_wire[code],
                                         memory_order_relaxed);
    if (known)
        return &statement_table[known - 1];
    const struct statement *st = claiming(code);
    if (!st) /* a reserved code: as before the table */
        st = claiming(code % STATEMENT_WIRE_LEGACY_COUNT);
    if (!st)
        st = &statement_table[OP_SPAWN]; /* unreachable: 0..18 are claimed */
    atomic_store_explicit(&row_of_wire[code], (uint8_t)(st->op + 1),
                          memory_order_relaxed);
    return st;
}

bool statement_kill_may_land(unsigned op)
{
    return op < OP_COUNT && statement_table[op].kill_may_land;
}

const char *statement_not_real(unsigned op)
{
    switch (op) {
    case OP_KTHREAD: return "a kernel thread: user space cannot make one";
    default: return NULL;
    }
}

bool statement_makes_file(unsigned op)
{
    const struct statement *st = statement_of(op);
    for (int i = 0; st && i < st->noperands; i++)
        if (st->operands[i].kind == OPERAND_NEW_FILE)
            return true;
    return false;
}
