/* cmd_corpus.h - what `ternrig corpus`'s files share (private to
 * tools/): its help text, waiting for a child, and `corpus min`
 * (cmd_corpus_min.c). */
#ifndef TERNRIG_CMD_CORPUS_H
#define TERNRIG_CMD_CORPUS_H

#include <sys/types.h>

extern const char corpus_help[];
/* The exit status of child `pid`, or -1 when it was killed or cannot be
 * waited for. */
int corpus_child_status(pid_t pid);
/* `ternrig corpus min ARGS` (argv[0] is "min"). */
int corpus_min_main(int argc, char **argv);

#endif
