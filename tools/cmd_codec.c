/* cmd_codec.c - `ternrig encode` and `ternrig decode`: text <-> binary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "load.h"
#include "util.h"

static const char encode_help[] =
    "usage: ternrig encode [--raw] [-o OUT] TRACE\n"
    "\n"
    "Encode a text trace in the compact binary form the fuzzers use.  Names\n"
    "become numbers (decoding gives generated names: p0, f0, d0...).\n"
    "\n"
    "  -o, --output OUT  write to OUT (default: standard output, not a tty)\n"
    "  -r, --raw         no TRB1 magic: a fuzzer input\n"
    "  -h, --help        this help\n";

static const char decode_help[] =
    "usage: ternrig decode [-o OUT] FILE\n"
    "\n"
    "Decode a binary trace (with the TRB1 magic, or raw fuzzer bytes) to a\n"
    "text trace.  Any bytes decode: statements that would be trace errors\n"
    "are dropped, so the output is always a valid trace.  The one refusal\n"
    "(exit 2) is a text trace: bytes without the magic that are UTF-8 text\n"
    "with a line that is neither blank nor a comment, which `replay` reads\n"
    "as text even when named .trb.\n"
    "\n"
    "  -o, --output OUT  write to OUT (default: standard output)\n"
    "  -h, --help        this help\n";

static FILE *open_output(const char *cmd, const char *path, bool binary)
{
    if (!path) {
        if (binary && isatty(STDOUT_FILENO)) {
            fprintf(stderr,
                    "ternrig %s: refusing to write binary to a terminal; "
                    "use -o FILE or a redirect\n",
                    cmd);
            return NULL;
        }
        return stdout;
    }
    FILE *f = fopen(path, binary ? "wb" : "w");
    if (!f)
        perror(path);
    return f;
}

static int close_or_say(FILE *f, const char *path)
{
    if (close_output(f) < 0) {
        fprintf(stderr, "%s: write failed: %s\n", path ? path : "stdout",
                strerror(errno));
        return 2;
    }
    return 0;
}

int cmd_encode(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"raw", no_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    bool raw = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:rh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r': raw = true; break;
        case 'h': fputs(encode_help, stdout); return 0;
        default: return usage_error("encode", "bad option");
        }
    }
    if (optind != argc - 1)
        return usage_error("encode", "give exactly one trace");
    struct program *p = malloc(sizeof *p);
    struct model *m = model_new();
    size_t cap = (size_t)MAX_STEPS * 16 + 16;
    uint8_t *buf = malloc(cap);
    int rc = 2;
    char err[512];
    struct trace_error terr;
    if (!p || !m || !buf) {
        fprintf(stderr, "ternrig encode: out of memory\n");
    } else if (load_program(argv[optind], p, m, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
    } else if (model_check(m, p, &terr) < 0) {
        fprintf(stderr, "%s:%u: %s\n", argv[optind], terr.line, terr.msg);
    } else if (raw && p->nsteps > TRACE_DECODE_MAX_STEPS) {
        fprintf(stderr,
                "ternrig encode: %s has %u statements; a raw fuzzer input "
                "holds at most %d (drop --raw to keep them all)\n",
                argv[optind], p->nsteps, TRACE_DECODE_MAX_STEPS);
    } else {
        size_t n = 0;
        if (!raw) {
            memcpy(buf, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN);
            n = TRACE_BIN_MAGIC_LEN;
        }
        n += trace_encode(p, buf + n, cap - n);
        FILE *f = open_output("encode", out, true);
        if (f) {
            fwrite(buf, 1, n, f);
            rc = close_or_say(f, out);
        }
    }
    free(buf);
    model_free(m);
    free(p);
    return rc;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(decode_help, stdout); return 0;
        default: return usage_error("decode", "bad option");
        }
    }
    if (optind != argc - 1)
        return usage_error("decode", "give exactly one file");
    const char *in = argv[optind];
    char err[512];
    size_t len;
    char *data = read_file(in, TRACE_FILE_LIMIT, &len, err, sizeof err);
    if (!data) {
        fprintf(stderr, "ternrig decode: %s\n", err);
        return 2;
    }
    struct program *p = malloc(sizeof *p);
    struct model *m = model_new();
    int rc = 2;
    if (!p || !m) {
        fprintf(stderr, "ternrig decode: out of memory\n");
    } else if (trace_bytes_are_text(data, len)) {
        /* the rule replay uses for a .trb: the same bytes mean the same */
        fprintf(stderr,
                "ternrig decode: %s is a text trace already: no TRB1 magic, "
                "only text, a statement line (replay it, or encode it)\n",
                in);
    } else {
        trace_decode((const uint8_t *)data, len, p);
        model_sanitize(m, p);
        size_t need = trace_print(p, NULL, 0) + 1;
        char *text = malloc(need);
        FILE *f = text ? open_output("decode", out, false) : NULL;
        if (f) {
            trace_print(p, text, need);
            fprintf(f, "# decoded from %s\n%s", in, text);
            rc = close_or_say(f, out);
        }
        free(text);
    }
    model_free(m);
    free(p);
    free(data);
    return rc;
}
