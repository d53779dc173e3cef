#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end transitions driven by the Endpoint Manager: six endpoints (critical,
# two high with a dependency, medium, low, persistent with a replicate hook and
# drain reset), real nginx backends, wrk and Python clients through the VIPs for
# the whole run, started with SIGUSR2; then a second run aborted half way.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

tstate() { acesctl --json transition status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
state_is() { [ "$(tstate)" = "$1" ]; }

CFG=$WORK/transition.json
cat > "$CFG" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "crit", "vip": "10.10.1.100", "port": 81, "protocol": "tcp", "backend_port": 8081,
      "priority": "critical" },
    { "name": "hi1",  "vip": "10.10.1.100", "port": 82, "protocol": "tcp", "backend_port": 8082,
      "priority": "high" },
    { "name": "hi2",  "vip": "10.10.1.100", "port": 83, "protocol": "tcp", "backend_port": 8083,
      "priority": "high", "depends_on": ["crit"] },
    { "name": "med",  "vip": "10.10.1.100", "port": 84, "protocol": "tcp", "backend_port": 8084,
      "priority": "medium" },
    { "name": "low",  "vip": "10.10.1.100", "port": 85, "protocol": "tcp", "backend_port": 8085,
      "priority": "low" },
    { "name": "pers", "vip": "10.10.1.100", "port": 86, "protocol": "tcp", "backend_port": 8086,
      "priority": "high", "statefulness": "persistent", "drain_action": "reset",
      "drain_timeout_ms": 3000,
      "hooks": { "replicate": "sleep 2; echo replicated \$ACES_ENDPOINT to \$ACES_REPLACEMENT",
                 "release": "echo released \$ACES_ENDPOINT" } }
  ],
  "flows": { "capacity": 262144 },
  "manager": { "tick_ms": 100, "step_percent": 25, "step_interval_ms": 1000,
               "low_activity_pps": 50, "low_activity_window_ms": 1000, "max_wait_ms": 6000,
               "state_timeout_ms": 20000, "drain_timeout_ms": 3000 }
}
EOC

log "topology $P"
topo_up 1
# one backend port per endpoint: two VIP ports on one backend port would give the
# backend two connections with the same 4-tuple whenever a client reuses a port
start_nginx or1 10.10.2.10 original 8081 8082 8083 8084 8085 8086
start_nginx re 10.10.2.20 replacement 8081 8082 8083 8084 8085 8086
start_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"
expect "transition idle at start" state_is idle

# ---- 1. a whole transition under load, started with SIGUSR2
for p in 81 82 83 85; do
    bg wrk -t1 -c2 -d20s "http://10.10.1.100:$p/" > "$WORK/wrk-$p.txt" 2>&1
done
bg python3 "$HTTPCLIENT" multi 10.10.1.100 20 "$WORK/multi.json" 81 82 83 85 86
MULTI=${PIDS[-1]}
bg python3 "$HTTPCLIENT" persist 10.10.1.100 86 8 24 "$WORK/persist.ready" "$WORK/persist.json"
PERSIST=${PIDS[-1]}
wait_until 20 "persistent connections open" test -e "$WORK/persist.ready" || bad "persist client not ready"
sleep 2
kill -USR2 "$ACES_PID"
expect "SIGUSR2 starts the transition" wait_until 5 "transition running" state_is running
expect "the transition completes (after the keep-alive load ends)" \
    wait_until 90 "transition complete" state_is complete
wait "$PERSIST"
wait "$MULTI"
acesctl endpoints
acesctl --json events > "$WORK/events.json"
acesctl events | sed 's/^/    /'

python3 - "$WORK/events.json" "$WORK/persist.json" "$WORK/multi.json" > "$WORK/checks.txt" <<'PY'
import datetime, json, sys
events = json.load(open(sys.argv[1]))
persist = json.load(open(sys.argv[2]))
multi = json.load(open(sys.argv[3]))

def wall(e):
    return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()

def first(ep, pred=lambda e: True):
    for e in events:
        if e["endpoint"] == ep and pred(e):
            return e
    return None

moves = lambda e: e["to"] not in ("waiting", "original") and e["from"] != e["to"] or e["weight"] > 0
res = []
def check(cond, what):
    res.append(("ok" if cond else "FAIL") + ": " + what)

crit = first("crit", lambda e: e["to"] == "draining")
check(crit is not None and crit["weight"] == 100, "critical stateless endpoint moved at once to 100 %")
others = [first(n, moves) for n in ("hi1", "hi2", "med", "low", "pers")]
check(crit is not None and all(o is not None and o["id"] > crit["id"] for o in others),
      "critical first: its move precedes every other endpoint's first move")
hi2 = first("hi2", moves)
check(hi2 is not None and crit is not None and hi2["id"] > crit["id"],
      "hi2 moves only after its dependency crit carries 100 %")
check(first("hi2", lambda e: "waits for its dependency crit" in e["reason"]) is not None or
      hi2["id"] > crit["id"], "hi2's dependency is respected")
for h in ("hi1", "hi2"):
    ws = [e["weight"] for e in events if e["endpoint"] == h and e["to"] in ("migrating", "draining")]
    check(ws[:4] == [25, 50, 75, 100], "%s moved through intermediate weights %s" % (h, ws))
med = first("med", lambda e: e["to"] == "draining")
check(med is not None and "low activity" in med["reason"], "medium endpoint moved when idle: %s" % (med or {}).get("reason"))
low = first("low", lambda e: e["to"] == "migrating")
check(low is not None and "max_wait 6000 ms reached" in low["reason"], "busy low endpoint moved after max_wait: %s" % (low or {}).get("reason"))
lowsteps = [e["weight"] for e in events if e["endpoint"] == "low" and e["to"] in ("migrating", "draining")]
check(lowsteps[-1:] == [100] and len(lowsteps) >= 3, "low endpoint migrated progressively %s" % lowsteps)
seq = [e["to"] for e in events if e["endpoint"] == "pers" and e["from"] != e["to"]]
check(seq == ["replicating", "cutover", "draining", "released"], "persistent endpoint phases %s" % seq)
rep = first("pers", lambda e: e["to"] == "cutover")
check(rep is not None and "replicate hook exited 0 (replicated pers to 10.10.2.20)" in rep["reason"],
      "replicate hook's exit status and output are in the event: %s" % (rep or {}).get("reason"))
reset = first("pers", lambda e: "resetting" in e["reason"])
check(reset is not None, "drain timeout reset the persistent endpoint's lingering flows")
complete = [e for e in events if e["endpoint"] == "-" and e["to"] == "complete"]
check(len(complete) == 1, "one 'transition complete' event")
# long-lived persistent connections: completed, or reset only by the drain step
n = persist["completed"] + len(persist["resets"])
check(n == 8 and not persist["errors"], "8 long-lived connections: %d completed, %d reset, errors %s"
      % (persist["completed"], len(persist["resets"]), persist["errors"][:2]))
if reset is not None:
    early = [r for r in persist["resets"] if r[1] < wall(reset) - 0.05]
    check(not early, "no connection was reset before the drain step (%d early)" % len(early))
check(persist["before"] == {"original": 8}, "long-lived connections started on the original")
check(set(persist["answers"]) <= {"original"}, "long-lived connections stayed on the original until reset: %s" % persist["answers"])
for port, r in sorted(multi.items()):
    check(not r["failures"], "new connections to :%s: 0 failed (%s) %s" % (port, r["answers"], r["failures"][:2]))
    check(r["answers"].get("replacement", 0) > 0 and r["answers"].get("original", 0) > 0,
          "new connections to :%s were served by both sides during the move" % port)
print("\n".join(l for l in res if l.split(": ", 1)[1]))
PY
results_from "$WORK/checks.txt"
for p in 81 82 83 85; do expect "wrk on :$p: 0 errors during the transition" wrk_check "$WORK/wrk-$p.txt"; done
for p in 81 82 83 84 85 86; do
    expect "after completion :$p is served by the replacement" \
        [ "$(nsx cl curl -s -m 5 "http://10.10.1.100:$p/")" = replacement ]
done
out=$(acesctl transition start 2>&1); rc=$?
expect "a completed transition cannot start again ($out)" [ $rc -eq 1 ]
expect "no flow_tuple_conflict drops" [ "$(acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"]["flow_tuple_conflict"])')" = 0 ]
log "drops: $(acesctl --json stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k:v for k,v in d["drops"].items() if v}, "rst_sent", d["rst_sent"], "tmsg dropped", d["telemetry_records_dropped"])')"

# ---- 2. start, then abort half way: everything back on the original
fresh_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved (2)"
for p in 81 82; do
    bg wrk -t1 -c2 -d12s "http://10.10.1.100:$p/" > "$WORK/wrk2-$p.txt" 2>&1
done
bg python3 "$HTTPCLIENT" multi 10.10.1.100 12 "$WORK/multi2.json" 81 82 83 85 86
MULTI2=${PIDS[-1]}
sleep 1
expect "transition start over telemetry" acesctl transition start
expect "half way: hi1 between original and replacement" \
    wait_until 10 "hi1 at 50 %" sh -c "\"$ACESCTL\" -f $ACES_PREFIX --json endpoint hi1 | grep -q '\"replacement_weight\": 50'"
expect "abort over telemetry" acesctl transition abort
expect "transition aborted" state_is aborted
weights=$(acesctl --json endpoints | python3 -c 'import json,sys; print(" ".join("%s=%s" % (e["name"], e["replacement_weight"]) for e in json.load(sys.stdin)))')
expect "every endpoint's new flows back on the original at once ($weights)" \
    [ "$weights" = "crit=0 hi1=0 hi2=0 med=0 low=0 pers=0" ]
wait "$MULTI2"
expect "after the abort every endpoint returns to phase original" wait_until 40 "all original" \
    sh -c "\"$ACESCTL\" -f $ACES_PREFIX --json endpoints | python3 -c 'import json,sys; sys.exit(0 if all(e[\"phase\"] == \"original\" for e in json.load(sys.stdin)) else 1)'"
for p in 81 82; do expect "wrk on :$p: 0 errors across start and abort" wrk_check "$WORK/wrk2-$p.txt"; done
fails=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r["failures"]) for r in d.values()))' "$WORK/multi2.json")
expect "new connections across start and abort: 0 failed" [ "$fails" = 0 ]
for p in 81 82 83 84 85 86; do
    expect "after the abort :$p is served by the original" \
        [ "$(nsx cl curl -s -m 5 "http://10.10.1.100:$p/")" = original ]
done
acesctl events | sed 's/^/    /' | tail -25
expect "aces still running" kill -0 "$ACES_PID"

finish transition
