#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Redis connections moved live with their sessions (issue #12, first step): real
# redis-server on both backend hosts behind the agent's relay in Redis mode (--relay
# ...,redis), which follows each connection's session (SELECT, CLIENT SETNAME, SUBSCRIBE)
# and counts its replies: a connection moves once every command has its reply, and the
# replacement's agent replays the session on its fresh upstream before the client's next
# command. 20 clients with their own database and name, and a subscriber, through the VIP;
# a transition moves them all: every client keeps its database and name, is answered by
# the original's Redis and then only by the replacement's, 0 errors, 0 broken; the
# subscriber gets what is published on the replacement afterwards.
# (The data itself is not replicated here: that is the recipe still to come.)
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

AGENT=${AGENT:-$ACES_BUILD/app/agent/aces-agent}
N=20
SECRET=$WORK/agents.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET"
cat > "$WORK/aces.json" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "cache", "vip": "10.10.1.100", "port": 6379, "protocol": "tcp",
      "priority": "high", "statefulness": "session", "migrate": true,
      "hooks": { "replicate": "true" } }
  ],
  "agents": { "port": 7800, "secret_file": "$SECRET" },
  "flows": { "capacity": 65536 }
}
EOC

# redis_host NS ADDR NAME: redis-server on the host's loopback, the agent's Redis relay
redis_host() {
    local ns=$1 addr=$2 name=$3
    mkdir -p "$WORK/redis-$name"
    ip netns exec "$P$ns" redis-server --port 6380 --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$WORK/redis-$name" --daemonize no > "$WORK/redis-$name.log" 2>&1 &
    PIDS+=($!)
    ip netns exec "$P$ns" "$AGENT" --port 7800 --secret-file "$SECRET" --aces 10.10.2.1 \
        --relay "$addr:6379=127.0.0.1:6380,redis" 2> "$WORK/agent-$name.log" &
    PIDS+=($!); eval "AGENT_$name=$!"
    wait_until 10 "redis $name" nsx "$ns" redis-cli -p 6380 ping || bad "redis $name did not start"
}
run_id() { nsx "$1" redis-cli -p 6380 info server | sed -n 's/^run_id:\([0-9a-f]*\).*/\1/p'; }

log "topology $P"
topo_up 1
redis_host or1 10.10.2.10 old
redis_host re 10.10.2.20 new
OLD_ID=$(run_id or1); NEW_ID=$(run_id re)
start_aces "$WORK/aces.json"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

bg python3 "$ACES_ROOT/tests/e2e/redisclient.py" 10.10.1.100 6379 "$N" "$STALL" \
    "$WORK/r.ready" "$WORK/r.stop" "$WORK/r.json"
CLIENT=${PIDS[-1]}
expect "$N Redis clients and a subscriber connected" wait_until 30 "clients" test -e "$WORK/r.ready"
sleep 1
nsx or1 redis-cli -p 6380 publish news before > /dev/null
acesctl transition start > /dev/null
expect "every connection moved, the endpoint released" wait_until 60 "released" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX transition status | grep -q ': complete'"
acesctl transition status > "$WORK/t.txt"; log "$(cat "$WORK/t.txt")"
expect "$((N + 1)) moved, none failed" sh -c "test \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json transition status | python3 -c 'import json,sys; m=json.load(sys.stdin)[\"moves\"]; print(m[\"moved\"], m[\"failed\"] + m[\"timed_out\"])')\" = '$((N + 1)) 0'"
sleep 1
nsx re redis-cli -p 6380 publish news after > /dev/null
expect "the replacement's Redis has the moved clients with their names" \
    sh -c "ip netns exec ${P}re redis-cli -p 6380 client list | grep -c 'name=c[0-9]' | grep -qx $N"
sleep 2
touch "$WORK/r.stop"
wait_until 30 "clients done" sh -c "! kill -0 $CLIENT 2>/dev/null" || bad "clients did not finish"
python3 - "$WORK/r.json" "$N" "$OLD_ID" "$NEW_ID" <<'EOF' > "$WORK/check.res"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); old, new = sys.argv[3], sys.argv[4]
def check(c, m): print(("ok: " if c else "FAIL: ") + m)
conns = r["conns"]
broken = [c for c in conns if c["failures"]]
check(len(conns) == n and not broken, "%d clients kept their database and name, 0 errors, %d broken %s"
      % (len(conns), len(broken), [c["failures"][0] for c in broken][:3]))
check(all(c["servers"] == [old, new] for c in conns), "every client answered by the original's Redis, "
      "then only by the replacement's (%d of %d)" % (sum(c["servers"] == [old, new] for c in conns), n))
check(min(c["requests"] for c in conns) >= 20, "every client went on after the move (fewest %d requests)"
      % min(c["requests"] for c in conns))
s = r["subscriber"]
check(not s["failures"] and s["messages"] == ["before", "after"],
      "the subscriber got what was published before (original) and after (replacement) the move: %s %s"
      % (s["messages"], s["failures"]))
print("info: slowest request %.3f s" % max(c["max_s"] for c in conns))
EOF
grep '^info' "$WORK/check.res" | while read -r l; do log "${l#info: }"; done
grep -v '^info' "$WORK/check.res" > "$WORK/check.txt"
results_from "$WORK/check.txt"
stop_aces TERM
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
expect "no sanitizer report from the agents" \
    sh -c "! grep -l 'Sanitizer\|runtime error' '$WORK'/agent-*.log 2>/dev/null"
finish "redis"
