/* flush_context.c - choosing a context source; the flush decision. */
#include <stdio.h>
#include <unistd.h>
#include "bpf_context.h"
#include "flush_context.h"

void file_ctx_init(struct file_ctx *f)
{
    *f = (struct file_ctx){0};
    f->pidfd = -1;
    f->mm_pin = -1;
}

void file_ctx_close(struct file_ctx *f)
{
    if (f->pidfd >= 0)
        close(f->pidfd);
    if (f->mm_pin >= 0)
        close(f->mm_pin);
    f->pidfd = f->mm_pin = -1;
}

static void say(fs_notice_fn *notice, void *arg, const char *msg)
{
    if (notice && msg[0])
        notice(arg, msg);
}

struct context_source *flush_context_open(enum fs_context_source want,
                                          enum policy policy,
                                          uint32_t closetracker_entries,
                                          fs_notice_fn *notice, void *arg,
                                          char *why, size_t cap)
{
    struct context_source *src;
    if (want == FS_CONTEXT_PROC) {
        if (!(src = proc_context_source()))
            snprintf(why, cap, "out of memory");
        return src;
    }
    char bpf_why[256], note[160];
    struct bpf_context *bc =
        bpf_context_open(!policy_needs(policy, POLICY_FACT_CLOSE_COUNT) ? 0
                         : closetracker_entries ? closetracker_entries
                                                : CLOSETRACKER_MAP_DEFAULT,
                         bpf_why, sizeof bpf_why, note, sizeof note);
    say(notice, arg, note);
    if (bc) {
        if (!(src = bpf_context_source(bc))) {
            bpf_context_close(bc);
            snprintf(why, cap, "out of memory");
        }
        return src;
    }
    if (want == FS_CONTEXT_BPF || policy_needs_bpf(policy)) {
        snprintf(why, cap, "BPF contexts cannot load: %s%s", bpf_why,
                 want == FS_CONTEXT_BPF
                     ? ""
                     : " (the policy needs them: task_struct/mm pointers or "
                       "close(2) counts)");
        return NULL;
    }
    char msg[512];
    snprintf(msg, sizeof msg,
             "BPF contexts unavailable (%s): using /proc, which shows no "
             "task_struct or mm pointers and no close(2) counts",
             bpf_why);
    say(notice, arg, msg);
    if (!(src = proc_context_source()))
        snprintf(why, cap, "out of memory");
    return src;
}

void flush_context_close(struct context_source *src)
{
    if (src)
        src->close(src);
}

enum flush_decision flush_decide(struct context_source *src,
                                 enum policy policy, uint64_t ino,
                                 struct file_ctx *file,
                                 const struct requester *who,
                                 struct flog_event *seen, const char **why)
{
    if (!who->known) {
        *why = who->why;
        return FLUSH_IGNORE; /* unsure who: never seal */
    }
    struct task_ctx c = {0};
    struct flush_inputs in = {0};
    if (src->flush_facts(src, policy, ino, file, who, &c, &in, seen, why) ==
        FACTS_MISSING)
        return FLUSH_IGNORE; /* unsure what: never seal */
    /* the close counts come from the kernel's map at each flush, and the
     * source's `decided` deletes a sealed file's counter: the core's
     * note_sealed on that map */
    return classify_flush(policy, &file->rec, &c, &in);
}
