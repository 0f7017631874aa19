/* commands.h - the ternrig subcommands.  Each returns the process exit
 * status: 0 success, 1 a check failed, 2 a trace error or bad usage. */
#ifndef TERNRIG_COMMANDS_H
#define TERNRIG_COMMANDS_H

int cmd_replay(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_seeds(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_fs(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_clients(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_lab(int argc, char **argv);

/* The fuzz target of a policy: fuzz_kmod_2024. */
#include <stddef.h>
#include "core.h"
void fuzz_target_name(enum policy p, char *buf, size_t cap);
/* The directory holding an engine's (libfuzzer, afl) fuzz targets, built
 * with sanitizers or without: `given`, else $TERNRIG_FUZZ_DIR (sanitized)
 * or $TERNRIG_FUZZ_NOSAN_DIR, else the build next to this ternrig
 * (build-fuzz, build-fuzz-nosan, build-afl, build-afl-nosan).  False when
 * none holds them. */
#include <stdbool.h>
bool fuzz_find_dir(const char *engine, const char *given, bool sanitized,
                   char *out, size_t cap);

/* A command this build lacks: `--help` prints `help` (exit 0), anything
 * else says "ternrig CMD: built without WHAT" (exit 2). */
int command_unavailable(const char *cmd, const char *help, const char *what,
                        int argc, char **argv);

/* Print "ternrig CMD: message" and a hint to --help; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A --policy argument: 0 and *out set, or the usage error listing the
 * policies (from the core's descriptor) and 2. */
int policy_arg(const char *cmd, const char *arg, enum policy *out);
/* --closetracker-map N: 1..1048576 into *out; 0, or the usage error's exit
 * status (2) after printing it. */
int closetracker_map_arg(const char *cmd, const char *arg, uint32_t *out);
/* "<indent>policies: reference, kmod, ...": for the commands' --help. */
#include <stdio.h>
void print_policy_list(FILE *out, const char *indent);
/* A --help text of a command taking --policy P, then the policies; 0. */
int policy_help(const char *help);

#endif
