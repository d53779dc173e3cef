#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Restarts of ACES itself on the namespace topology, with real nginx backends,
# long-lived TCP clients that time every request, and wrk:
#   1. SIGTERM and the same command line under load, 20 long-lived connections:
#      0 broken, 0 failed or stalled requests, each on the backend it started on;
#      the gap is measured (/aces/restart);
#   2. a restart in the middle of a transition: it goes on and completes;
#   3. SIGKILL and start again: the long-lived connections of the (now wholly
#      moved, so not moving) endpoint survive, adopted by their packets.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

NLONG=20

CFG=$WORK/aces-restart.json
# The client gateway is the client itself (10.10.1.2): replies of an adopted flow need
# a next hop whose MAC ACES knows (a client's own MAC is learned from its packets).
cat > "$CFG" <<EOC
{
  "interfaces": { "client": { "port": 0, "address": "10.10.1.1/24", "gateway": "10.10.1.2" },
                  "backend": { "port": 1, "address": "10.10.2.1/24" } },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.2.10" },
                                   { "name": "orig-2", "address": "10.10.2.11" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.2.20" } ] } },
  "endpoints": [
    { "name": "web", "vip": "10.10.1.100", "port": 80, "protocol": "tcp", "backend_port": 8080,
      "priority": "high" }
  ],
  "flows": { "capacity": 65536 },
  "manager": { "tick_ms": 100, "step_percent": 10, "step_interval_ms": 1500,
               "drain_timeout_ms": 60000 }
}
EOC

restart_field() { acesctl --json handover | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1'))"; }
tstate() { acesctl --json transition status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
state_is() { [ "$(tstate)" = "$1" ]; }
weight() { acesctl --json endpoint web | python3 -c 'import json,sys; print(json.load(sys.stdin)["replacement_weight"])'; }
weight_between() { local w; w=$(weight); [ "$w" -ge "$1" ] && [ "$w" -le "$2" ]; }
gap_known() { restart_field gap_ms | grep -qE '^-?[0-9]+$'; }
handover_says() { acesctl handover | grep -q "$1"; }
transition_says() { acesctl transition status | grep -q "$1"; }
events_say() { acesctl events | grep -q "$1"; }

log "topology $P"
topo_up 2
start_nginx or1 10.10.2.10 original-1
start_nginx or2 10.10.2.11 original-2
start_nginx re 10.10.2.20 replacement
start_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"
expect "fresh start: no state file" handover_says 'no state file'

# ---- 1. restart under load
timed_clients restart 12
sleep 2
stop_aces TERM
expect "SIGTERM: ACES exits 0" test "$ACES_RC" -eq 0
expect "SIGTERM wrote the state file" test -s "$WORK/aces.state"
start_aces "$CFG"
expect "the next start took the state over" handover_says 'taken over from a clean stop'
imported=$(restart_field flows_imported)
expect "at least $NLONG flows imported (got $imported)" test "${imported:-0}" -ge "$NLONG"
expect "the gap is measured" wait_until 10 "gap measured" gap_known
log "restart gap: $(restart_field gap_ms) ms; state applied in $(restart_field apply_ms) ms"
grep -E "restart gap|state written|taken over" "$WORK/aces.log" | tail -3 | while read -r l; do log "aces: $l"; done
sleep 3
finish_clients restart

# ---- 2. a restart in the middle of a transition
timed_clients midway 15
acesctl transition start > /dev/null || bad "transition start refused"
expect "transition 1 running" transition_says 'transition 1: running'
expect "the endpoint moves in steps" wait_until 20 "weight 20..80" weight_between 20 80
before=$(weight)
stop_aces TERM
# the next process has another number of workers: every flow goes to its new owner
other_workers=$(( ${ACES_WORKERS:-1} == 2 ? 1 : 2 ))
ACES_WORKERS=$other_workers start_aces "$CFG"
log "restarted with $other_workers worker(s)"
after=$(weight)
log "replacement weight before the restart $before %, after $after %"
expect "after the restart the transition still runs" state_is running
expect "the weight goes on from where it was ($before -> $after)" test "$after" -ge "$before"
expect "events continue across the restart" events_say 'transition 1 started'
imported=$(restart_field flows_imported)
expect "flows handed to a process with $other_workers worker(s): $imported imported" test "${imported:-0}" -ge "$NLONG"
sleep 2
finish_clients midway
expect "the transition completes" wait_until 60 "transition complete" state_is complete

# ---- 3. SIGKILL: the endpoint is wholly on the replacement now (not moving)
timed_clients kill 12
sleep 2
stop_aces KILL
expect "SIGKILL left the checkpoint (no flows)" test -s "$WORK/aces.state"
start_aces "$CFG"
expect "the checkpoint was taken over" handover_says 'did not stop cleanly'
expect "the transition is still complete after SIGKILL" state_is complete
sleep 3
adopted=$(acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["flows_adopted"])')
expect "the long-lived connections were adopted (flows_adopted $adopted >= $NLONG)" test "${adopted:-0}" -ge "$NLONG"
finish_clients kill

# ---- 4. a damaged state file is refused whole and kept aside; ACES starts without it
stop_aces TERM
expect "SIGTERM wrote the state file again" test -s "$WORK/aces.state"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x55; open(p, "wb").write(bytes(b))' "$WORK/aces.state"
start_aces "$CFG"
expect "a damaged state file is refused, saying why" handover_says 'refused: checksum mismatch'
expect "... and kept aside as .refused" test -s "$WORK/aces.state.refused"
expect "ACES serves without it" ip netns exec "${P}cl" curl -sf -m 5 -o /dev/null http://10.10.1.100/
stop_aces TERM
finish "restart"
