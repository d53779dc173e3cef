#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job, as the README's first command runs it (tools/demo.sh): it must end with 0
# failed requests and 0 broken connections, and write a picture of the transition whose
# content check_timeline.py checks (rows, order, start and end marks).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mktemp -d /tmp/aces-demo.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
pass=0
fail=0
if DEMO_TIMELINE="$OUT/timeline.svg" timeout 300 "$ROOT/tools/demo.sh" > "$OUT/demo.log" 2>&1; then
    pass=$((pass + 1)); echo "ok: the demo ends with 0 failed requests, 0 broken connections"
else
    fail=$((fail + 1)); echo "FAIL: the demo failed:"; tail -30 "$OUT/demo.log"
fi
if grep -q "The transition as a picture: $OUT/timeline.svg" "$OUT/demo.log"; then
    pass=$((pass + 1)); echo "ok: the demo says where its picture is"
else
    fail=$((fail + 1)); echo "FAIL: the demo does not say where its picture is"
fi
python3 "$ROOT/tests/e2e/check_timeline.py" "$OUT/timeline.svg" "$ROOT/configs/demo.json" > "$OUT/check.out" 2>&1
cat "$OUT/check.out"
pass=$((pass + $(grep -c '^ok:' "$OUT/check.out")))
fail=$((fail + $(grep -vc '^ok:' "$OUT/check.out")))
echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 10 ]
