/* ternrig.c - the one executable: subcommand dispatch and help. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"replay", cmd_replay,
     "run traces through the model and the oracle, check expectations"},
    {"encode", cmd_encode, "text trace -> compact binary (fuzzer input)"},
    {"decode", cmd_decode, "binary or raw fuzzer bytes -> text trace"},
    {"bench", cmd_bench, "model and oracle throughput, peak RSS"},
    {"fuzz", cmd_fuzz,
     "fuzz the policies (libFuzzer or AFL++), write minimized reproducers"},
    {"conform", cmd_conform,
     "the model against the real kernel, flush by flush (ternrig fs)"},
    {"fs", cmd_fs, "mount the embedded TernFS-semantics filesystem (FUSE)"},
    {"watch", cmd_watch,
     "run a command on the embedded fs: each file's fate, and why"},
    {"clients", cmd_clients,
     "real programs (shells, cp, tar, python...) under each policy: matrix"},
    {"seeds", cmd_seeds, "write the fuzz targets' seed corpora from traces"},
    {"stress", cmd_stress,
     "fork/exec/kill storms on a mount, judged by the oracle"},
    {"corpus", cmd_corpus,
     "add findings to the corpus, check it, minimize the fuzz corpora"},
    {"report", cmd_report,
     "merge a nightly run's results into nightly.json, report.html, summary"},
    {"lab", cmd_lab,
     "every policy side by side: fuzz, corpus, stress, real programs"},
    {"policies", cmd_policies, "list the flush policies (--long: what each is)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void help(FILE *out)
{
    fprintf(out,
            "usage: ternrig COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "ternrig finds the ways TernFS's flush classification goes wrong:\n"
            "when a file opened for writing is declared done (sealed), or\n"
            "aborted, on flushes from close(), exit, exec and friends.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-8s %s\n", "help", "this help; `ternrig help CMD` for one");
    fprintf(out, "\n`ternrig CMD --help` describes each command.  --policy P\n"
                 "names a flush policy (SPEC section 4; `ternrig policies\n"
                 "--long` says what each models):\n");
    print_policy_list(out, "  ");
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ternrig %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'ternrig %s --help'.\n", cmd);
    return 2;
}

int command_unavailable(const char *cmd, const char *help, const char *what,
                        int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(help, stdout);
        return 0;
    }
    fprintf(stderr, "ternrig %s: built without %s\n", cmd, what);
    return 2;
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

#ifdef TERNRIG_HAVE_REAL
#include "real_task.h"
#endif

int main(int argc, char **argv)
{
#ifdef TERNRIG_HAVE_REAL
    if (argc >= 2 && !strcmp(argv[1], "__task")) /* a real task after exec */
        return real_task_main(argc, argv);
#endif
    if (argc == 2 && !strcmp(argv[1], "__noop")) /* stress --calibrate */
        return 0;
    if (argc < 2) {
        help(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") ||
        !strcmp(name, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "help")) { /* help about help */
            printf("usage: ternrig help [COMMAND]\n\n"
                   "Without COMMAND, list the commands; with one, describe "
                   "it\n(the same as `ternrig COMMAND --help`).\n");
            return 0;
        }
        if (argc > 2) {
            const struct command *c = find(argv[2]);
            if (!c) {
                fprintf(stderr, "ternrig: unknown command '%s'\n", argv[2]);
                return 2;
            }
            char *args[] = {(char *)c->name, "--help", NULL};
            return c->run(2, args);
        }
        help(stdout);
        return 0;
    }
    const struct command *c = find(name);
    if (!c) {
        fprintf(stderr, "ternrig: unknown command '%s'\n\n", name);
        help(stderr);
        return 2;
    }
    return c->run(argc - 1, argv + 1);
}
