#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Established connections moved live by the manager (issue #11), relay mode: 200
# long-lived connections to a persistent endpoint whose backends run an unmodified line
# service behind the backend agent's relay (tools/linesrv without --agent: it knows
# nothing of moves). The transition's MOVING phase asks the original's agent, over the
# authenticated channel, to hand each connection at a quiet point to the replacement's
# agent, which opens a fresh upstream to its own service; ACES re-points each flow. Every
# connection goes on and is answered by the replacement after its move; none is left on
# the original, which is then released; its service and agent are stopped and all 200
# connections still work. A MOVE with a made-up secret, or a recorded one sent late, is
# refused by the agent and moves nothing.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

LINESRV=${LINESRV:-$ACES_BUILD/tools/linesrv/linesrv}
AGENT=${AGENT:-$ACES_BUILD/app/agent/aces-agent}
N=${NMIG:-200}
CFG=$WORK/aces-migrate.json
SECRET=$WORK/agents.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET"
cat > "$CFG" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "lines", "vip": "10.10.1.100", "port": 7000, "protocol": "tcp",
      "backend_port": 7000, "priority": "high", "statefulness": "persistent",
      "drain_action": "keep", "migrate": true,
      "hooks": { "replicate": "true", "release": "touch $WORK/released" } }
  ],
  "agents": { "port": 7800, "secret_file": "$SECRET", "concurrency": 32, "moves_per_s": 400 },
  "flows": { "capacity": 65536 }
}
EOC

log "topology $P"
topo_up 1
# the unmodified service on each host's loopback, the agent's relay in front of it
ip netns exec "${P}or1" "$LINESRV" --listen 127.0.0.1:7001 --name old 2> "$WORK/old.log" &
OLD=$!; PIDS+=("$OLD")
ip netns exec "${P}re" "$LINESRV" --listen 127.0.0.1:7001 --name new 2> "$WORK/new.log" &
NEW=$!; PIDS+=("$NEW")
ip netns exec "${P}or1" "$AGENT" --port 7800 --secret-file "$SECRET" \
    --relay 10.10.2.10:7000=127.0.0.1:7001 ${AGENT_V:-} 2> "$WORK/agent-old.log" &
AOLD=$!; PIDS+=("$AOLD")
ip netns exec "${P}re" "$AGENT" --port 7800 --secret-file "$SECRET" \
    --relay 10.10.2.20:7000=127.0.0.1:7001 ${AGENT_V:-} 2> "$WORK/agent-new.log" &
ANEW=$!; PIDS+=("$ANEW")
wait_until 10 "agents ready" sh -c "grep -q ready '$WORK/agent-old.log' && grep -q ready '$WORK/agent-new.log'" ||
    bad "agents did not start: $(cat "$WORK"/agent-*.log)"
start_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

bg python3 "$ACES_ROOT/tests/e2e/lineclient.py" 10.10.1.100 7000 "$N" "$STALL" \
    "$WORK/ports" "$WORK/lines.stop" "$WORK/lines.json" fresh
CLIENT=${PIDS[-1]}
expect "$N long-lived connections open" wait_until 60 "connections" test -s "$WORK/ports"
sleep 1
one=$(head -1 "$WORK/ports")

# not authentic: refused by the agent, nothing moves
forged=$(nsx re python3 "$ACES_ROOT/tests/e2e/agentmsg.py" 10.10.2.10 7800 - 0 \
    10.10.2.10:7000 "10.10.1.2:$one" 10.10.2.20)
stale=$(nsx re python3 "$ACES_ROOT/tests/e2e/agentmsg.py" 10.10.2.10 7800 "$SECRET" 60000 \
    10.10.2.10:7000 "10.10.1.2:$one" 10.10.2.20)
expect "a MOVE with a made-up secret gets no answer ($forged)" test "$forged" = "no answer"
expect "a MOVE 60 s old gets no answer ($stale)" test "$stale" = "no answer"
expect "the agent logged both refusals" \
    sh -c "grep -q 'bad MAC' '$WORK/agent-old.log' && grep -q 'stale or replayed' '$WORK/agent-old.log'"
expect "the connection is still on the original" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX flow lines 10.10.1.2:$one | grep -q 'backend orig-1'"

t0=$(date +%s%N)
acesctl transition start > /dev/null
moved_all() { acesctl --json endpoint lines | python3 -c 'import json,sys; e=json.load(sys.stdin)
sys.exit(not (e["phase"] == "released" and e["flows_original"] == 0))'; }
expect "every connection moved, the original released" wait_until 90 "released" moved_all
t1=$(date +%s%N)
acesctl --json transition status > "$WORK/transition.json"
acesctl transition status > "$WORK/transition.txt"; log "$(cat "$WORK/transition.txt")"
python3 - "$WORK/transition.json" "$N" "$(( (t1 - t0) / 1000000 ))" <<'PYEOF' > "$WORK/check-mv.txt"
import json, sys
m = json.load(open(sys.argv[1]))["moves"]; n = int(sys.argv[2])
def check(c, msg): print(("ok: " if c else "FAIL: ") + msg)
check(m["moved"] == n and m["failed"] == 0 and m["timed_out"] == 0,
      "the transition moved %d of %d, %d failed, %d timed out (%s)" % (m["moved"], n, m["failed"],
      m["timed_out"], m["last_error"]))
check(m["freeze_samples"] == n, "a freeze time for each move (%d)" % m["freeze_samples"])
print("info: %d moves in %.1f s (start to released); freeze p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (n, int(sys.argv[3]) / 1000.0, m["freeze_p50_us"] / 1e3, m["freeze_p99_us"] / 1e3,
         m["freeze_max_us"] / 1e3))
PYEOF
grep '^info' "$WORK/check-mv.txt" | while read -r l; do log "${l#info: }"; done
grep -v '^info' "$WORK/check-mv.txt" > "$WORK/check-mv.res"; results_from "$WORK/check-mv.res"
log "held flows: $(acesctl --json stats | python3 -c 'import json,sys; d=json.load(sys.stdin)
print("%d packets dropped, %d data segments passed as bare ACKs" % (d["drops"]["flow_held"], d["held_data_stripped"]))')"
expect "the release hook ran" wait_until 10 "release hook" test -e "$WORK/released"
expect "the flow points at the replacement" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX flow lines 10.10.1.2:$one | grep -q 'backend repl-1 (replacement)'"
expect "the events tell of the moving phase" sh -c "\"$ACESCTL\" -f $ACES_PREFIX events | grep -q 'moving the $N flows'"
sleep 2
# the original's service and agent go: the moved connections need neither
stop_pid "$AOLD"; stop_pid "$OLD"
expect "the original's agent moved $N out" grep -q "moved out $N (failed 0)" "$WORK/agent-old.log"
sleep 3
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
check(min(c["lines"] for c in r) >= 40, "every connection went on after the move and after the "
      "original's service and agent stopped (fewest lines %d)" % min(c["lines"] for c in r))
print("info: slowest answer %.3f s" % max(c["max_s"] for c in r))
EOF
grep '^info' "$WORK/check.res" | while read -r l; do log "${l#info: }"; done
grep -v '^info' "$WORK/check.res" > "$WORK/check.txt"
results_from "$WORK/check.txt"
stop_aces TERM
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done   # agents and services: their exit reports
expect "no sanitizer report from the agents and services" \
    sh -c "! grep -l 'Sanitizer\|runtime error' '$WORK'/agent-*.log '$WORK'/*old.log '$WORK'/*new.log 2>/dev/null"
finish "migrate"
