/* names.c - the printable names of the event vocabulary (event.h). */
#include <string.h>
#include "event.h"

static const char *const finding_names[FIND_KIND_COUNT] = {
    [FIND_EARLY_SEAL] = "early-seal",
    [FIND_VISIBLE_AFTER_ABORT] = "visible-after-abort",
    [FIND_LOST_FILE] = "lost-file",
    [FIND_MUTATED_AFTER_SEAL] = "mutated-after-seal",
    [FIND_CREATE_FAILED] = "create-failed",
    [FIND_WRITE_AFTER_SEAL] = "write-after-seal",
    [FIND_KERNEL_CREATE_REFUSED] = "kernel-create-refused",
};

const char *finding_kind_name(enum finding_kind k)
{
    return (unsigned)k < FIND_KIND_COUNT ? finding_names[k] : "?";
}

enum finding_kind finding_kind_from_name(const char *name, size_t len)
{
    for (int k = 0; k < FIND_KIND_COUNT; k++)
        if (strlen(finding_names[k]) == len &&
            memcmp(finding_names[k], name, len) == 0)
            return (enum finding_kind)k;
    return FIND_KIND_COUNT;
}

const char *close_cause_name(enum close_cause c)
{
    static const char *const n[CLOSE_CAUSE_COUNT] = {
        "close", "uring_close", "close_range", "dup2", "cloexec", "teardown",
    };
    return (unsigned)c < CLOSE_CAUSE_COUNT ? n[c] : "?";
}
