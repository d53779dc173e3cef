#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live demo: install what is missing, build, then move a real HTTP service
# from its ORIGINAL to its REPLACEMENT while clients keep using it: first by
# hand, then by the Endpoint Manager's transition.
#
# Topology (network namespaces on this machine; nothing leaves it):
#   client 10.10.1.2 --veth-- [ ACES on net_af_packet ] --veth-- bridge -- nginx "original"    10.10.2.10
#                       VIP 10.10.1.100:80 / :53                       \-- nginx "replacement" 10.10.2.20
# Everything is removed on exit, Ctrl-C included.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/tools/setup.sh" build

set +e
source "$ROOT/tests/e2e/lib.sh"
trap topo_down EXIT
trap 'echo; log "interrupted"; exit 130' INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Topology: client, ACES, original and replacement nginx in namespaces ($P)"
topo_up 1
start_nginx or1 10.10.2.10 original
start_nginx re 10.10.2.20 replacement
start_udp_echo or1 10.10.2.10 original
start_udp_echo re 10.10.2.20 replacement
start_aces "$ROOT/configs/demo.json"
wait_until 15 "backends resolved" backends_resolved || { acesctl backends; exit 1; }
acesctl info
echo
acesctl backends

# the transition's picture: sampled every second from here until it is complete
TIMELINE=${DEMO_TIMELINE:-$ROOT/build/demo-timeline.svg}
"$ACESCTL" -f "$ACES_PREFIX" timeline --out "$TIMELINE" --until-done --seconds 120 > "$WORK/timeline.out" 2>&1 &
TIMELINE_PID=$!
PIDS+=("$TIMELINE_PID")

step "2. Clients use the service through the VIP: new connections and 20 long-lived ones"
ip netns exec "${P}cl" python3 "$ROOT/tests/e2e/httpclient.py" traffic 10.10.1.100 80 16 20 "$WORK/traffic.json" &
TRAFFIC=$!
PIDS+=("$TRAFFIC")
sleep 3.5
acesctl endpoints

step "3. An operator tries the replacement by hand: 30 % of web's new connections"
acesctl assign web 30
sleep 3

step "4. The Endpoint Manager takes over: transition start, web back to automatic"
acesctl transition start
acesctl assign web auto
sleep 4
acesctl endpoints
wait "$TRAFFIC"

step "5. The clients are done; the long-lived connections closed, so the original is released"
wait_until 20 "transition complete" sh -c "\"$ACESCTL\" -f $ACES_PREFIX transition status | grep -q complete"
acesctl transition status
echo
acesctl events
wait_until 10 "the timeline written" sh -c "! kill -0 $TIMELINE_PID 2>/dev/null"
cat "$WORK/timeline.out"
echo "The transition as a picture: $TIMELINE (open it in a browser)"

step "Result"
python3 - "$WORK/traffic.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
served = {}
for kind in ("new", "long"):
    for side, n in d[kind].items():
        served[side] = served.get(side, 0) + n
print("requests served: original %d, replacement %d" % (served.get("original", 0), served.get("replacement", 0)))
print("  on new connections: %s" % d["new"])
print("  on the 20 long-lived connections (opened before the move, they stay where they started): %s" % d["long"])
print("failed requests = %d, connections broken = %d" % (d["failed"], d["broken"]))
sys.exit(0 if d["failed"] == 0 and d["broken"] == 0 else 1)
PY
rc=$?
echo
acesctl stats | sed -n '1,12p'
exit $rc
