/* oracle.h - judges a history by SPEC §5.
 *
 * Owns: the definitions of the violations and hazards, and each file's final
 * state.  It reads only events (event.h): it cannot tell, and must not care,
 * whether they came from the model, a real mount's ledger or an observer.
 * Outcomes marked RESULT_UNKNOWN allow either outcome: the oracle reports
 * only what holds under every possibility (it never cries wolf).
 *
 * Producers: a conscious close's result is judged at the next event of the
 * same file that is not its flush, seal, abort or a look (or at the end),
 * so a real ledger should record what it saw of the file (EV_OBSERVE)
 * before the file's next operation; events of other files may interleave.
 * A history of looks alone (history.looks_only: no flush log) is judged
 * only on what its looks prove: lost-file needs a look after the close
 * (EV_UNSEEN: not visible; EV_OBSERVE: visible with other bytes), and a
 * close with no look after it proves nothing.
 *
 * What "done" means is a parameter (enum done_rule, core.h; each policy's
 * descriptor names its own, policy_done_rule()): lost-file is judged at the
 * rule's done points.  DONE_FIRST_CLOSE is SPEC §5's rule: every conscious
 * close of the creator.  DONE_LAST_FD: only a conscious close after which
 * the closer's fd table holds no other fd of the file's open file
 * (EV_CLOSE.table_fds 0).  DONE_CLEAN_EXIT: also the creator process's
 * normal death (EV_DEATH.clean_exit) for each file it has not reached a
 * done point of; the file must be sealed with what was written once the
 * dying process's own teardown flushes are over.  early-seal (visible
 * before any conscious close of a live creator), visible-after-abort (the
 * creator died before any conscious close) and mutated-after-seal are the
 * same under every rule, except that under DONE_CLEAN_EXIT a normal death
 * is the creator's done act, so a seal at it is no visible-after-abort.
 */
#ifndef TERNRIG_ORACLE_H
#define TERNRIG_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "limits.h"

struct finding {
    uint8_t kind;      /* enum finding_kind                               */
    uint16_t file;
    uint32_t index;    /* history index where it happened                 */
    uint32_t cause;    /* a related history index (the seal, the close)   */
    int32_t err;       /* create-failed, kernel-create-refused: errno     */
    uint8_t state;     /* lost-file: file state found (enum outcome)      */
    bool by_write;     /* mutated-after-seal: a write succeeded           */
    bool unseen;       /* lost-file, looks only: a look after the close
                          did not find the file (transient or aborted)   */
    bool after_link;   /* lost-file of a tmpfile: after its creator's link */
    bool at_exit;      /* lost-file: after its creator's normal exit
                          (DONE_CLEAN_EXIT)                              */
    uint64_t expected; /* lost-file: bytes written before the close       */
    uint64_t got;      /* bytes seen (sealed size)                        */
};

enum outcome { OUTCOME_TRANSIENT, OUTCOME_SEALED, OUTCOME_ABORTED };

struct file_outcome {
    uint8_t state;    /* enum outcome                                     */
    bool created;     /* a create of it succeeded (or may have)           */
    uint64_t bytes;   /* sealed size                                      */
    bool unseen;      /* looks only (no decisions): never seen visible, so
                         transient or aborted, the looks cannot tell     */
};

struct verdict {
    const struct finding *findings;
    uint32_t nfindings;
    bool truncated;   /* more than MAX_FINDINGS findings                  */
    const struct file_outcome *files; /* indexed by file                   */
    uint32_t nfiles;
    bool looks_only;  /* judged from looks alone (history.looks_only)      */
};

struct oracle;

/* An oracle for histories naming at most `max_files` files and `max_procs`
 * processes.  Returns NULL when out of memory. */
struct oracle *oracle_new(uint32_t max_files, uint32_t max_procs);
void oracle_free(struct oracle *o);

/* Judge a history by done rule `done` (enum done_rule bits: the policy's
 * policy_done_rule()).  Returns 0 with `out` filled (valid until the next
 * call), or -1 when an event names a file or process beyond the capacity;
 * then `*bad_index` is that event. */
int oracle_judge(struct oracle *o, const struct history *h, uint32_t nfiles,
                 unsigned done, struct verdict *out, uint32_t *bad_index);

/* A one-line human explanation of a finding; `file` is its name. */
size_t finding_explain(const struct finding *f, const char *file, char *buf,
                       size_t cap);
const char *outcome_name(enum outcome o);

#endif
