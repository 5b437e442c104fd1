#!/bin/sh
# test/fuzz/run.sh SECONDS - build every test/fuzz/fuzz_*.c with clang and
# libFuzzer (ASan+UBSan) and run each for SECONDS seconds.
#
# Library sources are compiled with -fsanitize=fuzzer-no-link into
# build-fuzz/, flags from pkg-config as in the Makefile. Each target runs
# on a corpus dir under build-fuzz/corpus/<name>/ (kept between runs) plus
# its seeds in test/fuzz/seeds/<name>/; the manifest target also gets
# copies of the shared fixture manifests (never copied into the repo).
# Crashing inputs are kept under build-fuzz/crashes/<name>/. Exits non-zero
# when any target crashes or fails to build.
set -u

secs=${1:-12}
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build-fuzz"
cc=${FUZZ_CC:-clang}
cd "$root" || exit 2

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found (install clang)" >&2
    exit 2
fi

pkgs="libnats msgpack libcjson yaml-0.1 libcrypto"
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null)
pkg_libs="$(pkg-config --libs $pkgs 2>/dev/null) -lev -lpthread -lm"
version=$(cat VERSION 2>/dev/null || echo 0.0.0)
cflags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -g -O1 -fno-omit-frame-pointer
    -I. -DWADM_VERSION=\"$version\" $pkg_cflags"
san="address,undefined"

mkdir -p "$out/obj" || exit 2

# The library, as the Makefile's LIB_SRC.
objs=""
for src in common/*.c common/manifest/*.c proto/*.c supervisor/*.c \
    workers/*/*.c; do
    [ -f "$src" ] || continue
    obj="$out/obj/$(echo "$src" | sed 's|/|_|g; s|\.c$|.o|')"
    if ! $cc $cflags -fsanitize=fuzzer-no-link,$san -c "$src" -o "$obj"; then
        echo "fuzz: cannot compile $src" >&2
        exit 2
    fi
    objs="$objs $obj"
done
rm -f "$out/libwadm.a"
ar rcs "$out/libwadm.a" $objs || exit 2

status=0
for target in test/fuzz/fuzz_*.c; do
    [ -f "$target" ] || continue
    name=$(basename "$target" .c)
    short=${name#fuzz_}
    bin="$out/$name"
    if ! $cc $cflags -fsanitize=fuzzer,$san "$target" "$out/libwadm.a" \
        $pkg_libs -o "$bin"; then
        echo "fuzz: cannot build $target" >&2
        status=1
        continue
    fi
    corpus="$out/corpus/$short"
    crashes="$out/crashes/$short"
    mkdir -p "$corpus" "$crashes"
    dirs="$corpus"
    [ -d "test/fuzz/seeds/$short" ] && dirs="$dirs test/fuzz/seeds/$short"
    if [ "$short" = manifest ]; then
        fixtures=${WADM_FIXTURES:-$root/../shared/fixtures}
        extra="$out/fixtures-corpus/$short"
        rm -rf "$extra"
        mkdir -p "$extra"
        if [ -d "$fixtures" ]; then
            find "$fixtures/manifests" "$fixtures/oam" -type f \
                \( -name '*.yaml' -o -name '*.json' \) \
                -exec cp {} "$extra/" \; 2>/dev/null
            dirs="$dirs $extra"
        else
            echo "fuzz: SKIP fixture corpus ($fixtures not found)"
        fi
    fi
    log="$out/$name.log"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 \
        -artifact_prefix="$crashes/" $dirs >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
        tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" |
        tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "$name: ok, ${execs:-?} executions in ${took:-$secs} s" \
            "(corpus $(ls "$corpus" | wc -l) inputs)"
    else
        echo "$name: FAILED (exit $rc) after ${execs:-?} executions;" \
            "inputs kept in $crashes/, log in $log"
        grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/  /'
        status=1
    fi
done
exit $status
