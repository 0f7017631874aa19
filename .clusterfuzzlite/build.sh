#!/bin/bash -eu
# Build ternrig's fuzz targets the OSS-Fuzz / ClusterFuzzLite way: only
# $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT $SRC are used.  Each
# target gets its seed corpus (<target>_seed_corpus.zip, made from
# corpus/traces), the dictionary and its .options file.
set -eu # also when run as `bash build.sh`, where the #! flags do not count
cd "$SRC/ternrig"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The seed tool runs on the build machine: plain flags, no sanitizer.
# (watch/watch.c needs the real-mount code, which needs libfuse: left out,
# its command says so)
harness_i=$(for d in harness/*/; do printf -- '-I%s ' "${d%/}"; done)
$CC -std=c11 -O1 -D_POSIX_C_SOURCE=200809L $harness_i -Iflushlog -Itools \
    -Isupport -Ifindings -Ireport -Iwatch \
    tools/*.c support/*.c findings/*.c report/*.c watch/fate.c \
    watch/clients.c harness/*/*.c flushlog/*.c -lm -o "$work/ternrig"
"$work/ternrig" seeds --out "$work/seeds" corpus/traces

# The harness, instrumented as the engine asks.
for src in harness/*/*.c; do
    $CC $CFLAGS -std=c11 -D_POSIX_C_SOURCE=200809L $harness_i -c "$src" \
        -o "$work/$(basename "$src" .c).o"
done
ar rcs "$work/libharness.a" "$work"/*.o

build_target() { # name, extra compile flags, sources...
    local name=$1 defs=$2
    shift 2
    local objs=()
    for src in "$@"; do
        $CC $CFLAGS -std=c11 -D_POSIX_C_SOURCE=200809L $defs $harness_i \
            -c "$src" -o "$work/$name.$(basename "$src" .c).o"
        objs+=("$work/$name.$(basename "$src" .c).o")
    done
    # libFuzzer is C++: link with $CXX
    $CXX $CXXFLAGS "${objs[@]}" "$work/libharness.a" $LIB_FUZZING_ENGINE \
        -o "$OUT/$name"
    (cd "$work/seeds/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
}

# One target per policy of the core's descriptor: fuzz_policy.c compiled
# with the policy's enum name, POLICY_ plus the name in capitals, '-' as '_'.
for policy in $("$work/ternrig" policies | tr - _); do
    id=POLICY_$(echo "$policy" | tr '[:lower:]' '[:upper:]')
    build_target "fuzz_$policy" "-DTERNRIG_FUZZ_POLICY=$id" \
        fuzz/fuzz_policy.c fuzz/mutator.c
    cp fuzz/policy.options "$OUT/fuzz_$policy.options"
done
build_target fuzz_decode "" fuzz/fuzz_decode.c
build_target fuzz_trace_parse "" fuzz/fuzz_trace_parse.c
cp fuzz/ternrig.dict "$OUT/"
for t in fuzz_decode fuzz_trace_parse; do
    printf '[libfuzzer]\ndict = ternrig.dict\n' >"$OUT/$t.options"
done
