/* commands.h - the ternrig subcommands.  Each returns the process exit
 * status: 0 success, 1 a check failed, 2 a trace error or bad usage. */
#ifndef TERNRIG_COMMANDS_H
#define TERNRIG_COMMANDS_H

int cmd_replay(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Print "ternrig CMD: message" and a hint to --help; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
