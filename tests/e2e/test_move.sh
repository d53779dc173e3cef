#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Established connections moved live from the original to the replacement host (issue
# #11, first step): 20 long-lived connections to tools/linesrv through the VIP, each
# with its own running count; their flows are held in ACES, the original's linesrv
# exports every socket (lib/tcpmig, TCP_REPAIR), the replacement's imports them bound
# to its own address, ACES re-points each flow and releases it (tests/e2e/move.py, by
# hand: the manager phase and the agents' channel are still to come). Every connection
# goes on, answered by the replacement with its count continued; then the original's
# service is stopped and they still work.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

LINESRV=${LINESRV:-$ACES_BUILD/tools/linesrv/linesrv}
N=20
CFG=$WORK/aces-move.json
cat > "$CFG" <<EOC
{
  "interfaces": { "client": { "port": 0, "address": "10.10.1.1/24" },
                  "backend": { "port": 1, "address": "10.10.2.1/24" } },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.2.10" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.2.20" } ] } },
  "endpoints": [
    { "name": "lines", "vip": "10.10.1.100", "port": 7000, "protocol": "tcp",
      "backend_port": 7000, "priority": "high", "statefulness": "session" }
  ],
  "flows": { "capacity": 65536 }
}
EOC

log "topology $P"
topo_up 1
mkdir -p "$WORK/handover"
ip netns exec "${P}or1" "$LINESRV" --listen 10.10.2.10:7000 --name old --dir "$WORK/handover" \
    2> "$WORK/old.log" &
OLD=$!
PIDS+=("$OLD")
ip netns exec "${P}re" "$LINESRV" --listen 10.10.2.20:7000 --name new --dir "$WORK/handover" \
    --adopt 2> "$WORK/new.log" &
NEW=$!
PIDS+=("$NEW")
start_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

bg python3 "$ACES_ROOT/tests/e2e/lineclient.py" 10.10.1.100 7000 "$N" "$STALL" \
    "$WORK/ports" "$WORK/lines.stop" "$WORK/lines.json"
CLIENT=${PIDS[-1]}
expect "$N long-lived connections open" wait_until 20 "connections" test -s "$WORK/ports"
sleep 1
one=$(head -1 "$WORK/ports")
expect "a connection's flow is on the original" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX flow lines 10.10.1.2:$one | grep -q 'backend orig-1'"
flow_refused() { local out; out=$(acesctl flow lines 10.10.1.2:1 2>&1) && return 1; echo "$out" | grep -q 'no such flow'; }
expect "a flow that does not exist is refused, saying so" flow_refused

python3 "$ACES_ROOT/tests/e2e/move.py" "$ACES_PREFIX" lines 10.10.1.2 "$WORK/ports" "$OLD" \
    "$WORK/old.log" "$WORK/handover" repl-1 "$WORK/move.json"
log "move: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=sorted(r["freeze_ms"]) or [0];
print("%d held, %d moved, freeze (hold to release) p50 %.0f ms, max %.0f ms, errors %s" % (r["held"], r["moved"],
      f[len(f) // 2], f[-1], r["errors"][:2]))' "$WORK/move.json")"
expect "every connection moved" python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
sys.exit(r["moved"] != int(sys.argv[2]) or bool(r["errors"]))' "$WORK/move.json" "$N"
expect "the flow points at the replacement now" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX flow lines 10.10.1.2:$one | grep -q 'backend repl-1 (replacement)'"
sleep 3
# the original's service goes: the moved connections do not need it
kill -TERM "$OLD"
sleep 2
touch "$WORK/lines.stop"
wait_until 30 "client done" sh -c "! kill -0 $CLIENT 2>/dev/null" || bad "client did not finish"
python3 - "$WORK/lines.json" "$N" <<'EOF' > "$WORK/check.res"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
def check(c, m): print(("ok: " if c else "FAIL: ") + m)
broken = [c for c in r if c["failures"]]
check(len(r) == n and not broken, "%d connections, %d broken %s" % (len(r), len(broken),
      [c["failures"][0] for c in broken][:3]))
check(all(c["servers"] == ["old", "new"] for c in r),
      "every connection answered by the original, then only by the replacement: %s"
      % sorted(set(tuple(c["servers"]) for c in r)))
check(min(c["lines"] for c in r) >= 40, "each went on after the move with its count "
      "continued (fewest lines %d)" % min(c["lines"] for c in r))
print("info: slowest answer %.3f s" % max(c["max_s"] for c in r))
EOF
grep '^info' "$WORK/check.res" | while read -r l; do log "${l#info: }"; done
grep -v '^info' "$WORK/check.res" > "$WORK/check.txt"
results_from "$WORK/check.txt"
held=$(acesctl --json stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["drops"]["flow_held"], d["flows_repointed"])')
log "drops flow_held, flows_repointed: $held"
expect "$N flows re-pointed (counted)" test "${held#* }" = "$N"

stop_aces TERM
finish "move"
