/* policies.h - the list of flush policies: the one place their names are
 * written (an X-macro list, included by core.h and core.c only).
 *
 * One entry per policy (SPEC §4), in enum order:
 *
 *   POLICY_ENTRY(ID, "name", "TernFS version it models",
 *                  kernel facts (POLICY_FACT_* bits), "one-line summary",
 *                  DONE_* (the done rule the oracle judges it by))
 *
 * core.h turns the list into enum policy (POLICY_ID) and core.c into the
 * descriptor table (policy_desc()); the decisions themselves are in
 * core.c.  Read as text, too: the first line of each entry must hold
 * `POLICY_ENTRY(ID, "name",`, and an entry's facts are the POLICY_FACT_*
 * words on its lines (cmake/policies.cmake reads them for one fuzz target
 * per name, fuzz_<name with '-' as '_'>, and one real_replay_<name> test
 * per policy that needs no BPF; ci/nightly.sh checks $TERNRIG_POLICY
 * against the names before anything is built).  Everything else asks the
 * core (policy_needs()), or `ternrig policies`.
 *
 * No include guard: each includer defines POLICY_ENTRY first.
 * Append, never reorder: the order is the bit order of a policy set in the
 * binary trace format (8 bits: at most 8 policies).
 */
POLICY_ENTRY(REFERENCE, "reference", "none: what TernFS should do (SPEC section 4)",
               POLICY_FACT_PROCESS | POLICY_FACT_MM_NULL |
               POLICY_FACT_GROUP_EXIT,
               "seals the creator process's conscious close; aborts when it dies",
               DONE_FIRST_CLOSE)
POLICY_ENTRY(KMOD, "kmod", "TernFS kmod, main 2025-05 on",
               POLICY_FACT_TASK_PTRS | POLICY_FACT_MM_NULL,
               "owner = group_leader pointer; aborts when current->mm is NULL",
               DONE_FIRST_CLOSE)
POLICY_ENTRY(KMOD_2024, "kmod-2024", "TernFS kmod, 2024-01 to 2025-05",
               POLICY_FACT_TASK_PTRS | POLICY_FACT_MM_NULL |
               POLICY_FACT_MM_PTRS,
               "as kmod, but aborts when owner->mm differs from the file's mm",
               DONE_FIRST_CLOSE)
POLICY_ENTRY(FUSE_NAIVE, "fuse-naive", "TernFS FUSE client, no close tracking",
               0,
               "every flush seals",
               DONE_FIRST_CLOSE)
POLICY_ENTRY(FUSE_CLOSETRACKER, "fuse-closetracker",
               "TernFS FUSE client with its BPF close tracker",
               POLICY_FACT_CLOSE_COUNT,
               "seals when close(2) was counted on the file, else ignores",
               DONE_FIRST_CLOSE)
/* Candidates (issue 17): rules TernFS could adopt, not versions of it.
 * README "Candidate policies" says what each does in the trace language's
 * terms and what a kernel module's flush needs to implement it. */
POLICY_ENTRY(LAST_FD, "last-fd", "none: candidate rule (issue 17)",
               POLICY_FACT_PROCESS | POLICY_FACT_MM_NULL |
               POLICY_FACT_GROUP_EXIT | POLICY_FACT_FD_COUNT,
               "reference, but a close seals only the table's last fd of the file",
               DONE_LAST_FD)
POLICY_ENTRY(CLEAN_EXIT, "clean-exit", "none: candidate rule (issue 17)",
               POLICY_FACT_PROCESS | POLICY_FACT_MM_NULL |
               POLICY_FACT_GROUP_EXIT | POLICY_FACT_EXIT_CODE,
               "reference, but the creator's normal exit seals instead of aborting",
               DONE_FIRST_CLOSE | DONE_CLEAN_EXIT)
POLICY_ENTRY(LAST_FD_CLEAN_EXIT, "last-fd-clean-exit",
               "none: candidate rule (issue 17)",
               POLICY_FACT_PROCESS | POLICY_FACT_MM_NULL |
               POLICY_FACT_GROUP_EXIT | POLICY_FACT_FD_COUNT |
               POLICY_FACT_EXIT_CODE,
               "last-fd and clean-exit together",
               DONE_LAST_FD | DONE_CLEAN_EXIT)
