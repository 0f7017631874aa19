/* child_run.h - run a user's command contained: in its own process group,
 * killed when ternrig dies (PR_SET_PDEATHSIG), in a given directory, with
 * a time limit, and with every process of its group gone when it returns
 * (so that their exit flushes have happened).
 *
 * Owns: the command's processes.  SIGINT/SIGTERM, once caught with
 * child_run_catch_signals(), kill the running command's group and are
 * remembered, so that the caller unwinds through its normal clean-up
 * (unmount, temporary directories) and exits with 128 + the signal.
 */
#ifndef TERNRIG_CHILD_RUN_H
#define TERNRIG_CHILD_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct child_spec {
    char *const *argv;          /* argv[0] is looked up in PATH            */
    const char *cwd;
    const char *const *env_add; /* KEY=VALUE strings to add, NULL-ended    */
    int in_fd, out_fd, err_fd;  /* -1: inherit ternrig's                  */
    double timeout_s;           /* <= 0: no limit                          */
    bool only_std_fds;          /* close every fd above 2 (what ternrig's
                                   own parent left open): a fixed start   */
};

struct child_outcome {
    int status;      /* waitpid status of the command                     */
    bool timed_out;  /* killed at the time limit                          */
    int stopped_by;  /* the caught SIGINT/SIGTERM that killed it, or 0    */
    unsigned leftovers; /* processes of its group that outlived it, killed */
    double seconds;
};

/* Run the command to completion.  Returns 0 (outcome filled), or -1 with
 * `why` when it could not be started. */
int child_run(const struct child_spec *s, struct child_outcome *o, char *why,
              size_t cap);

/* Whether argv[0] `cmd` names something execvp could run, checked before
 * anything is set up for it: 0, or -1 with `why` ("CMD: command not
 * found", "CMD: Permission denied").  An absolute path is checked, a name
 * without a slash is looked up in PATH; a relative path with a slash
 * (resolved in the command's working directory) and a relative PATH entry
 * cannot be judged here and pass. */
int child_find_command(const char *cmd, char *why, size_t cap);

/* "2.5" (seconds, > 0) into *out: 0, or -1 when it is not that. */
int parse_time_limit(const char *arg, double *out);

/* The command's exit code as a shell gives it: status, or 128 + signal. */
int child_exit_code(const struct child_outcome *o);

/* Describe how it ended: "exit 1", "killed by SIGKILL (time limit 10 s)". */
void child_describe_end(const struct child_outcome *o, double timeout_s,
                        char *buf, size_t cap);

void child_run_catch_signals(void);
/* Back to the default handlers.  Returns the command's exit status:
 * 128 + the signal caught, if any, else `rc`. */
int child_run_release_signals(int rc);
/* The SIGINT or SIGTERM caught since child_run_catch_signals(), or 0. */
int child_run_stop_signal(void);

#endif
