#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Established connections of a cooperating application moved live by the manager (issue
# #11): tools/linesrv hands its sockets with their state to the backend agent (Unix
# socket, SCM_RIGHTS) and takes moved ones on.
#  1. 20 long-lived line connections, each with its own running count, and one
#     connection streaming bulk data both ways through linesrv --echo: the transition's
#     MOVING phase moves all 21; every line connection goes on with its count continued,
#     answered by the replacement; the stream arrives complete and in order. The
#     original's services and agent are stopped: everything still works.
#  2. Moves at 4 per second, and the original's agent killed (SIGKILL) in the middle:
#     the connections not moved yet stay on the original and keep working, nothing is
#     broken, the transition says the agent does not answer and drains the rest.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

LINESRV=${LINESRV:-$ACES_BUILD/tools/linesrv/linesrv}
AGENT=${AGENT:-$ACES_BUILD/app/agent/aces-agent}
N=20
SECRET=$WORK/agents.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET"
config() {   # FILE MOVES_PER_S CONCURRENCY
    cat > "$1" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "lines", "vip": "10.10.1.100", "port": 7000, "protocol": "tcp",
      "backend_port": 7000, "priority": "high", "statefulness": "session", "migrate": true,
      "hooks": { "replicate": "true" } },
    { "name": "bulk", "vip": "10.10.1.100", "port": 7001, "protocol": "tcp",
      "backend_port": 7001, "priority": "high", "statefulness": "session", "migrate": true,
      "hooks": { "replicate": "true" } }
  ],
  "agents": { "port": 7800, "secret_file": "$SECRET", "moves_per_s": $2, "concurrency": $3,
              "move_timeout_ms": 1000 },
  "flows": { "capacity": 65536 }
}
EOC
}

# start_host NS ADDR NAME: the agent and the two services of one backend host
start_host() {
    local ns=$1 addr=$2 name=$3
    ip netns exec "$P$ns" "$AGENT" --port 7800 --secret-file "$SECRET" --aces 10.10.2.1 \
        --unix "$WORK/agent-$name.sock" 2>> "$WORK/agent-$name.log" &
    PIDS+=($!); eval "AGENT_$name=$!"
    wait_until 10 "agent $name" test -S "$WORK/agent-$name.sock" || bad "agent $name did not start"
    ip netns exec "$P$ns" "$LINESRV" --listen "$addr:7000" --name "$name" \
        --agent "$WORK/agent-$name.sock" 2>> "$WORK/lines-$name.log" &
    PIDS+=($!); eval "LINES_$name=$!"
    ip netns exec "$P$ns" "$LINESRV" --listen "$addr:7001" --name "$name-echo" --echo \
        --agent "$WORK/agent-$name.sock" 2>> "$WORK/echo-$name.log" &
    PIDS+=($!); eval "ECHO_$name=$!"
}

flows_original() { acesctl --json endpoint "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["flows_original"])'; }
phase_is() { acesctl --json endpoint "$1" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["phase"] != sys.argv[1])' "$2"; }
moves() { acesctl --json transition status | python3 -c 'import json,sys; print(json.load(sys.stdin)["moves"][sys.argv[1]])' "$1"; }

# check_lines OUT_JSON WHAT PYTHON-EXPR: no connection broken, each answered as EXPR says
check_lines() {
    python3 - "$1" "$N" "$2" "$3" <<'EOF' > "$WORK/check.res"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); what = sys.argv[3]
def check(c, m): print(("ok: " if c else "FAIL: ") + what + ": " + m)
broken = [c for c in r if c["failures"]]
check(len(r) == n and not broken, "%d connections, counts continued, %d broken %s" % (len(r),
      len(broken), [c["failures"][0] for c in broken][:3]))
servers = sorted(set(tuple(c["servers"]) for c in r))
check(eval(sys.argv[4]), "answered by: %s" % servers)
print("info: %s: slowest answer %.3f s" % (what, max(c["max_s"] for c in r)))
EOF
    grep '^info' "$WORK/check.res" | while read -r l; do log "${l#info: }"; done
    grep -v '^info' "$WORK/check.res" > "$WORK/check.txt"
    results_from "$WORK/check.txt"
}

log "topology $P"
topo_up 1
start_host or1 10.10.2.10 old
start_host re 10.10.2.20 new
config "$WORK/aces-1.json" 1000 32
start_aces "$WORK/aces-1.json"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

# ---- 1. lines with their counts, and a bulk stream, moved by the transition ----
bg python3 "$ACES_ROOT/tests/e2e/lineclient.py" 10.10.1.100 7000 "$N" "$STALL" \
    "$WORK/ports1" "$WORK/lines1.stop" "$WORK/lines1.json"
CLIENT=${PIDS[-1]}
bg python3 "$ACES_ROOT/tests/e2e/bulkclient.py" 10.10.1.100 7001 48 6 "$STALL" \
    "$WORK/bulk.ready" "$WORK/bulk.json"
BULK=${PIDS[-1]}
expect "$N line connections open" wait_until 20 "connections" test -s "$WORK/ports1"
expect "the bulk stream runs" wait_until 20 "bulk stream" test -e "$WORK/bulk.ready"
sleep 1
acesctl transition start > /dev/null
expect "every connection moved, both endpoints released" wait_until 60 "released" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX transition status | grep -q ': complete'"
acesctl transition status > "$WORK/t1.txt"; log "$(cat "$WORK/t1.txt")"
expect "$((N + 1)) moved, none failed" sh -c "test \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json transition status | python3 -c 'import json,sys; m=json.load(sys.stdin)[\"moves\"]; print(m[\"moved\"], m[\"failed\"], m[\"timed_out\"])')\" = '$((N + 1)) 0 0'"
expect "the bulk stream's flow points at the replacement" test "$(flows_original bulk)" = 0
wait_until 60 "bulk stream done" sh -c "! kill -0 $BULK 2>/dev/null" || bad "bulk stream did not finish"
python3 - "$WORK/bulk.json" <<'EOF' > "$WORK/bulk.res"
import json, sys
r = json.load(open(sys.argv[1])); total = 48 * 1048576
print(("ok: " if r["echoed"] == total and r["sent"] == total and not r["errors"] else "FAIL: ") +
      "bulk: %d of %d bytes sent and echoed back complete and in order while moving (%s); "
      "longest wait %.2f s" % (r["echoed"], total, r["errors"] or "no error", r["max_wait_s"]))
EOF
results_from "$WORK/bulk.res"
sleep 1
# the original's services and agent go: the moved connections need none of them
stop_pid "$LINES_old"; stop_pid "$ECHO_old"; stop_pid "$AGENT_old"
expect "the original's agent moved $((N + 1)) out" grep -q "moved out $((N + 1)) (failed 0)" "$WORK/agent-old.log"
sleep 2
touch "$WORK/lines1.stop"
wait_until 30 "line client done" sh -c "! kill -0 $CLIENT 2>/dev/null" || bad "line client did not finish"
check_lines "$WORK/lines1.json" "moved" 'servers == [("old", "new")]'
stop_pid "$LINES_new"
expect "linesrv on the replacement adopted $N connections" grep -q "$N adopted" "$WORK/lines-new.log"

# ---- 2. the original's agent killed while the connections move ----
start_host or1 10.10.2.10 old
ip netns exec "${P}re" "$LINESRV" --listen 10.10.2.20:7000 --name new \
    --agent "$WORK/agent-new.sock" 2>> "$WORK/lines-new.log" &
PIDS+=($!)
config "$WORK/aces-2.json" 4 1
fresh_aces "$WORK/aces-2.json"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"
bg python3 "$ACES_ROOT/tests/e2e/lineclient.py" 10.10.1.100 7000 "$N" "$STALL" \
    "$WORK/ports2" "$WORK/lines2.stop" "$WORK/lines2.json"
CLIENT=${PIDS[-1]}
expect "$N line connections open again" wait_until 20 "connections" test -s "$WORK/ports2"
sleep 1
acesctl transition start > /dev/null
expect "some connections moved (4 per second)" wait_until 20 "moves" sh -c "test \$(\"$ACESCTL\" -f $ACES_PREFIX --json transition status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"moves\"][\"moved\"])') -ge 4"
kill -KILL "$AGENT_old" 2>/dev/null; wait "$AGENT_old" 2>/dev/null
log "the original's agent killed after $(moves moved) moves"
expect "the moving phase ends: the rest drains on the original" wait_until 30 "draining" phase_is lines draining
acesctl transition status > "$WORK/t2.txt"; log "$(cat "$WORK/t2.txt")"
moved=$(moves moved); left=$(flows_original lines)
expect "moved + left on the original = $N ($moved + $left)" test $((moved + left)) = "$N"
expect "some stayed on the original ($left)" test "$left" -gt 0
expect "the transition reports the agent not answering" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX events | grep -q 'agent of orig-1 left'"
expect "linesrv noticed the agent go and kept its connections" grep -q "the agent went away" "$WORK/lines-old.log"
sleep 3
touch "$WORK/lines2.stop"
wait_until 30 "line client done" sh -c "! kill -0 $CLIENT 2>/dev/null" || bad "line client did not finish"
check_lines "$WORK/lines2.json" "agent killed" \
    "set(servers) <= {('old',), ('old', 'new')} and sum(1 for c in r if c['servers'] == ['old']) == $left"
stop_aces TERM
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done   # agents and services: their exit reports
expect "no sanitizer report from the agents and services" \
    sh -c "! grep -l 'Sanitizer\|runtime error' '$WORK'/agent-*.log '$WORK'/*old.log '$WORK'/*new.log 2>/dev/null"
finish "move"
