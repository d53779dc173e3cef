#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The libFuzzer targets of tests/fuzz (frame parser, checksum and NAT helpers, config
# loader, telemetry parameters): built with clang, ASan and UBSan in build-fuzz/, each run
# for SECONDS (default 600) on its committed corpus (tests/fuzz/corpus/TARGET, regression
# cases included) plus what earlier runs found (build-fuzz/corpus/TARGET, kept).
#   tools/fuzz.sh [SECONDS] [TARGET...]     exit 1 when a target finds anything
#   tools/fuzz.sh --merge [TARGET...]       add what the runs found, minimised, to the
#                                           committed corpus
# A finding is written to build-fuzz/crashes/TARGET-*: replay it with
#   build-fuzz/tests/fuzz/fuzz_TARGET FILE
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
B=build-fuzz
MERGE=0
SECS=600
if [ "${1:-}" = --merge ]; then MERGE=1; shift
elif [ -n "${1:-}" ] && [ "$1" -eq "$1" ] 2>/dev/null; then SECS=$1; shift; fi
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(parse nat config param)

if [ ! -d "$B" ]; then
    CC=clang meson setup "$B" -Dfuzz=true -Dtests=false -Dwerror=true -Db_lto=false \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$B" >/dev/null || { ninja -C "$B"; exit 1; }
mkdir -p "$B/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${TARGETS[@]}"; do
    exe=$B/tests/fuzz/fuzz_$t
    [ -x "$exe" ] || { echo "fuzz: no target $t"; exit 2; }
    mkdir -p "$B/corpus/$t"
    if [ $MERGE = 1 ]; then
        "$exe" -merge=1 "tests/fuzz/corpus/$t" "$B/corpus/$t" 2>&1 | tail -1
        continue
    fi
    printf 'fuzz %s: %s s\n' "$t" "$SECS"
    # -timeout: an input taking longer than 10 s is a finding (a hang); -rss_limit_mb: so
    # is one using more than 2 GiB
    if "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/crashes/$t-" "$B/corpus/$t" "tests/fuzz/corpus/$t" \
        > "$B/fuzz-$t.log" 2>&1; then
        grep -E '^#[0-9]+ *DONE|stat::number_of_executed_units' "$B/fuzz-$t.log" | tr '\n' ' '
        echo
    else
        grep -E 'promise broken|ERROR|SUMMARY|Test unit written' "$B/fuzz-$t.log" | head -8
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: findings in ${failed[*]} (logs: $B/fuzz-TARGET.log)"
    exit 1
fi
