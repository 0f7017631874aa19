/* cmd_watch.c - `ternrig watch -- CMD`: what the filesystem did to the
 * files a real command wrote, and why. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "util.h"

static const char watch_help[] =
    "usage: ternrig watch [--policy P] [--mount DIR] [--json] [-o FILE]\n"
    "                     [--timeout SECS] [--] CMD [ARGS...]\n"
    "\n"
    "Run CMD with its working directory on the embedded filesystem (ternrig\n"
    "fs, mounted in a temporary directory under --policy, with a flush log)\n"
    "and print, for every file it created, the timeline that decided the\n"
    "file's fate: the create, the writes (counted), every flush of the\n"
    "still-transient file with who sent it (process, thread, mm alive or\n"
    "gone) and the policy's decision, the writes refused after a seal, and\n"
    "the verdict: sealed with N bytes, empty or truncated because sealed\n"
    "early, aborted, or never sealed (lost), with a plain explanation.\n"
    "CMD runs in its own process group; whatever is left of that group when\n"
    "CMD exits is killed.  Needs root and /dev/fuse.\n"
    "\n"
    "  -p, --policy P     reference (default) or a policy ternrig fs runs\n"
    "  -m, --mount DIR    use DIR, the root of a running `ternrig fs --log`\n"
    "                     mount, instead (its policy and log are read from\n"
    "                     its user.ternrig.* attributes); files created there\n"
    "                     by others while CMD runs are reported too\n"
    "  -j, --json         the report as one JSON object\n"
    "  -o, --output FILE  write the report to FILE (CMD keeps stdout; its\n"
    "                     folder is made, or refused, before CMD runs)\n"
    "  -t, --timeout SECS kill CMD's process group after SECS (default 600)\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: CMD's own (128 + signal if killed), or 3 when a file it\n"
    "created ended empty or truncated (sealed before all its writes),\n"
    "aborted or never sealed; 2 when ternrig could not run it (CMD not\n"
    "found, before anything is mounted; -o inside --mount) or could not\n"
    "write the report.\n";

#ifdef TERNRIG_HAVE_REAL
#include <errno.h>
#include "watch.h"

struct watch_opts {
    enum policy policy;
    bool policy_given, json;
    const char *mount, *output;
    double timeout;
    char **argv;
};

static const char *refusal_reason(const struct flog_event *e)
{
    return !strcmp(e->result, "EINVAL") ? "not at the end of the file"
           : !strcmp(e->state, "sealed") ? "the file is sealed"
           : !strcmp(e->state, "aborted") ? "the file is aborted"
                                          : e->result;
}

/* "+0.003 s" relative to the command's start. */
static void print_when(FILE *out, const struct watch_result *r, double t)
{
    fprintf(out, "  %+8.3f s  ", t - r->t0);
}

static void print_events(FILE *out, const struct watch_result *r,
                         const struct fate *f)
{
    long long writes = 0, bytes = 0;
    for (size_t k = 0; k < f->nevents; k++) {
        const struct flog_event *e = &r->log.ev[f->events[k]];
        char who[256];
        switch (e->op) {
        case FLOG_CREATE:
            print_when(out, r, e->t);
            fprintf(out, "create    by %s[%d]", e->comm, e->tgid);
            if (e->tid != e->tgid)
                fprintf(out, " thread %d", e->tid);
            if (strcmp(e->result, "ok"))
                fprintf(out, ": refused, %s", e->result);
            fputc('\n', out);
            break;
        case FLOG_FLUSH: {
            /* bytes written so far ("written"; older logs: the size) */
            long long w = e->written >= 0 ? e->written : e->size;
            if (e->writes > writes || w > bytes)
                fprintf(out, "  %10s  %lld write%s, %lld bytes\n", "",
                        e->writes - writes, e->writes - writes == 1 ? "" : "s",
                        w - bytes);
            if (e->writes >= 0)
                writes = e->writes;
            if (w >= 0)
                bytes = w;
            fate_describe_flusher(f, e, true, who, sizeof who);
            print_when(out, r, e->t);
            fprintf(out, "flush     by %s%s: %s (%lld bytes%s)\n", who,
                    e->mm_alive ? ", mm alive" : "", e->decision,
                    !strcmp(e->decision, "abort") ? w : e->size,
                    !strcmp(e->decision, "abort") && w > 0 ? " dropped" : "");
            break;
        }
        case FLOG_WRITE:
        case FLOG_TRUNCATE: {
            /* consecutive refusals of the same kind by the same thread */
            size_t k2 = k;
            long long nbytes = e->len > 0 ? e->len : 0;
            while (k2 + 1 < f->nevents) {
                const struct flog_event *n = &r->log.ev[f->events[k2 + 1]];
                if (n->op != e->op || n->tid != e->tid ||
                    strcmp(n->result, e->result))
                    break;
                nbytes += n->len > 0 ? n->len : 0;
                k2++;
            }
            print_when(out, r, e->t);
            if (e->op == FLOG_WRITE)
                fprintf(out, "refused   %zu write%s (%lld bytes, first at "
                             "offset %lld) by %s[%d]: %s, %s\n",
                        k2 - k + 1, k2 > k ? "s" : "", nbytes, e->off, e->comm,
                        e->tgid, e->result, refusal_reason(e));
            else
                fprintf(out, "refused   truncate to %lld bytes by %s[%d]: "
                             "%s, %s\n",
                        e->off, e->comm, e->tgid, e->result,
                        refusal_reason(e));
            k = k2;
            break;
        }
        default: break;
        }
    }
}

/* An argument as a shell would need it: quoted when it has to be. */
static void print_word(FILE *out, const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789_./=:,+-@%") == strlen(w)) {
        fputs(w, out);
        return;
    }
    fputc('\'', out);
    for (; *w; w++)
        fputs(*w == '\'' ? "'\\''" : (char[]){*w, 0}, out);
    fputc('\'', out);
}

static void print_text(FILE *out, const struct watch_opts *o,
                       const struct watch_mount *m,
                       const struct watch_result *r, int code)
{
    char end[128];
    child_describe_end(&r->run, o->timeout, end, sizeof end);
    fprintf(out, "\nternrig watch:");
    for (char **a = o->argv; *a; a++) {
        fputc(' ', out);
        print_word(out, *a);
    }
    fprintf(out, "\n  under %s on %s: %s after %.2f s, %zu file%s created\n",
            policy_name(m->policy), m->dir, end, r->run.seconds,
            r->fates.n, r->fates.n == 1 ? "" : "s");
    if (r->run.leftovers)
        fprintf(out, "  killed %u leftover process%s of its group\n",
                r->run.leftovers, r->run.leftovers == 1 ? "" : "es");
    if (r->bad_lines)
        fprintf(out, "  %u flush-log lines did not parse\n", r->bad_lines);
    unsigned count[FATE_VERDICT_COUNT] = {0};
    for (size_t i = 0; i < r->fates.n; i++) {
        const struct fate *f = &r->fates.f[i];
        const struct watch_file *w = &r->files[i];
        count[f->verdict]++;
        fprintf(out, "\n%s\n", w->path);
        print_events(out, r, f);
        if (w->visible && w->renamed)
            fprintf(out, "  now: renamed from %s, %lld bytes\n", f->name,
                    w->size_now);
        else if (w->gone)
            fprintf(out, "  now: not in the directory any more (removed or "
                         "replaced after it was sealed)\n");
        char why[1024];
        fate_explain(f, &r->log, true, why, sizeof why);
        fprintf(out, "  => %s\n", why);
    }
    fprintf(out, "\n%zu file%s:", r->fates.n, r->fates.n == 1 ? "" : "s");
    for (int v = 0; v < FATE_VERDICT_COUNT; v++)
        if (count[v] || v <= FATE_LOST)
            fprintf(out, "%s %u %s", v ? "," : "", count[v],
                    fate_verdict_name((enum fate_verdict)v));
    fputc('\n', out);
    if (code == 3)
        fprintf(out, "exit 3: a file the command created was lost or cut "
                     "short by the filesystem (the command: %s)\n",
                end);
}

static void json_event(FILE *out, const struct watch_result *r,
                       const struct flog_event *e)
{
    static const char *const ops[] = {"create", "flush", "write_refused",
                                      "truncate_refused", "other"};
    fprintf(out, "{\"t\":%.6f,\"op\":\"%s\",\"tid\":%d,\"tgid\":%d,\"comm\":",
            e->t - r->t0, ops[e->op], e->tid, e->tgid);
    json_string(out, e->comm);
    if (e->op == FLOG_FLUSH) {
        fprintf(out, ",\"mm_alive\":%s,\"known\":%s,\"decision\":",
                e->mm_alive ? "true" : "false", e->known ? "true" : "false");
        json_string(out, e->decision);
        fprintf(out, ",\"size\":%lld,\"writes\":%lld", e->size, e->writes);
        if (e->path[0]) {
            fprintf(out, ",\"path\":");
            json_string(out, e->path);
        }
    } else {
        fprintf(out, ",\"result\":");
        json_string(out, e->result);
        if (e->op != FLOG_CREATE)
            fprintf(out, ",\"off\":%lld,\"len\":%lld", e->off, e->len);
    }
    fputc('}', out);
}

static void print_json(FILE *out, const struct watch_opts *o,
                       const struct watch_mount *m,
                       const struct watch_result *r, int code)
{
    fprintf(out, "{\"command\":[");
    for (char **a = o->argv; *a; a++) {
        fprintf(out, "%s", a == o->argv ? "" : ",");
        json_string(out, *a);
    }
    char end[128];
    child_describe_end(&r->run, o->timeout, end, sizeof end);
    fprintf(out, "],\"policy\":\"%s\",\"mount\":", policy_name(m->policy));
    json_string(out, m->dir);
    fprintf(out, ",\"command_exit\":%d,\"end\":", child_exit_code(&r->run));
    json_string(out, end);
    fprintf(out, ",\"timed_out\":%s,\"seconds\":%.3f,\"leftovers\":%u,"
                 "\"exit\":%d,\"files\":[",
            r->run.timed_out ? "true" : "false", r->run.seconds,
            r->run.leftovers, code);
    for (size_t i = 0; i < r->fates.n; i++) {
        const struct fate *f = &r->fates.f[i];
        const struct watch_file *w = &r->files[i];
        char why[1024];
        fate_explain(f, &r->log, true, why, sizeof why);
        fprintf(out, "%s{\"path\":", i ? "," : "");
        json_string(out, w->path);
        fprintf(out, ",\"created_as\":");
        json_string(out, f->name);
        fprintf(out, ",\"ino\":%lu,\"verdict\":\"%s\",\"visible\":%s,"
                     "\"gone\":%s,\"size\":%lld,\"writes\":%lld,"
                     "\"refused_writes\":%u,\"creator\":{\"pid\":%d,"
                     "\"tid\":%d,\"comm\":",
                f->ino, fate_verdict_name(f->verdict),
                w->visible ? "true" : "false", w->gone ? "true" : "false",
                f->size, f->writes,
                f->refused_sealed + f->refused_append + f->refused_other,
                f->creator_tgid, f->creator_tid);
        json_string(out, f->creator_comm);
        fprintf(out, "},\"explanation\":");
        json_string(out, why);
        fprintf(out, ",\"events\":[");
        for (size_t k = 0; k < f->nevents; k++) {
            fprintf(out, "%s", k ? "," : "");
            json_event(out, r, &r->log.ev[f->events[k]]);
        }
        fprintf(out, "]}");
    }
    fprintf(out, "]}\n");
}

static int parse_opts(int argc, char **argv, struct watch_opts *o)
{
    static const struct option longopts[] = {
        {"policy", required_argument, 0, 'p'},
        {"mount", required_argument, 0, 'm'},
        {"json", no_argument, 0, 'j'},
        {"output", required_argument, 0, 'o'},
        {"timeout", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->policy = POLICY_REFERENCE;
    o->timeout = 600;
    int c;
    optind = 1;
    /* '+': options stop at CMD, so `watch ls -l` needs no "--" */
    while ((c = getopt_long(argc, argv, "+p:m:jo:t:h", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 'p':
            if (policy_arg("watch", optarg, &o->policy))
                return 2;
            o->policy_given = true;
            break;
        case 'm': o->mount = optarg; break;
        case 'j': o->json = true; break;
        case 'o': o->output = optarg; break;
        case 't':
            if (parse_time_limit(optarg, &o->timeout) < 0)
                return usage_error("watch", "--timeout: '%s' is not a "
                                   "positive number of seconds", optarg);
            break;
        case 'h': return policy_help(watch_help);
        default: return usage_error("watch", "bad option");
        }
    }
    if (optind >= argc)
        return usage_error("watch", "give the command to run");
    o->argv = argv + optind;
    return -1; /* go on */
}

int cmd_watch(int argc, char **argv)
{
    struct watch_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* the report's file (its folder made) opened before CMD runs: a
     * report that cannot be written is known before, not after */
    FILE *out = stdout;
    char bad[4200];
    /* CMD looked up first: one that does not exist is said without
     * mounting anything (a relative path with a slash is CMD's working
     * directory's, the mount's: it is left to the run) */
    if (child_find_command(o.argv[0], bad, sizeof bad) < 0) {
        fprintf(stderr, "ternrig watch: %s\n", bad);
        return 2;
    }
    if (o.output && o.mount && path_inside(o.output, o.mount) == 1) {
        fprintf(stderr, "ternrig watch: -o %s is inside --mount %s: the "
                        "report would be one of the files watched; give a "
                        "place outside it\n",
                o.output, o.mount);
        return 2;
    }
    if (o.output && prepare_output_file(o.output, bad, sizeof bad) < 0) {
        fprintf(stderr, "ternrig watch: -o %s\n", bad);
        return 2;
    }
    if (o.output && !(out = fopen(o.output, "w"))) {
        fprintf(stderr, "ternrig watch: -o %s: %s\n", o.output,
                strerror(errno));
        return 2;
    }
    char why[512];
    struct watch_mount m;
    child_run_catch_signals();
    if ((o.mount ? watch_mount_use(&m, o.mount, why, sizeof why)
                 : watch_mount_open(&m, o.policy, 0, why, sizeof why)) < 0) {
        fprintf(stderr, "ternrig watch: %s\n", why);
        rc = 2;
        goto out;
    }
    if (o.mount && o.policy_given && m.policy != o.policy) {
        fprintf(stderr, "ternrig watch: %s runs %s, not %s\n", o.mount,
                policy_name(m.policy), policy_name(o.policy));
        rc = 2;
        goto close;
    }
    /* CMD inherits ternrig's fds, as it would run without ternrig */
    struct child_spec cmd = {.argv = o.argv, .cwd = m.dir, .in_fd = -1,
                             .out_fd = -1, .err_fd = -1,
                             .timeout_s = o.timeout};
    struct watch_result r;
    if (watch_command(&m, m.dir, &cmd, &r, why, sizeof why) < 0) {
        fprintf(stderr, "ternrig watch: %s\n", why);
        rc = 2;
    } else {
        rc = watch_lost_something(&r) ? 3 : child_exit_code(&r.run);
        (o.json ? print_json : print_text)(out, &o, &m, &r, rc);
    }
    watch_result_free(&r);
close:
    if (watch_mount_close(&m) < 0 && rc == 0)
        rc = 2;
out:
    /* a report that could not be written (a full disk, -o /dev/full) is
     * an error, never a silent success */
    if (close_output(out) < 0) {
        fprintf(stderr, "ternrig watch: %s: %s\n",
                out == stdout ? "stdout" : o.output, strerror(errno));
        rc = 2;
    }
    return child_run_release_signals(rc);
}

#else

int cmd_watch(int argc, char **argv)
{
    return command_unavailable("watch", watch_help, "libfuse3", argc, argv);
}

#endif
