#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The kernel path on ACES's ports (issue #21): an interface per port the kernel sees
# (net_tap) with the port's MAC and ACES's own address, through which what ACES does not
# handle itself reaches the kernel and the kernel's packets leave through the port. Real
# ping, a Python TCP server on ACES's own address, nginx behind the VIP:
#
#   client ns (10.10.1.2) --veth-- [lbc  ACES  lbb] --veth-- bridge -- orig (10.10.2.10)
#                                   |          |
#                                  akc        akb    (kernel interfaces in the lb namespace)
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

log "topology $P"
topo_up 1
start_nginx or1 10.10.2.10 orig-1
ORIG_PID=$NGINX_PID
start_nginx re 10.10.2.20 repl-1
REPL_PID=$NGINX_PID
CFG=$WORK/aces.json
# write_cfg PPS [CLIENT_KERNEL_NAME]
write_cfg() {
    cat > "$CFG" <<EOC
{
  "interfaces": { "client": { "port": 0, "address": "10.10.1.1/24",
                              "kernel": { "interface": "${2:-akc}", "packets_per_s": $1 } },
                  "backend": { "port": 1, "address": "10.10.2.1/24",
                               "kernel": { "interface": "akb" } } },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.2.10" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.2.20" } ] } },
  "endpoints": [ { "name": "web", "vip": "10.10.1.100", "port": 80, "backend_port": 8080,
                   "protocol": "tcp" } ]${3:-}
}
EOC
}
ctl() {   # ctl NAME: a control counter of /aces/stats
    acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["control"][sys.argv[1]])' "$1"
}

# ---- a kernel interface name that is taken is refused, naming the field ----
write_cfg 10000 lbb
ip netns exec "${P}lb" "$ACES_BIN" --lcores 0-1 --no-pci --in-memory --file-prefix "${P}aces" -m 256 \
    --vdev net_af_packet0,iface=lbc --vdev net_af_packet1,iface=lbb -- --config "$CFG" \
    > "$WORK/taken.log" 2>&1 &
TPID=$!
PIDS+=("$TPID")
wait_until 30 "ACES with a taken kernel interface name exits" sh -c "! kill -0 $TPID 2>/dev/null"
wait "$TPID"
rc=$?
expect "a kernel interface name that exists already is refused (exit $rc): $(grep -m1 -o 'interfaces.client.kernel.interface[^"]*' "$WORK/taken.log")" \
    sh -c "[ $rc -ne 0 ] && grep -q 'interfaces.client.kernel.interface' '$WORK/taken.log'"

# ---- the kernel interfaces: port MAC, ACES's address ----
write_cfg 10000
start_aces "$CFG"
wait_until 10 "backends resolved" backends_resolved || fail "backends unresolved"
mac_port=$(acesctl --json info | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["client"]["mac"].lower())' 2>/dev/null)
mac_tap=$(nsx lb cat /sys/class/net/akc/address 2>/dev/null)
expect "kernel interface akc exists with the client port's MAC ($mac_tap, port $mac_port)" \
    test -n "$mac_tap" -a "$mac_tap" = "$mac_port"
expect "akc has ACES's client address 10.10.1.1/24" sh -c "ip -n ${P}lb -4 addr show dev akc | grep -q 'inet 10.10.1.1/24'"
expect "akb has ACES's backend address 10.10.2.1/24" sh -c "ip -n ${P}lb -4 addr show dev akb | grep -q 'inet 10.10.2.1/24'"

# ---- ICMP echo to ACES's own address: answered by the kernel, once ----
in0=$(ctl kernel_path_in); out0=$(ctl kernel_path_out)
nsx cl ping -c 5 -i 0.2 -W 1 10.10.1.1 > "$WORK/ping.out" 2>&1
expect "ping 10.10.1.1 through the kernel path: 5 answers, no duplicate ($(grep -o '[0-9]* received.*' "$WORK/ping.out"))" \
    sh -c "grep -q ' 5 received' '$WORK/ping.out' && ! grep -q DUP '$WORK/ping.out'"
in1=$(ctl kernel_path_in); out1=$(ctl kernel_path_out)
expect "kernel_path_in counted the echo requests ($in0 -> $in1), kernel_path_out the answers ($out0 -> $out1)" \
    test $((in1 - in0)) -ge 5 -a $((out1 - out0)) -ge 5
expect "the kernel learned the client's neighbour through the kernel path" \
    sh -c "ip -n ${P}lb neigh show dev akc | grep -q '^10.10.1.2 .*lladdr'"

# ---- TCP to a kernel socket on ACES's address (what BGP, SSH use) ----
ip netns exec "${P}lb" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.10.1.1", 2222)); s.listen(8)
while True:
    c, a = s.accept()
    d = c.recv(100)
    c.sendall(b"kernel:" + d); c.close()
' > /dev/null 2>&1 &
PIDS+=($!)
wait_until 5 "kernel TCP server" sh -c "ip -n ${P}lb -4 -o addr >/dev/null; ip netns exec ${P}lb ss -ltn | grep -q 10.10.1.1:2222"
got=$(nsx cl python3 -c '
import socket
s = socket.create_connection(("10.10.1.1", 2222), timeout=3)
s.sendall(b"hello"); print(s.recv(100).decode())' 2>&1)
expect "a TCP connection to a kernel socket on 10.10.1.1:2222 through the kernel path answers (\"$got\")" \
    test "$got" = "kernel:hello"

# ---- the kernel reaches the backend network through its interface on the backend port ----
expect "the kernel pings a backend (10.10.2.10) out of the backend port" \
    nsx lb ping -c 3 -i 0.2 -W 1 -I akb 10.10.2.10

# ---- the VIP path never goes through the kernel ----
in0=$(ctl kernel_path_in)
fails=0
for i in $(seq 1 50); do
    nsx cl curl -sf -m 2 -o /dev/null http://10.10.1.100/ || fails=$((fails + 1))
done
in1=$(ctl kernel_path_in)
expect "50 requests to the VIP, $fails failed" test "$fails" -eq 0
# ARP (copied to the kernel as it comes) is all that may reach it meanwhile
expect "VIP traffic is not handed to the kernel (kernel_path_in +$((in1 - in0)) over 50 requests)" \
    test $((in1 - in0)) -le 4

# ---- bounded per second: a flood to ACES's address is cut at packets_per_s ----
write_cfg 100
fresh_aces "$CFG"
wait_until 10 "backends resolved" backends_resolved || fail "backends unresolved"
lim0=$(ctl kernel_path_in_limited); in0=$(ctl kernel_path_in)
# 3000 UDP datagrams to a port of ACES's own address, ~5000 a second (a burst the port's
# receive ring holds: what is counted is what ACES did with them, not losses before it)
secs=$(nsx cl python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
for i in range(3000):
    s.sendto(b"x" * 32, ("10.10.1.1", 9999))
    if i % 10 == 9:
        time.sleep(0.002)
print("%.3f" % (time.monotonic() - t))')
sleep 0.5   # the last datagrams through the control loop (counters are read after)
lim1=$(ctl kernel_path_in_limited); in1=$(ctl kernel_path_in)
allowed=$(python3 -c "print(int(100 * ($secs + 0.6)) + 32 + 8)")
log "3000 datagrams in $secs s at packets_per_s 100: $((in1 - in0)) to the kernel (allowed $allowed), $((lim1 - lim0)) limited"
expect "the kernel path is bounded: $((in1 - in0)) of 3000 datagrams in $secs s reached the kernel (at most $allowed)" \
    test $((in1 - in0)) -le "$allowed"
expect "the rest counted in kernel_path_in_limited ($((lim1 - lim0)))" \
    test $((lim1 - lim0 + in1 - in0)) -ge 2950
expect "the VIP still answers meanwhile" nsx cl curl -sf -m 2 -o /dev/null http://10.10.1.100/

# ---- reload cannot change the kernel interface ----
write_cfg 100 akx
out=$(acesctl reload 2>&1)
expect "a reload that changes a kernel interface is refused (\"${out:0:120}\")" \
    sh -c "echo \"\$1\" | grep -q kernel" _ "$out"

# ---- VIP routes for a routing daemon (routing.table): announced while it can serve ----
stop_aces TERM
write_cfg 10000 akc ', "routing": { "table": 100, "drain_quiet_ms": 500, "drain_timeout_ms": 4000 }'
start_aces "$CFG"
route_in() { ip -n "${P}lb" route show table 100 | grep -q "^10.10.1.100 dev akc proto 249"; }
vip_why() { acesctl --json routing | python3 -c 'import json,sys; print(json.load(sys.stdin)["vips"]["10_10_1_100"])'; }
expect "the VIP's route is in table 100 through akc once the backends resolve ($(vip_why))" \
    wait_until 10 "VIP route in table 100" route_in
expect "acesctl drain withdraws it" sh -c "$ACESCTL -f $ACES_PREFIX drain >/dev/null && ! ip -n ${P}lb route show table 100 | grep -q 10.10.1.100"
expect "a drained instance still forwards (new connections that still come)" nsx cl curl -sf -m 2 -o /dev/null http://10.10.1.100/
expect "/aces/routing says why: drained ($(vip_why))" test "$(vip_why)" = drained
expect "acesctl undrain announces it again" sh -c "$ACESCTL -f $ACES_PREFIX undrain >/dev/null && ip -n ${P}lb route show table 100 | grep -q 10.10.1.100"
# both applications' backends down (nginx stopped): nothing to serve new flows with (one
# down is not enough: the manager sends every new flow to the other side)
stop_pid "$ORIG_PID"; stop_pid "$REPL_PID"
expect "with its backend down the VIP is withdrawn (no_backend)" \
    wait_until 20 "VIP withdrawn, no_backend" sh -c "[ \"\$(\"$ACESCTL\" -f $ACES_PREFIX --json routing | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"vips\"][\"10_10_1_100\"])')\" = no_backend ] && ! ip -n ${P}lb route show table 100 | grep -q 10.10.1.100"
start_nginx or1 10.10.2.10 orig-1
expect "a backend up again: announced again" wait_until 20 "VIP route back" route_in
expect "a reload cannot change routing" sh -c "sed -i 's/\"table\": 100/\"table\": 101/' '$CFG'; ! $ACESCTL -f $ACES_PREFIX reload 2>&1 | grep -qv 'routing: cannot change'"
# a clean stop: withdrawn first, then forwarding until no new flow came for drain_quiet_ms
t0=$(date +%s%N)
kill -TERM "$ACES_PID"
expect "SIGTERM withdraws the route first, while ACES still runs" \
    wait_until 3 "route withdrawn" sh -c "! ip -n ${P}lb route show table 100 | grep -q 10.10.1.100 && kill -0 $ACES_PID"
expect "and it still forwards meanwhile" nsx cl curl -sf -m 2 -o /dev/null http://10.10.1.100/
wait_until 10 "ACES gone" sh -c "! kill -0 $ACES_PID 2>/dev/null"
wait "$ACES_PID"; ACES_RC=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "then it stops by itself once quiet (exit $ACES_RC after $ms ms; quiet 500 ms, deadline 4000 ms)" \
    test "$ACES_RC" -eq 0 -a "$ms" -ge 500 -a "$ms" -lt 6000
grep -E "routing: (stopping|VIP)" "$WORK/aces.log" | tail -3 | while read -r l; do log "  $l"; done
write_cfg 100
start_aces "$CFG"

# ---- the interfaces go with the process, on a clean stop and on SIGKILL ----
stop_aces TERM
expect "clean stop: exit 0 ($ACES_RC) and the kernel interfaces removed" \
    sh -c "[ $ACES_RC -eq 0 ] && ! ip -n ${P}lb link show akc >/dev/null 2>&1 && ! ip -n ${P}lb link show akb >/dev/null 2>&1"
write_cfg 100
start_aces "$CFG"
expect "started again: akc back" nsx lb ip link show akc
stop_aces KILL
expect "SIGKILL: the kernel interfaces go with the process" \
    wait_until 5 "akc gone" sh -c "! ip -n ${P}lb link show akc >/dev/null 2>&1"
# the next start (same prefix, which a killed process leaves its runtime folder to) makes them
# again, and its clean stop removes everything
start_aces "$CFG"
expect "after SIGKILL, a new start makes the kernel interfaces again" nsx lb ip link show akb
stop_aces TERM
expect "and its clean stop (exit $ACES_RC) leaves no runtime folder" \
    sh -c "[ $ACES_RC -eq 0 ] && [ ! -e /var/run/dpdk/${P}aces ]"

finish "kernel path"
