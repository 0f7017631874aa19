/* shape.c - normalized statement sequences and their hash. */
#include <string.h>
#include "minimize.h"
#include "shape.h"

static void drop_expects(struct program *p)
{
    for (uint32_t i = 0; i < p->nsteps;)
        if (p->steps[i].op == OP_EXPECT)
            program_remove_step(p, i);
        else
            i++;
}

bool finding_normalize(struct judge *j, struct program *p,
                       struct program *scratch, enum policy policy,
                       enum finding_kind kind, bool minimize)
{
    drop_expects(p);
    bool shrunk = false;
    if (minimize && kind < FIND_KIND_COUNT &&
        program_finds(j, p, policy, kind, NULL)) {
        minimize_program(j, p, scratch, policy, kind);
        shrunk = true;
    }
    canonicalize_names(p);
    return shrunk;
}

size_t program_shape(const struct program *p, struct program *scratch,
                     char *buf, size_t cap)
{
    memcpy(scratch, p,
           offsetof(struct program, steps) + p->nsteps * sizeof p->steps[0]);
    drop_expects(scratch);
    for (uint32_t i = 0; i < scratch->nsteps; i++)
        if (scratch->steps[i].op == OP_WRITE)
            scratch->steps[i].n = 1;
    canonicalize_names(scratch);
    return trace_print(scratch, buf, cap);
}

uint64_t shape_hash(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *text; text++) {
        h ^= (unsigned char)*text;
        h *= 0x100000001b3ull;
    }
    return h;
}
