/* test_codec_golden.c - the binary trace format does not drift: stored
 * `.trb` files and raw fuzzer inputs decode to exactly the stored text, and
 * the stored traces encode to exactly the stored bytes.  The files and
 * where they came from: tests/fixtures/codec_golden/README.md. */
#include "check.h"
#include "corpus_files.h"
#include "model.h"
#include "trace.h"

static const char *const binaries[] = {
    "close-range-by-forked-child.trb", "dup2-over-open-fd.trb",
    "every-statement.trb",             "kthread-creates-and-closes.trb",
    "send-then-creator-killed.trb",    "vfork-child-creates-cloexec-exec.trb",
    "every-statement-raw.bin",         "raw-every-byte.bin",
    "raw-random-4096.bin",             "raw-random-512.bin",
    "raw-random-64.bin",               "raw-random-small.bin",
    "raw-reserved-codes.bin",
};
#define NBINARIES (sizeof binaries / sizeof binaries[0])

static char *fixture(const char *name, const char *suffix, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", GOLDEN_DIR, name, suffix);
    char *data = read_file(path, len);
    if (!data)
        fprintf(stderr, "cannot read %s\n", path);
    return data;
}

static struct program *new_program(void)
{
    struct program *p = calloc(1, sizeof *p);
    if (!p)
        exit(2);
    return p;
}

/* The program as text, malloc'd, after `header` (may be empty). */
static char *printed(const struct program *p, const char *header)
{
    size_t hl = strlen(header), need = trace_print(p, NULL, 0) + 1;
    char *text = malloc(hl + need);
    if (!text)
        exit(2);
    memcpy(text, header, hl);
    trace_print(p, text + hl, need);
    return text;
}

static bool same_text(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) == 0)
        return true;
    size_t i = 0, line = 1;
    for (; got[i] && got[i] == want[i]; i++)
        line += got[i] == '\n';
    fprintf(stderr, "%s: differs from line %zu on\n", what, line);
    return false;
}

TEST(stored_binaries_decode_to_the_stored_text_of_ternrig_decode)
{
    struct program *p = new_program();
    struct model *m = model_new();
    REQUIRE(m);
    for (size_t i = 0; i < NBINARIES; i++) {
        size_t len, wlen;
        char *data = fixture(binaries[i], "", &len);
        char *want = fixture(binaries[i], ".decoded", &wlen);
        CHECK(data && want);
        if (data && want) {
            trace_decode((const uint8_t *)data, len, p);
            model_sanitize(m, p);
            char header[256];
            snprintf(header, sizeof header, "# decoded from %s\n",
                     binaries[i]);
            char *got = printed(p, header);
            CHECK(same_text(binaries[i], got, want));
            free(got);
        }
        free(data);
        free(want);
    }
    model_free(m);
    free(p);
}

TEST(stored_binaries_decode_to_the_stored_statements)
{
    struct program *p = new_program();
    for (size_t i = 0; i < NBINARIES; i++) {
        size_t len, wlen;
        char *data = fixture(binaries[i], "", &len);
        char *want = fixture(binaries[i], ".steps", &wlen);
        CHECK(data && want);
        if (data && want) {
            trace_decode((const uint8_t *)data, len, p);
            char *got = printed(p, "");
            CHECK(same_text(binaries[i], got, want));
            free(got);
        }
        free(data);
        free(want);
    }
    free(p);
}

TEST(stored_traces_encode_to_the_stored_bytes)
{
    static const struct {
        const char *trace, *binary;
        bool magic;
    } pairs[] = {
        {"close-range-by-forked-child", "close-range-by-forked-child.trb", 1},
        {"dup2-over-open-fd", "dup2-over-open-fd.trb", 1},
        {"every-statement", "every-statement.trb", 1},
        {"kthread-creates-and-closes", "kthread-creates-and-closes.trb", 1},
        {"send-then-creator-killed", "send-then-creator-killed.trb", 1},
        {"vfork-child-creates-cloexec-exec",
         "vfork-child-creates-cloexec-exec.trb", 1},
        {"every-statement", "every-statement-raw.bin", 0},
    };
    struct program *p = new_program();
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t len, blen;
        char *text = fixture(pairs[i].trace, ".trace", &len);
        char *want = fixture(pairs[i].binary, "", &blen);
        CHECK(text && want);
        struct trace_error err;
        if (text && want && trace_parse(text, len, p, &err) == 0) {
            size_t off = pairs[i].magic ? TRACE_BIN_MAGIC_LEN : 0;
            size_t n = trace_encode(p, NULL, 0) + off;
            uint8_t *got = malloc(n);
            REQUIRE(got);
            memcpy(got, TRACE_BIN_MAGIC, off);
            trace_encode(p, got + off, n - off);
            CHECK_EQ_INT(n, blen);
            CHECK(n == blen && memcmp(got, want, n) == 0);
            free(got);
        } else if (text && want) {
            fprintf(stderr, "%s:%u: %s\n", pairs[i].trace, err.line, err.msg);
            CHECK(!"the stored trace parses");
        }
        free(text);
        free(want);
    }
    free(p);
}

int main(void) { return run_tests(); }
