/* gen.c - random valid programs by rejection on the model. */
#include <stdio.h>
#include <string.h>
#include "gen.h"

uint64_t gen_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
    return n ? (uint32_t)(gen_next(rng) % n) : 0;
}

/* Statement weights: the operations that matter for classification most. */
static const struct {
    uint8_t op;
    uint8_t weight;
} weights[] = {
    {OP_SPAWN, 2},  {OP_KTHREAD, 1},      {OP_CREATE, 14},
    {OP_WRITE, 18}, {OP_CLOSE, 10},       {OP_URING_CLOSE, 4},
    {OP_CLOSE_RANGE, 2}, {OP_DUP, 4},     {OP_DUP2, 4},
    {OP_FORK, 6},   {OP_VFORK, 3},        {OP_THREAD, 6},
    {OP_UNSHARE_FILES, 2}, {OP_EXEC, 3},  {OP_EXIT, 3},
    {OP_EXIT_GROUP, 2}, {OP_KILL, 3},     {OP_SEND, 4},
};

static uint8_t pick_op(uint64_t *rng)
{
    unsigned total = 0;
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++)
        total += weights[i].weight;
    unsigned r = below(rng, total);
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++) {
        if (r < weights[i].weight)
            return weights[i].op;
        r -= weights[i].weight;
    }
    return OP_WRITE;
}

void gen_propose(struct step *s, uint64_t *rng, const struct gen_names *n)
{
    uint16_t tasks = n->tasks, files = n->files, fds = n->fds;
    memset(s, 0, sizeof *s);
    s->op = tasks ? pick_op(rng) : OP_SPAWN;
    s->task = (uint16_t)below(rng, tasks);
    if (s->op == OP_SPAWN || s->op == OP_KTHREAD)
        s->task = tasks < MAX_TASK_NAMES ? tasks : (uint16_t)below(rng, tasks);
    s->task2 = below(rng, 4) && tasks < MAX_TASK_NAMES
                   ? tasks
                   : (uint16_t)below(rng, tasks + 1u < MAX_TASK_NAMES
                                              ? tasks + 1u
                                              : MAX_TASK_NAMES);
    if (s->op == OP_SEND)
        s->task2 = (uint16_t)below(rng, tasks);
    unsigned fspace = files + 1u < MAX_FILE_NAMES ? files + 1u : MAX_FILE_NAMES;
    unsigned dspace = fds + 1u < MAX_FD_NAMES ? fds + 1u : MAX_FD_NAMES;
    s->file = (uint16_t)below(rng, fspace);
    s->fd = (uint16_t)below(rng, dspace);
    s->fd2 = (uint16_t)below(rng, dspace);
    if (s->op == OP_CREATE) {
        s->file = files < MAX_FILE_NAMES && below(rng, 3)
                      ? files
                      : (uint16_t)below(rng, files ? files : 1);
        s->fd = fds < MAX_FD_NAMES ? fds : s->fd;
        s->flags = (uint8_t)(STEP_AS | (below(rng, 4) ? 0 : STEP_CLOEXEC));
    } else if (s->op == OP_SEND) {
        s->flags = STEP_AS;
    }
    s->n = 1 + below(rng, 4096);
}

void gen_propose_live(struct step *s, uint64_t *rng, const struct gen_names *n,
                      const struct model *m)
{
    gen_propose(s, rng, n);
    uint16_t live[MAX_TASK_NAMES], nlive = 0;
    for (uint16_t t = 0; t < n->tasks; t++)
        if (model_task_runnable(m, t))
            live[nlive++] = t;
    if (nlive == 0 || s->op == OP_SPAWN || s->op == OP_KTHREAD)
        return;
    s->task = live[below(rng, nlive)];
    if (s->op == OP_SEND || (s->op == OP_KILL && below(rng, 2)))
        s->task2 = live[below(rng, nlive)];
    if (s->op == OP_KILL)
        s->task = s->task2;
    uint16_t bound[MAX_FD_NAMES], nb = 0;
    for (uint16_t d = 0; d < n->fds; d++)
        if (model_fd_bound(m, s->task, d))
            bound[nb++] = d;
    bool uses_fd = s->op == OP_WRITE || s->op == OP_CLOSE ||
                   s->op == OP_URING_CLOSE || s->op == OP_DUP ||
                   s->op == OP_DUP2 || s->op == OP_SEND;
    if (uses_fd && nb)
        s->fd = bound[below(rng, nb)];
    if (s->op == OP_DUP2 && nb && below(rng, 2))
        s->fd2 = bound[below(rng, nb)];
}

void gen_note(const struct step *s, struct gen_names *n)
{
    uint16_t hi_task = 0;
    if (s->op == OP_SPAWN || s->op == OP_KTHREAD)
        hi_task = s->task;
    else if (s->op == OP_FORK || s->op == OP_VFORK || s->op == OP_THREAD)
        hi_task = s->task2;
    if (s->op != OP_EXPECT && hi_task + 1u > n->tasks)
        n->tasks = hi_task + 1u;
    if (s->op == OP_CREATE && s->file + 1u > n->files)
        n->files = s->file + 1u;
    uint16_t hi_fd = 0;
    if (s->op == OP_CREATE)
        hi_fd = s->fd;
    else if (s->op == OP_DUP || s->op == OP_DUP2 || s->op == OP_SEND)
        hi_fd = s->fd > s->fd2 ? s->fd : s->fd2;
    if (s->op != OP_EXPECT && hi_fd + 1u > n->fds)
        n->fds = hi_fd + 1u;
}

void gen_names_of(const struct program *p, struct gen_names *n)
{
    n->tasks = n->files = n->fds = 0;
    for (uint32_t i = 0; i < p->nsteps; i++)
        gen_note(&p->steps[i], n);
}

void gen_name_all(struct program *p)
{
    for (int i = 0; i < MAX_TASK_NAMES; i++)
        snprintf(p->task_names[i], sizeof p->task_names[i], "p%d", i);
    for (int i = 0; i < MAX_FILE_NAMES; i++)
        snprintf(p->file_names[i], sizeof p->file_names[i], "f%d", i);
    for (int i = 0; i < MAX_FD_NAMES; i++)
        snprintf(p->fd_names[i], sizeof p->fd_names[i], "d%d", i);
    p->ntasks = MAX_TASK_NAMES;
    p->nfiles = MAX_FILE_NAMES;
    p->nfds = MAX_FD_NAMES;
}

static void generate(struct model *m, struct program *p, uint32_t nsteps,
                     uint64_t *rng, bool user_only);

void gen_program(struct model *m, struct program *p, uint32_t nsteps,
                 uint64_t *rng)
{
    generate(m, p, nsteps, rng, false);
}

void gen_program_user(struct model *m, struct program *p, uint32_t nsteps,
                      uint64_t *rng)
{
    generate(m, p, nsteps, rng, true);
}

static void generate(struct model *m, struct program *p, uint32_t nsteps,
                     uint64_t *rng, bool user_only)
{
    struct trace_error err;
    program_init(p);
    /* The model reads the name counts at reset: give it the whole space. */
    gen_name_all(p);
    model_reset(m, p, POLICY_REFERENCE);
    struct gen_names n = {0, 0, 0};
    if (nsteps > MAX_STEPS)
        nsteps = MAX_STEPS;
    unsigned misses = 0;
    while (p->nsteps < nsteps && misses < 1000) {
        struct step *s = &p->steps[p->nsteps];
        gen_propose(s, rng, &n);
        if (user_only && s->op == OP_KTHREAD) {
            misses++;
            continue;
        }
        s->line = p->nsteps + 1;
        p->nsteps++;
        if (model_step(m, p->nsteps - 1, &err) < 0) {
            p->nsteps--;
            misses++;
            continue;
        }
        misses = 0;
        gen_note(s, &n);
    }
    p->ntasks = n.tasks ? n.tasks : 1;
    p->nfiles = n.files ? n.files : 1;
    p->nfds = n.fds ? n.fds : 1;
}
