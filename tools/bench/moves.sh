#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark of moving established connections (issue #11): N long-lived connections (one
# request a second each, every request timed by tests/e2e/manyclient.py) on the original,
# a transition whose moving phase moves them all to the replacement; reports moves per
# second (the run of moves: first started to last ended, as ACES counts it), the freeze
# per move (hold to release) p50/p99/max, and what the clients saw (latency p99/max,
# broken connections). Both ways an application can take part: the agent's relay in front
# of an unmodified linesrv, and linesrv cooperating through the agent's Unix socket; for
# each agents.concurrency given. On the e2e namespace topology (tests/e2e/lib.sh), as root.
#
#   tools/bench/moves.sh [--smoke] [--conns N] [--concurrency "8 32 128"] [--modes "relay coop"]
#                        [--out FILE]
# --smoke: 100 connections, concurrency 32, both modes (CI keeps it working).
# Writes the results to build/bench/moves.json (or --out). Exit status 1 when a run failed
# (a connection broken, a move failed, the transition not complete).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

CONNS=1000 CONCS="32 128" MODES="relay coop" OUT=$ACES_BUILD/bench/moves.json
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) CONNS=100 CONCS=32 ;;
        --conns) CONNS=$2; shift ;;
        --concurrency) CONCS=$2; shift ;;
        --modes) MODES=$2; shift ;;
        --out) OUT=$2; shift ;;
        *) echo "usage: $0 [--smoke] [--conns N] [--concurrency LIST] [--modes LIST] [--out FILE]" >&2; exit 2 ;;
    esac
    shift
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null   # sockets: clients, services, agents
LINESRV=${LINESRV:-$ACES_BUILD/tools/linesrv/linesrv}
AGENT=${AGENT:-$ACES_BUILD/app/agent/aces-agent}
SECRET=$WORK/agents.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET"
mkdir -p "$(dirname "$OUT")"

# services MODE NS ADDR NAME: the agent and linesrv of one backend host; their PIDs in SVC
services() {
    local mode=$1 ns=$2 addr=$3 name=$4
    if [ "$mode" = relay ]; then
        ip netns exec "$P$ns" "$LINESRV" --listen 127.0.0.1:7001 --name "$name" 2>> "$WORK/lines-$name.log" &
        SVC+=($!); PIDS+=($!)
        ip netns exec "$P$ns" "$AGENT" --port 7800 --secret-file "$SECRET" --aces 10.10.2.1 \
            --relay "$addr:7000=127.0.0.1:7001" 2>> "$WORK/agent-$name.log" &
        SVC+=($!); PIDS+=($!)
    else
        ip netns exec "$P$ns" "$AGENT" --port 7800 --secret-file "$SECRET" --aces 10.10.2.1 \
            --unix "$WORK/agent-$name.sock" 2>> "$WORK/agent-$name.log" &
        SVC+=($!); PIDS+=($!)
        wait_until 10 "agent $name" test -S "$WORK/agent-$name.sock" || return 1
        ip netns exec "$P$ns" "$LINESRV" --listen "$addr:7000" --name "$name" \
            --agent "$WORK/agent-$name.sock" 2>> "$WORK/lines-$name.log" &
        SVC+=($!); PIDS+=($!)
    fi
}

log "topology $P: $CONNS connections, modes: $MODES, concurrency: $CONCS"
topo_up 1
echo "[]" > "$OUT"
bad_runs=0
for mode in $MODES; do
    for conc in $CONCS; do
        SVC=()
        rm -f "$WORK"/agent-*.sock
        services "$mode" or1 10.10.2.10 old && services "$mode" re 10.10.2.20 new || { bad_runs=$((bad_runs + 1)); continue; }
        cat > "$WORK/aces.json" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "lines", "vip": "10.10.1.100", "port": 7000, "protocol": "tcp", "backend_port": 7000,
      "priority": "high", "statefulness": "session", "migrate": true, "hooks": { "replicate": "true" } }
  ],
  "agents": { "port": 7800, "secret_file": "$SECRET", "concurrency": $conc, "moves_per_s": 100000 },
  "flows": { "capacity": 65536 }
}
EOC
        rm -f "$WORK/aces.state"
        start_aces "$WORK/aces.json"
        wait_until 15 "backends resolved" backends_resolved || log "backends not resolved"
        wait_until 30 "both backends up" sh -c "\"$ACESCTL\" -f $ACES_PREFIX --json backends | python3 -c 'import json,sys
v = json.load(sys.stdin); sys.exit(not all(b[\"state\"] == \"up\" for b in v.values() if isinstance(b, dict)))'" ||
            log "$mode-$conc: a backend is not up: $(acesctl backends)"
        tag="$mode-$conc"
        rm -f "$WORK/$tag.ready" "$WORK/$tag.stop"
        ip netns exec "${P}cl" python3 "$ACES_ROOT/tests/e2e/manyclient.py" 10.10.1.100 7000 "$CONNS" 1 \
            "$STALL" "$WORK/$tag.ready" "$WORK/$tag.stop" "$WORK/$tag.json" 2> "$WORK/$tag.err" &
        CL=$!; PIDS+=($CL)
        wait_until 60 "$CONNS connections" test -e "$WORK/$tag.ready" || log "$tag: clients not connected: $(tail -3 "$WORK/$tag.err")"
        sleep 2
        acesctl transition start > /dev/null
        wait_until 120 "transition complete" sh -c "\"$ACESCTL\" -f $ACES_PREFIX transition status | grep -q ': complete'" ||
            log "$tag: transition not complete: $(acesctl transition status)"
        acesctl --json transition status > "$WORK/$tag.t.json"
        sleep 2
        touch "$WORK/$tag.stop"
        wait_until 30 "client done" sh -c "! kill -0 $CL 2>/dev/null" || log "$tag: client did not finish"
        python3 - "$WORK/$tag.t.json" "$WORK/$tag.json" "$OUT" "$mode" "$conc" "$CONNS" <<'EOF' || bad_runs=$((bad_runs + 1))
import json, sys
t = json.load(open(sys.argv[1])); mv = t["moves"]
try:
    c = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    c = {"failed": ["no client result"], "latency_ms": {}, "servers": {}, "connections": 0}
mode, conc, n = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
r = {"mode": mode, "concurrency": conc, "connections": n, "transition": t["state"],
     "moved": mv["moved"], "failed": mv["failed"] + mv["timed_out"], "moves_per_s": mv["moves_per_s"],
     "moving_ms": mv["moving_ms"], "freeze_ms": {k: mv["freeze_%s_us" % k] / 1000.0 for k in ("p50", "p99", "max")},
     "client_latency_ms": c["latency_ms"], "broken": len(c["failed"]), "broken_examples": c["failed"][:3],
     "servers": c["servers"]}
allr = json.load(open(sys.argv[3])); allr.append(r)
json.dump(allr, open(sys.argv[3], "w"), indent=1)
ok = r["transition"] == "complete" and r["moved"] == n and r["failed"] == 0 and r["broken"] == 0 \
    and r["servers"] == {"old,new": n}
print("%-6s concurrency %4d: %d/%d moved in %.2f s = %d moves/s; freeze p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
      "clients: p99 %s ms, max %s ms, %d broken%s" % (mode, conc, r["moved"], n, r["moving_ms"] / 1000.0,
      r["moves_per_s"], r["freeze_ms"]["p50"], r["freeze_ms"]["p99"], r["freeze_ms"]["max"],
      c["latency_ms"].get("p99"), c["latency_ms"].get("max"), r["broken"], "" if ok else "  <- FAILED %s %s" % (r["broken_examples"], r["servers"])))
sys.exit(0 if ok else 1)
EOF
        stop_pid "$ACES_PID"
        for pid in "${SVC[@]}"; do stop_pid "$pid"; done
    done
done
log "results in $OUT"
[ "$bad_runs" -eq 0 ]
