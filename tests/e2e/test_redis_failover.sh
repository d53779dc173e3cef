#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A Redis primary handed over to its replacement with its data and its clients (issue #12):
# the recipe configs/redis/aces-redis.sh as the endpoint's hooks, real redis-server on both
# backend hosts behind the agents' Redis relays, 50 long-lived writers through the VIP that
# record every acknowledged write, and redis-benchmark on new connections.
#  1. A whole transition: the replacement replicates, the original's relay is gated, the
#     replica catches up and is promoted, the writers are moved with their sessions, the
#     original Redis is shut down by the release hook: 0 acknowledged writes lost (every
#     key's value on the replacement equals its last acknowledged write), 0 errors, 0 broken.
#  2. An abort during replication: the original stays primary, 0 acknowledged writes lost.
#  3. The replacement's Redis killed during the cut-over: everything stays on the original,
#     0 acknowledged writes lost, 0 errors.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

AGENT=${AGENT:-$ACES_BUILD/app/agent/aces-agent}
N=50
SECRET=$WORK/agents.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET"
export ACES_TEST_HOSTS="10.10.2.10=${P}or1 10.10.2.20=${P}re"
HOOKENV="ACES_TEST_HOSTS='$ACES_TEST_HOSTS' ON_HOST='$ACES_ROOT/tests/e2e/on_host.sh %h' REDIS_PORT=6380 AGENT_CTL=$WORK/agent-%h.ctl AGENT_BIN=$AGENT REDIS_CATCHUP_MS=2000"
cat > "$WORK/aces.json" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "cache", "vip": "10.10.1.100", "port": 6379, "protocol": "tcp",
      "priority": "high", "statefulness": "persistent", "drain_action": "keep", "migrate": true,
      "hooks": { "replicate": "$HOOKENV $ACES_ROOT/configs/redis/aces-redis.sh replicate",
                 "release": "$HOOKENV $ACES_ROOT/configs/redis/aces-redis.sh release" } }
  ],
  "agents": { "port": 7800, "secret_file": "$SECRET" },
  "manager": { "state_timeout_ms": 30000 },
  "flows": { "capacity": 65536 }
}
EOC

# redis_host NS ADDR NAME: redis-server on the host's own address (replication runs between
# the hosts) and loopback, port 6380; the agent's Redis relay on ADDR:6379, its control socket
redis_host() {
    local ns=$1 addr=$2 name=$3
    mkdir -p "$WORK/redis-$name"
    ip netns exec "$P$ns" redis-server --port 6380 --bind "127.0.0.1 $addr" --protected-mode no \
        --save "" --appendonly no --dir "$WORK/redis-$name" --daemonize no > "$WORK/redis-$name.log" 2>&1 &
    PIDS+=($!); eval "REDIS_$name=$!"
    ip netns exec "$P$ns" "$AGENT" --port 7800 --secret-file "$SECRET" --aces 10.10.2.1 \
        --relay "$addr:6379=127.0.0.1:6380,redis" --ctl "$WORK/agent-$addr.ctl" 2>> "$WORK/agent-$name.log" &
    PIDS+=($!); eval "AGENT_$name=$!"
    wait_until 10 "redis $name" nsx "$ns" redis-cli -p 6380 ping || bad "redis $name did not start"
}
writers() {   # TAG: start the writers
    rm -f "$WORK/$1.ready" "$WORK/$1.stop"
    bg python3 "$ACES_ROOT/tests/e2e/rediswriter.py" 10.10.1.100 6379 "$N" "$STALL" \
        "$WORK/$1.ready" "$WORK/$1.stop" "$WORK/$1.json"
    WRITERS=${PIDS[-1]}
    wait_until 30 "writers" test -e "$WORK/$1.ready" || bad "$1: writers not ready"
}
# check_writes TAG NS: writers stopped; every key's value on NS's Redis is its last acknowledged
check_writes() {
    touch "$WORK/$1.stop"
    wait_until 30 "writers done" sh -c "! kill -0 $WRITERS 2>/dev/null" || bad "$1: writers did not finish"
    nsx "$2" redis-cli -p 6380 --no-raw mget $(for i in $(seq 0 $((N - 1))); do echo "k$i s$i"; done) \
        > "$WORK/$1.values" 2>&1
    python3 - "$WORK/$1.json" "$WORK/$1.values" "$N" "$1" <<'EOF' > "$WORK/$1.res"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[3]); tag = sys.argv[4]
vals = [l.split(")", 1)[1].strip().strip('"') for l in open(sys.argv[2]) if ")" in l]
def check(c, m): print(("ok: " if c else "FAIL: ") + tag + ": " + m)
broken = [c for c in r if c["failures"]]
check(len(r) == n and not broken, "%d writers, 0 errors, %d broken %s" % (len(r), len(broken),
      [c["failures"][0] for c in broken][:3]))
lost = [i for i in range(n) if len(vals) != 2 * n or int(vals[2 * i] or 0) < r[i]["incr"] or
        int(vals[2 * i + 1] or 0) < r[i]["set"]]
check(not lost, "0 acknowledged writes lost: every INCR and SET acknowledged is there (%d writes; "
      "lost on %s)" % (sum(c["requests"] for c in r) * 2, lost[:5]))
slow = max(r, key=lambda c: c["max_s"])
import time as _t
print("info: %s: %d writes acknowledged, slowest %.3f s (at %s)" % (tag, sum(c["requests"] for c in r) * 2,
      slow["max_s"], _t.strftime("%H:%M:%S", _t.localtime(slow["max_at"])) + ("%.3f" % (slow["max_at"] % 1))[1:]))
EOF
    grep '^info' "$WORK/$1.res" | while read -r l; do log "${l#info: }"; done
    grep -v '^info' "$WORK/$1.res" > "$WORK/$1.txt"
    results_from "$WORK/$1.txt"
}
phase() { acesctl --json endpoint cache | python3 -c 'import json,sys; print(json.load(sys.stdin)["phase"])'; }

log "topology $P"
topo_up 1
redis_host or1 10.10.2.10 old
redis_host re 10.10.2.20 new
start_aces "$WORK/aces.json"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

# ---- 1. the whole handover ----
writers w1
bg redis-benchmark -h 10.10.1.100 -p 6379 -c 4 -n 40000 -t set,get,incr -q > "$WORK/bench.txt" 2>&1
BENCH=${PIDS[-1]}
sleep 1
acesctl transition start > /dev/null
expect "the transition completes" wait_until 60 "complete" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX transition status | grep -q ': complete'"
acesctl events | grep -E "cache|redis" | tail -6 | while read -r l; do log "event: $l"; done
expect "the release hook shut the original's Redis down" \
    wait_until 10 "original down" sh -c "! ip netns exec ${P}or1 redis-cli -p 6380 ping >/dev/null 2>&1"
sleep 2
expect "every writer is connected to the replacement's Redis" \
    sh -c "test \$(ip netns exec ${P}re redis-cli -p 6380 client list | grep -c 'cmd=set\|cmd=incr') -ge $N"
log "the original's agent: $(grep 'last connection left' "$WORK/agent-old.log" | tail -1)"
check_writes w1 re
wait_until 60 "redis-benchmark" sh -c "! kill -0 $BENCH 2>/dev/null" || bad "redis-benchmark did not finish"
expect "redis-benchmark on new connections: no error" \
    sh -c "grep -q 'requests per second' '$WORK/bench.txt' && ! grep -qi 'error' '$WORK/bench.txt'"
log "redis-benchmark: $(tr '\r' '\n' < "$WORK/bench.txt" | grep 'per second' | tr '\n' ' ')"
# fresh_all: new, empty Redis servers and agents on both hosts, a new ACES (nothing taken over)
fresh_all() {
    local v
    for v in REDIS_old REDIS_new AGENT_old AGENT_new; do stop_pid "${!v}"; done
    rm -rf "$WORK/redis-old" "$WORK/redis-new"
    redis_host or1 10.10.2.10 old
    redis_host re 10.10.2.20 new
    fresh_aces "$WORK/aces.json"
    wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"
    wait_until 30 "both backends up" sh -c "\"$ACESCTL\" -f $ACES_PREFIX backends | grep -c ' up ' | grep -qx 2"
}

# ---- 2. an abort during replication ----
fresh_all
nsx or1 redis-cli -p 6380 debug populate 1500000 pre > /dev/null   # a sync that takes a while
writers w2
acesctl transition start > /dev/null
wait_until 10 "replicating" sh -c "test \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json endpoint cache | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"phase\"])')\" = replicating"
sleep 0.3
acesctl transition abort > /dev/null
expect "abort during replication: back on the original" wait_until 20 "original" sh -c "test \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json endpoint cache | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"phase\"])')\" = original"
expect "the replacement was detached from the original (the hook cleaned up)" \
    wait_until 10 "detached" sh -c "ip netns exec ${P}re redis-cli -p 6380 info replication | grep -q 'role:master'"
sleep 2
check_writes w2 or1

# ---- 3. the replacement's Redis killed during the cut-over ----
# the fault comes at the worst moment: right after the original's relay is gated (the
# recipe's AGENT_BIN is a wrapper that kills the replacement's Redis then)
fresh_all
cat > "$WORK/gate-then-kill.sh" <<EOW
#!/bin/sh
"$AGENT" "\$@"; rc=\$?
if [ "\$3" = gate ]; then kill -KILL \$(cat "$WORK/redis-new.pid"); fi
exit \$rc
EOW
chmod +x "$WORK/gate-then-kill.sh"
echo "$REDIS_new" > "$WORK/redis-new.pid"
sed "s|AGENT_BIN=$AGENT|AGENT_BIN=$WORK/gate-then-kill.sh|g" "$WORK/aces.json" > "$WORK/aces-3.json"
fresh_aces "$WORK/aces-3.json"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"
wait_until 30 "both backends up" sh -c "\"$ACESCTL\" -f $ACES_PREFIX backends | grep -c ' up ' | grep -qx 2"
nsx or1 redis-cli -p 6380 debug populate 200000 pre > /dev/null
writers w3
acesctl transition start > /dev/null
expect "the handover fails: everything stays on the original" wait_until 30 "failed" sh -c "test \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json endpoint cache | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"phase\"])')\" = failed"
acesctl events | grep "replicate hook exited" | tail -1 | while read -r l; do log "event: $l"; done
sleep 2
expect "the replacement's Redis was killed right after the gate" sh -c "! kill -0 $REDIS_new 2>/dev/null"
check_writes w3 or1
acesctl transition abort > /dev/null

stop_aces TERM
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
expect "no sanitizer report from the agents" \
    sh -c "! grep -l 'Sanitizer\|runtime error' '$WORK'/agent-*.log 2>/dev/null"
finish "redis-failover"
