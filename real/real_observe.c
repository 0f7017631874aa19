/* real_observe.c - what a real run saw, and its judgement: the flush
 * log's decisions matched with the model's flushes, the looks at the
 * run's files after each statement, the model's events of each statement
 * taken into the real history, and that history judged by the oracle
 * (see real_run.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "flushlog.h"
#include "real_exec.h"
#include "real_history.h"
#include "real_run.h"

/* An event of the real history; `src` says where it came from. */
static void add(struct run *r, const struct event *e, uint8_t src)
{
    rh_put(&r->hist, e, src, e->step, 0, 0);
}

/* Read the flush log lines ternrig fs wrote since the last call: its
 * decisions during this step, in order, to be matched with the model's
 * flushes (the k-th logged flush of a file is its k-th flush while it was
 * transient).  A line still being written is left whole for next time
 * (the tail reader's promise: a torn read once lost a decision). */
void run_read_log(struct run *r)
{
    r->ndec = 0;
    if (!r->log)
        return;
    FILE *f = fopen(r->log, "r");
    if (!f)
        return;
    struct flog_tail tail;
    struct flog_event ev;
    flushlog_tail_init(&tail, f, r->log_off);
    r->nobs = 0;
    while (r->ndec < 256 && flushlog_tail_next(&tail, &ev) == 1) {
        if (ev.op == FLOG_FLUSH && ev.kernel_view && r->nobs < 256)
            r->obs[r->nobs++] = (struct flush_seen){ev.tid, ev.mm != 0,
                                                    ev.leader_mm != 0};
        if (ev.op != FLOG_FLUSH || !ev.decision[0])
            continue;
        uint8_t type = !strcmp(ev.decision, "seal")    ? EV_SEAL
                       : !strcmp(ev.decision, "abort") ? EV_ABORT
                                                       : EV_FLUSH;
        for (uint16_t fi = 0; fi < r->p->nfiles; fi++) {
            /* a tmpfile by its inode (unnamed until linked), the other
             * files by name */
            if (r->tmp_ino[fi] ? ev.ino != r->tmp_ino[fi]
                               : strcmp(ev.name, r->p->file_names[fi]))
                continue;
            r->dec[r->ndec].file = fi;
            r->dec[r->ndec].type = type;
            r->dec[r->ndec].mm_alive = ev.mm_alive;
            r->dec[r->ndec].tgid = (int32_t)ev.tgid;
            r->dec[r->ndec].tid = (int32_t)ev.tid;
            /* the kernel's pointers: with BPF contexts */
            r->decp[r->ndec].ptrs = ev.kernel_view && ev.owner_known;
            r->decp[r->ndec].leader = ev.kernel_view ? ev.leader : 0;
            r->decp[r->ndec].owner = ev.owner_known ? ev.owner : 0;
            r->dec_used[r->ndec++] = false;
            break;
        }
    }
    r->log_off = tail.off;
    flushlog_tail_done(&tail);
    fclose(f);
}

void run_differ(struct run *r, uint32_t step, const char *fmt, ...)
{
    struct real_outcome *o = r->out;
    if (o->ndiffs < 8) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        if (step < r->p->nsteps)
            snprintf(o->diffs[o->ndiffs], sizeof o->diffs[0], "line %u: %s",
                     r->p->steps[step].line, what);
        else
            snprintf(o->diffs[o->ndiffs], sizeof o->diffs[0],
                     "end of trace: %s", what);
    }
    o->ndiffs++;
}

static const char *dec_name(uint8_t type)
{
    return type == EV_SEAL ? "seal" : type == EV_ABORT ? "abort" : "ignore";
}

/* The real decision for one flush the model made (`model`, or NULL for the
 * kernel's flushes the model did not predict), recorded as a seal or abort
 * event and compared with the model's. */
static void real_decision(struct run *r, const struct event *model,
                          uint32_t step)
{
    /* the decision on this file by the process that flushed, if the log
     * has one; else the next on this file (then they differ) */
    int32_t flusher = model ? r->pid[model_proc_name(r->m, model->proc)] : 0;
    int mm_alive = model ? model->ctx_mm != 0 : -1;
    for (unsigned k = 0; k < r->ndec; k++) {
        if (model) {
            int pick = rh_pick_decision(r->dec, r->ndec, r->dec_used,
                                        model->file, flusher, mm_alive, 0, 0,
                                        true);
            if (pick < 0)
                break;
            k = (unsigned)pick;
        } else if (r->dec_used[k]) {
            continue;
        }
        r->dec_used[k] = true;
        const char *fname = r->p->file_names[r->dec[k].file];
        if (!model) {
            run_differ(r, step,
                       "the kernel flushed %s (tgid %d, %s) -> %s; the "
                       "model did not",
                       fname, (int)r->dec[k].tgid,
                       r->dec[k].mm_alive ? "mm alive" : "mm gone",
                       dec_name(r->dec[k].type));
        } else {
            r->out->flushes_compared++;
            pid_t want = r->pid[model_proc_name(r->m, model->proc)];
            uint8_t mdec = model->decision == FLUSH_SEAL    ? EV_SEAL
                           : model->decision == FLUSH_ABORT ? EV_ABORT
                                                            : EV_FLUSH;
            if (model->decision == 0xff)
                run_differ(r, step, "the kernel flushed %s while it was "
                                    "transient; in the model it was not",
                           fname);
            else if (want != r->dec[k].tgid ||
                     (model->ctx_mm != 0) != r->dec[k].mm_alive ||
                     mdec != r->dec[k].type)
                run_differ(
                    r, step,
                    "flush of %s: model: process %s (tgid %d), %s -> %s; "
                    "kernel: tgid %d, %s -> %s",
                    fname, r->p->task_names[model_proc_name(r->m, model->proc)],
                    (int)want, model->ctx_mm ? "mm alive" : "mm gone",
                    dec_name(mdec), (int)r->dec[k].tgid,
                    r->dec[k].mm_alive ? "mm alive" : "mm gone",
                    dec_name(r->dec[k].type));
        }
        if (r->dec[k].type == EV_FLUSH)
            return; /* ignored: nothing to record */
        struct event e = event_real(r->dec[k].type, r->dec[k].file, step, 0);
        if (e.type == EV_SEAL) { /* immutable now: its size is final */
            char p[4352];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", r->dir, r->p->file_names[e.file]);
            e.bytes = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
        }
        add(r, &e, RH_LOG);
        return;
    }
    if (model && model->decision != 0xff && r->log)
        run_differ(r, step, "the model flushed %s (%s -> %s); the kernel sent "
                            "no flush of it while it was transient",
                   r->p->file_names[model->file],
                   model->ctx_mm ? "mm alive" : "mm gone",
                   flush_decision_name((enum flush_decision)model->decision));
}

/* What the directory shows of every file of the trace: a look after the
 * statement ended.  A file one of whose fds the statement closed and that
 * is not visible is recorded too (EV_UNSEEN): without a flush log, that is
 * what proves a lost file. */
void run_observe(struct run *r, uint32_t step)
{
    for (uint16_t fi = 0; fi < r->p->nfiles; fi++) {
        char p[4352];
        struct stat st;
        bool closed = r->closed[fi];
        r->closed[fi] = false;
        snprintf(p, sizeof p, "%s/%s", r->dir, r->p->file_names[fi]);
        if (stat(p, &st) != 0) {
            if (closed && !r->seen[fi]) {
                struct event e = event_real(EV_UNSEEN, fi, step, 0);
                add(r, &e, RH_UNSEEN);
            }
            continue;
        }
        uint64_t size = (uint64_t)st.st_size;
        if (r->seen[fi] == size + 1)
            continue;
        r->seen[fi] = size + 1;
        struct event e = event_real(EV_OBSERVE, fi, step, size);
        add(r, &e, RH_LOOK);
    }
}

/* Whether event e is the one that carries its statement's result, which
 * the real run knows: a create's or tmpfile's (EV_CREATE), a write's, a
 * link's (EV_LINK), an open's (its EV_OP). */
static bool carries_result(const struct event *e)
{
    return e->type == EV_CREATE || e->type == EV_WRITE ||
           e->type == EV_LINK || (e->type == EV_OP && e->op == OP_OPEN);
}

/* A real link made file `file` visible: it is sealed now, with what its
 * name shows (the model's seal of a link is its own, left out). */
static void link_sealed(struct run *r, uint16_t file, uint32_t step)
{
    struct event e = event_real(EV_SEAL, file, step, 0);
    char p[4352];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", r->dir, r->p->file_names[file]);
    e.bytes = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
    add(r, &e, RH_LOG);
}

/* Copy the model's events of the step that the real run also has (the
 * statements, closes, deaths), with the real results; the model's own
 * flush decisions are left out: the real ones come from the mount, and a
 * link's seal from the real link's result.  SPEC v2's statements (tmpfile,
 * open, link) whose real result is not the model's are a difference. */
void run_take_model_events(struct run *r, uint32_t from, uint32_t to,
                           int32_t result, bool result_known)
{
    const struct history *h = model_history(r->m);
    uint32_t step = 0;
    for (uint32_t i = from; i < to && i < h->len; i++) {
        struct event e = h->ev[i];
        step = e.step;
        if (e.type == EV_FLUSH) { /* the model's flush: the real decision */
            real_decision(r, &e, e.step);
            continue;
        }
        if (e.type == EV_SEAL || e.type == EV_ABORT)
            continue;
        if (result_known && carries_result(&e)) {
            int32_t real = result < 0 ? result : 0;
            uint8_t op = e.step < r->p->nsteps ? r->p->steps[e.step].op : 0;
            if ((op == OP_TMPFILE || op == OP_OPEN || op == OP_LINK) &&
                real != e.result && result != RESULT_UNKNOWN)
                run_differ(r, e.step, "%s: the model's result is %s, the "
                                      "kernel's %s",
                           trace_op_name((enum trace_op)op),
                           e.result ? strerror(-e.result) : "success",
                           real ? strerror(-real) : "success");
            e.result = real;
        }
        if (e.type == EV_CLOSE && e.file < MAX_FILE_NAMES)
            r->closed[e.file] = true;
        add(r, &e, RH_MODEL);
        if (e.type == EV_LINK && result_known && e.result == 0 &&
            e.file < r->p->nfiles)
            link_sealed(r, e.file, e.step);
    }
    for (unsigned k = 0; k < r->ndec; k++) /* flushes the model did not */
        if (!r->dec_used[k])                /* predict: at the end       */
            real_decision(r, NULL, step);
}

/* The real history judged by the oracle, and the expectations checked
 * against the verdict: the trace's, or, when the kernel took another
 * schedule, the model's under the schedule taken.  0, or -1 (reason in
 * out). */
int run_judge_history(struct judge *j, struct run *r, enum policy pol,
                         struct real_outcome *out)
{
    const struct program *p = r->written;
    if (out->schedule_differs) {
        p = sched_taken_expectations(j, r->p, pol);
        if (!p) {
            snprintf(out->reason, sizeof out->reason,
                     "cannot write the expectations of the schedule taken");
            return -1;
        }
    }
    out->judged_by = p;
    uint32_t bad;
    if (r->hist.overflow) {
        snprintf(out->reason, sizeof out->reason, "out of memory for the "
                                                  "history");
        return -1;
    }
    if (rh_judge(j->oracle, &r->hist, p->nfiles, policy_done_rule(pol),
                 &out->verdict, &bad) < 0) {
        snprintf(out->reason, sizeof out->reason,
                 "history event %u out of range", bad);
        return -1;
    }
    out->failed = expect_check(p, pol, &out->verdict, out->failures,
                               JUDGE_MAX_REPORTED_FAILURES, &out->applicable,
                               &out->unjudged);
    return 0;
}

