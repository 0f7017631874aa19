/* util.h - small I/O helpers for the commands (edges only). */
#ifndef TERNRIG_UTIL_H
#define TERNRIG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Read a whole file (at most `limit` bytes).  Returns a malloc'd buffer with
 * a NUL after the data, or NULL with `errbuf` saying why. */
char *read_file(const char *path, size_t limit, size_t *len, char *errbuf,
                size_t errcap);

/* The trace files a path names: itself if a file (any kind: the caller
 * named it), else the *.trace and *.trb regular files below it, at any
 * depth, sorted.  The walk follows symlinks but searches each directory
 * and lists each file once (by device and inode), so a symlink loop ends;
 * a dangling or looping symlink with a trace's name is listed (loading it
 * says why it cannot be read); what it leaves out otherwise (a FIFO, a
 * device, a loop, a dangling symlink) it says on stderr, as "ternrig CMD:
 * PATH: skipped: why" when `cmd` is set.  Returns the count, or -1 with
 * errbuf. */
struct path_list {
    char **paths;
    size_t n, cap;
    const char *cmd; /* for the notes: "replay" */
};
int collect_traces(const char *path, struct path_list *out, char *errbuf,
                   size_t errcap);
/* The same walk for files ending in any of `suffixes` (NULL-terminated):
 * the count found below a directory (0 is no error), 1 for a file, or -1
 * with errbuf. */
int collect_files(const char *path, const char *const *suffixes,
                  struct path_list *out, char *errbuf, size_t errcap);
void path_list_free(struct path_list *l);

/* mkdir -p: 0, or -1 with errno. */
int make_dirs(const char *dir);

/* 1 when the directory holds nothing but . and .., 0 when it holds
 * something, -1 with errno when it cannot be read. */
int dir_is_empty(const char *dir);

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it is
 * not a valid one (overlong, a surrogate, above U+10FFFF, cut short). */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Write a JSON string literal: always valid UTF-8 and valid JSON, whatever
 * the bytes (a byte that is no part of valid UTF-8 becomes \u00XX). */
void json_string(FILE *f, const char *s);
/* The same literal, quotes included, into buf: at most cap-1 bytes and a
 * NUL, as snprintf.  Returns the length it needed (>= cap: truncated). */
size_t json_quote(char *buf, size_t cap, const char *s);

/* A whole number argument: decimal (or 0x hex), digits only (no sign,
 * no space, nothing after), not clamped by strtoull, within min..max.
 * Returns 0 with *out, or -1. */
int parse_number(const char *s, unsigned long long min, unsigned long long max,
                 unsigned long long *out);

/* A duration: 90, 90s, 10m, 1h (a positive number, whole seconds);
 * -1 when it is not one. */
long parse_seconds(const char *s);

/* Output paths checked before a long run, so that its results are not
 * lost at the end: the directory made (mkdir -p) and writable; for a
 * file, its folder made and writable and the file, if there, writable and
 * no directory.  0, or -1 with errbuf ("PATH: why"). */
int prepare_output_dir(const char *dir, char *errbuf, size_t errcap);
int prepare_output_file(const char *path, char *errbuf, size_t errcap);

/* Whether `path` (which need not exist yet: its deepest existing folder
 * is resolved) lies inside the directory `dir` or is it, symlinks
 * resolved: 1, 0, or -1 with errno when `dir` cannot be resolved.  An
 * output inside the mount under test is refused by the commands that
 * mount: written onto the filesystem being tested (and watched), it would
 * be judged with the rest, or lost with it. */
int path_inside(const char *path, const char *dir);

/* fclose of a stream written to (stdout is flushed, not closed): 0, or -1
 * with errno when a write failed earlier (the stream's error flag: EIO
 * when errno no longer says why) or at the close (a full disk,
 * /dev/full).  The stream is closed either way. */
int close_output(FILE *f);

/* Remove `path` and everything under it, never following a symlink.
 * Returns 0 when it is gone. */
int remove_tree(const char *path);

#endif
