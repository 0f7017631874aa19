/* minimize.c - delete statements while the finding still fires; rename. */
#include <stdio.h>
#include <string.h>
#include "minimize.h"

bool program_finds(struct judge *j, const struct program *p,
                   enum policy policy, enum finding_kind kind,
                   uint16_t *file)
{
    struct judgement out;
    if (judge_run(j, p, policy, &out) < 0)
        return false;
    for (uint32_t i = 0; i < out.verdict.nfindings; i++)
        if (out.verdict.findings[i].kind == kind) {
            if (file)
                *file = out.verdict.findings[i].file;
            return true;
        }
    return false;
}

/* Copy p without statements [from, from+n), then make it valid. */
static void without(struct judge *j, const struct program *p,
                    struct program *out, uint32_t from, uint32_t n)
{
    memcpy(out, p, offsetof(struct program, steps));
    memcpy(out->steps, p->steps, from * sizeof p->steps[0]);
    memcpy(out->steps + from, p->steps + from + n,
           (p->nsteps - from - n) * sizeof p->steps[0]);
    out->nsteps = p->nsteps - n;
    model_sanitize(j->model, out);
}

uint32_t minimize_program(struct judge *j, struct program *p,
                          struct program *scratch, enum policy policy,
                          enum finding_kind kind)
{
    uint32_t tries = 0;
    for (uint32_t i = 0; i < p->nsteps;) {
        if (p->steps[i].op == OP_EXPECT)
            program_remove_step(p, i);
        else
            i++;
    }
    for (uint32_t chunk = p->nsteps / 2 ? p->nsteps / 2 : 1; chunk >= 1;) {
        bool shrunk = false;
        for (uint32_t from = 0; from + chunk <= p->nsteps;) {
            without(j, p, scratch, from, chunk);
            tries++;
            if (program_finds(j, scratch, policy, kind, NULL)) {
                memcpy(p, scratch, offsetof(struct program, steps) +
                                       scratch->nsteps * sizeof p->steps[0]);
                shrunk = true;
            } else {
                from += chunk;
            }
        }
        if (chunk == 1 && !shrunk)
            break;
        if (!shrunk)
            chunk /= 2;
        else if (chunk > p->nsteps / 2 && p->nsteps / 2 >= 1)
            chunk = p->nsteps / 2;
    }
    return tries;
}

static void letter_name(trace_name out, unsigned i, char first,
                        const char *prefix)
{
    if (first + (int)i <= 'z')
        snprintf(out, sizeof(trace_name), "%c", first + (int)i);
    else
        snprintf(out, sizeof(trace_name), "%s%u", prefix, i);
}

struct renamer {
    uint16_t map[MAX_FD_NAMES]; /* old index -> new index + 1, 0 unset */
    uint16_t n;
};

static uint16_t rename_one(struct renamer *r, uint16_t old)
{
    if (!r->map[old])
        r->map[old] = ++r->n;
    return (uint16_t)(r->map[old] - 1);
}

/* The renamer of the namespace an operand kind names (NULL: a number). */
static struct renamer *renamer_of(unsigned kind, struct renamer *tasks,
                                  struct renamer *files, struct renamer *fds)
{
    switch (operand_space(kind)) {
    case SPACE_TASK: return tasks;
    case SPACE_FILE: return files;
    case SPACE_FD: return fds;
    default: return NULL;
    }
}

void canonicalize_names(struct program *p)
{
    static struct renamer tasks, files, fds;
    memset(&tasks, 0, sizeof tasks);
    memset(&files, 0, sizeof files);
    memset(&fds, 0, sizeof fds);
    /* new fd index -> the file whose name it would take by default (create
     * F: its fd), else NONE */
    uint16_t fd_file[MAX_FD_NAMES];
    memset(fd_file, 0xff, sizeof fd_file);
    for (uint32_t i = 0; i < p->nsteps; i++) {
        struct step *s = &p->steps[i];
        const struct statement *row = statement_of(s->op);
        if (!row)
            continue;
        if (row->form == FORM_EXPECT) {
            if (s->xkind != EXPECT_CLEAN)
                s->file = rename_one(&files, s->file);
            continue;
        }
        /* in the order the words are written: operands, then options */
        for (int k = 0; k < row->noperands + row->noptions; k++) {
            struct statement_operand o;
            uint8_t dflt = SLOT_NONE;
            if (k < row->noperands) {
                o = row->operands[k];
            } else {
                const struct statement_option *opt =
                    &row->options[k - row->noperands];
                if (opt->kind == OPTION_LIST && (s->flags & opt->flag)) {
                    struct renamer *r = renamer_of(opt->name.kind, &tasks,
                                                   &files, &fds);
                    uint16_t list[MAX_ORDER_NAMES];
                    for (unsigned w = 0; w < s->norder; w++)
                        list[w] = rename_one(r, step_order(p, s)[w]);
                    program_set_order(p, s, list, s->norder);
                }
                if (opt->kind != OPTION_NAME ||
                    (opt->default_slot == SLOT_NONE && !(s->flags & opt->flag)))
                    continue; /* not written: no name to rename */
                o = opt->name;
                dflt = opt->default_slot;
            }
            struct renamer *r = renamer_of(o.kind, &tasks, &files, &fds);
            if (!r)
                continue;
            uint16_t before = r->n;
            uint16_t v = rename_one(r, (uint16_t)step_slot(s, o.slot));
            step_set_slot(s, o.slot, v);
            if (r == &fds && r->n != before && dflt == SLOT_FILE)
                fd_file[v] = s->file;
        }
    }
    for (uint16_t i = 0; i < tasks.n; i++)
        letter_name(p->task_names[i], i, 'a', "t");
    for (uint16_t i = 0; i < files.n; i++)
        letter_name(p->file_names[i], i, 'f', "f");
    /* fds: named like their file when first bound by a create of it, as
     * long as that name is not taken; otherwise d1, d2... */
    unsigned next_d = 1;
    for (uint16_t i = 0; i < fds.n; i++) {
        bool taken = fd_file[i] == 0xffff;
        for (uint16_t k = 0; k < i && !taken; k++)
            taken = strcmp(p->fd_names[k], p->file_names[fd_file[i]]) == 0;
        if (!taken)
            memcpy(p->fd_names[i], p->file_names[fd_file[i]],
                   sizeof(trace_name));
        else
            snprintf(p->fd_names[i], sizeof(trace_name), "d%u", next_d++);
    }
    p->ntasks = tasks.n;
    p->nfiles = files.n;
    p->nfds = fds.n;
    /* an option whose name is now its default one is left unwritten */
    for (uint32_t i = 0; i < p->nsteps; i++) {
        struct step *s = &p->steps[i];
        const struct statement *row = statement_of(s->op);
        for (int k = 0; row && k < row->noptions; k++) {
            const struct statement_option *o = &row->options[k];
            if (o->kind != OPTION_NAME || o->default_slot == SLOT_NONE)
                continue;
            for (int w = 0; w < row->noperands; w++)
                if (row->operands[w].slot == o->default_slot &&
                    strcmp(program_name(p, o->name.kind,
                                        step_slot(s, o->name.slot)),
                           program_name(p, row->operands[w].kind,
                                        step_slot(s, o->default_slot))) == 0)
                    s->flags &= (uint8_t)~o->flag;
        }
    }
}
