#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The binary's own front door: every bad config exits 2 with one line naming the
# file, the JSON path and the reason; usage errors exit 2; --help/--version 0;
# a config port that does not exist is a config error (exit 2).
set -u
ACES=$(readlink -f "${1:?usage: test_cli.sh PATH/TO/aces}")
DIR=$(cd "$(dirname "$0")/../data/config" && pwd)
ACESCTL=$(cd "$(dirname "$0")/../.." && pwd)/tools/acesctl
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cd "$DIR/bad"
while IFS=$'\t' read -r file want; do
    case $file in ''|'#'*) continue ;; esac
    out=$("$ACES" -- --config "$file" 2>&1 >/dev/null)
    rc=$?
    lines=$(printf '%s\n' "$out" | wc -l)
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [[ $out == "$file"* ]] && [[ $out == *"$want"* ]]; then
        ok
    else
        bad "$file: exit $rc, $lines line(s): $out"
    fi
done < expect.tsv

# every shipped config and example passes ACES's own validation (--check-config)
for f in "$DIR"/../../../configs/*.json "$DIR"/../../../configs/examples/*.json "$DIR"/good-demo.json; do
    out=$("$ACES" -- --config "$f" --check-config 2>&1); rc=$?
    [ $rc -eq 0 ] && [[ $out == *": valid: "* ]] && ok || bad "--check-config $f: exit $rc: $out"
done
out=$("$ACES" -- --config "$DIR/bad/key-empty.json" --check-config 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *'"": unknown key'* ]] && ok || bad "--check-config of a bad file: exit $rc: $out"
out=$("$ACES" -- --check-config 2>&1); rc=$?
[ $rc -eq 2 ] && ok || bad "--check-config without --config: exit $rc: $out"
# acesctl --help names every verb, and the README shows every verb acesctl has
help=$(python3 "$ACESCTL" --help 2>&1)
verbs=$(printf '%s\n' "$help" | sed -n 's/^ *{\(.*\)}$/\1/p' | head -1 | tr ',' ' ')
[ -n "$verbs" ] && ok || bad "acesctl --help lists no verbs: $help"
for v in $verbs; do
    grep -q "tools/acesctl -f demo .*\b$v\b" "$DIR/../../../README.md" && ok || bad "README shows no 'acesctl $v'"
done
out=$("$ACES" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--config FILE"* ]] && ok || bad "no arguments: exit $rc"
out=$("$ACES" -- 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--config FILE is required"* ]] && ok || bad "no --config: exit $rc: $out"
out=$("$ACES" -- --config 2>&1); rc=$?
[ $rc -eq 2 ] && ok || bad "--config without file: exit $rc"
out=$("$ACES" -- --config x.json --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *'"--bogus"'* ]] && ok || bad "unknown option: exit $rc: $out"
out=$("$ACES" -- --config /nonexistent.json 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == "/nonexistent.json: cannot open"* ]] && ok || bad "missing file: exit $rc: $out"
out=$("$ACES" --help); rc=$?
[ $rc -eq 0 ] && [[ $out == Usage:* ]] && ok || bad "--help: exit $rc"
out=$("$ACES" -- --version); rc=$?
[ $rc -eq 0 ] && [[ $out == "aces "* ]] && ok || bad "--version: exit $rc"
# a port the config names but EAL does not have: config error, exit 2
out=$("$ACES" -l 0-1 --no-pci --no-huge -m 128 --file-prefix cli$$ --vdev net_null0 -- \
      --config "$DIR/good-demo.json" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"interfaces.backend.port: port 1 does not exist"* ]] && ok ||
    bad "missing port: exit $rc: $(echo "$out" | tail -2)"
# one lcore only: clear error
out=$("$ACES" -l 0 --no-pci --no-huge -m 128 --file-prefix cli$$ --vdev net_null0 --vdev net_null1 -- \
      --config "$DIR/good-demo.json" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"needs at least two lcores"* ]] && ok || bad "one lcore: exit $rc"

# acesctl against an appliance that is not running: one clear line, exit 1
out=$("$ACESCTL" -f no-such-prefix-$$ info 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == "acesctl: ACES is not running with file prefix 'no-such-prefix-$$'"* ]] && ok ||
    bad "acesctl without appliance: exit $rc: $out"

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
