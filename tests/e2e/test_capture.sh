#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packet capture with DPDK's own tool (issue #14): ACES runs with shared memory (not
# --in-memory), dpdk-dumpcap (Debian's dpdk package) attaches as a secondary process and
# captures both ports while curl runs through the VIP; the pcapng files hold the client's
# packets to the VIP on the client port and the same connection rewritten to the backend on
# the backend port. Then ACES stops and starts again with the same prefix: nothing the first
# run left breaks the second, and its hugepage files are gone after it.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM
export ACES_SHARED=1

log "topology $P"
topo_up 1
start_nginx or1 10.10.2.10 original
start_nginx re 10.10.2.20 replacement
start_aces "$ACES_ROOT/configs/demo.json"
wait_until 15 "backends resolved" backends_resolved || bad "backends not resolved"
grep -q "packet capture on: dpdk-dumpcap --file-prefix=$ACES_PREFIX" "$WORK/aces.log" &&
    ok "ACES says how to capture" || bad "no capture line in the log: $(grep -i capture "$WORK/aces.log")"

# dumpcap runs in the lb namespace (where ACES's ports are), on both ports, until 2 x 40 packets
ip netns exec "${P}lb" dpdk-dumpcap --file-prefix="$ACES_PREFIX" -i 0 -f "tcp port 80" -w "$WORK/client.pcapng" -c 40 -q \
    > "$WORK/dumpcap0.log" 2>&1 &
D0=$!; PIDS+=($D0)
ip netns exec "${P}lb" dpdk-dumpcap --file-prefix="$ACES_PREFIX" -i 1 -f "tcp port 8080 and host 10.10.1.2" -w "$WORK/backend.pcapng" -c 40 -q \
    > "$WORK/dumpcap1.log" 2>&1 &
D1=$!; PIDS+=($D1)
# requests until both captures have their 40 packets (dumpcap -q says nothing until then)
n=0
end=$(( $(date +%s) + 30 ))
while { kill -0 $D0 2>/dev/null || kill -0 $D1 2>/dev/null; } && [ "$(date +%s)" -lt "$end" ]; do
    nsx cl curl -s -m 2 -o /dev/null http://10.10.1.100/ && n=$((n + 1))
done
expect "curl through the VIP while capturing ($n requests)" [ "$n" -gt 0 ]
expect "both captures complete (40 packets each)" sh -c "! kill -0 $D0 2>/dev/null && ! kill -0 $D1 2>/dev/null" ||
    log "dumpcap: $(cat "$WORK/dumpcap0.log" "$WORK/dumpcap1.log")"
python3 - "$WORK/client.pcapng" "$WORK/backend.pcapng" > "$WORK/cap.res" <<'PY'
import socket, struct, sys

def frames(path):
    """Enhanced packet blocks of a pcapng file (either byte order)."""
    out = []
    data = open(path, "rb").read()
    off = 0
    e = "<"
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if btype == 0x0A0D0D0A:
            magic = struct.unpack("<I", data[off + 8:off + 12])[0]
            e = "<" if magic == 0x1A2B3C4D else ">"
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12:
            break
        if btype == 6:
            caplen = struct.unpack(e + "I", data[off + 20:off + 24])[0]
            out.append(data[off + 28:off + 28 + caplen])
        off += blen
    return out

def tcp4(fr):
    if len(fr) < 54 or fr[12:14] != b"\x08\x00" or fr[23] != 6:
        return None
    ihl = (fr[14] & 15) * 4
    l4 = 14 + ihl
    return (socket.inet_ntoa(fr[26:30]), struct.unpack("!H", fr[l4:l4 + 2])[0],
            socket.inet_ntoa(fr[30:34]), struct.unpack("!H", fr[l4 + 2:l4 + 4])[0])

def check(c, m):
    print(("ok: " if c else "FAIL: ") + m)

cl, be = frames(sys.argv[1]), frames(sys.argv[2])
# dumpcap counts after writing a whole dequeued burst, so -c 40 stops at 40 or a few more
check(len(cl) >= 40 and len(be) >= 40, "pcapng files with at least 40 frames each (%d, %d)" % (len(cl), len(be)))
to_vip = {t[1] for t in map(tcp4, cl) if t and t[0] == "10.10.1.2" and t[2] == "10.10.1.100" and t[3] == 80}
from_vip = {t[3] for t in map(tcp4, cl) if t and t[0] == "10.10.1.100" and t[1] == 80}
to_be = {t[1] for t in map(tcp4, be) if t and t[0] == "10.10.1.2" and t[2] == "10.10.2.10" and t[3] == 8080}
check(bool(to_vip) and bool(from_vip), "client port: the client's packets to VIP:80 and the answers (%d ports)" % len(to_vip))
check(bool(to_be), "backend port: the same connections rewritten to 10.10.2.10:8080 (%d ports)" % len(to_be))
check(bool(to_vip & to_be), "one connection seen on both ports (client port %s)" % sorted(to_vip & to_be)[:3])
PY
results_from "$WORK/cap.res"

# a clean stop leaves nothing that breaks the next start with the same prefix
stop_aces TERM
expect "ACES exits 0 after being captured" [ "$ACES_RC" = 0 ]
left=$(ls /dev/hugepages 2>/dev/null | grep -c "^${ACES_PREFIX}map_" || true)
expect "no hugepage file of the prefix left after the stop ($left)" [ "$left" = 0 ]
start_aces "$ACES_ROOT/configs/demo.json"
wait_until 15 "backends resolved again" backends_resolved || bad "second start: backends not resolved"
expect "the second start with the same prefix serves" nsx cl curl -sf -m 3 -o /dev/null http://10.10.1.100/
stop_aces TERM
rm -rf "/var/run/dpdk/$ACES_PREFIX"
finish "capture"
