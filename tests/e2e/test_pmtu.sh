#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Path-MTU discovery and fragments through the VIP (issue #13), with real Linux routers,
# nginx and Python sockets:
#
#   client (10.10.4.2, MTU 1500) -- ra --[MTU 1400 link]-- rb -- [lbc ACES lbb] -- backend
#
# The client and the backend both have MTU 1500 (MSS 1460 either way); the link between
# the two routers has 1400. A download's full-size segments reach rb, which sends
# "fragmentation needed" to their source, the VIP: ACES must deliver it, rewritten, to
# the backend, or every large download hangs (the black hole the issue found: 0 of 5).
# Then UDP datagrams longer than the MTU, fragmented by the client's kernel and again by
# ra, go through a UDP endpoint both ways. On net_af_packet the kernel reassembles them
# before ACES sees them (DPDK's af_packet fanout asks for PACKET_FANOUT_FLAG_DEFRAG), and
# up to its 2048-byte ring frames: so here ACES gets whole datagrams of up to ~1900 bytes
# and splits them for the 1500-byte egress; its own reassembly (what a NIC needs, which
# hands fragments over as they come) is tested on crafted fragments in test_icmp.py.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

log "topology $P"
add_ns lb; add_ns cl; add_ns ra; add_ns rb; add_ns or1
veth cl cl0 ra ra0
veth ra ra1 rb rb0 1400
veth rb rb1 lb lbc
veth lb lbb or1 o0
nsx cl ip addr add 10.10.4.2/24 dev cl0
nsx cl ip route add default via 10.10.4.1
nsx ra ip addr add 10.10.4.1/24 dev ra0
nsx ra ip addr add 10.10.5.1/24 dev ra1
nsx ra ip route add default via 10.10.5.2
nsx rb ip addr add 10.10.5.2/24 dev rb0
nsx rb ip addr add 10.10.1.2/24 dev rb1
nsx rb ip route add 10.10.4.0/24 via 10.10.5.1
for r in ra rb; do nsx $r sysctl -qw net.ipv4.ip_forward=1; done
nsx or1 ip addr add 10.10.2.10/24 dev o0
nsx or1 ip addr add 10.10.2.20/24 dev o0      # the replacement's address, same host
nsx or1 ip route add 10.10.0.0/16 via 10.10.2.1

# nginx with a 1 MiB file, on both backend addresses (the replacement's is on the same host)
DIR=$WORK/www
mkdir -p "$DIR"
head -c 1048576 /dev/urandom > "$DIR/big"
chmod a+rx "$WORK" "$DIR"; chmod a+r "$DIR/big"   # nginx workers run as nobody
SUM=$(sha256sum < "$DIR/big" | cut -d' ' -f1)
NGINX_ROOT=$DIR start_nginx or1 0.0.0.0 files
# a UDP server answering each datagram with "R" + the datagram, up to 9001 bytes
ip netns exec "${P}or1" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"R" + d, a)
' >/dev/null 2>&1 &
PIDS+=($!)

CFG=$WORK/pmtu.json
cat > "$CFG" <<EOF
{
  "interfaces": {
    "client":  { "port": 0, "address": "10.10.1.1/24", "gateway": "10.10.1.2" },
    "backend": { "port": 1, "address": "10.10.2.1/24" }
  },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.2.10" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.2.20" } ] }
  },
  "endpoints": [
    { "name": "web", "vip": "10.10.1.100", "port": 80, "protocol": "tcp", "backend_port": 8080 },
    { "name": "dns", "vip": "10.10.1.100", "port": 53, "protocol": "udp", "backend_port": 5353 }
  ],
  "flows": { "capacity": 16384 }
}
EOF
start_aces "$CFG"
wait_until 15 "backends and gateway resolved" backends_resolved || bad "not resolved: $(acesctl backends)"
nsx rb ip route add 10.10.1.100/32 dev rb1 2>/dev/null || true
wait_until 10 "the VIP answers ping through both routers" nsx cl ping -c 1 -W 1 10.10.1.100 ||
    bad "no ping through the routers"

# 1. five 1 MiB downloads, each timed: complete and intact
ok_n=0
for i in 1 2 3 4 5; do
    got=$(nsx cl curl -s -m 20 http://10.10.1.100/big | sha256sum | cut -d' ' -f1)
    if [ "$got" = "$SUM" ]; then ok_n=$((ok_n + 1)); else log "download $i: incomplete or wrong"; fi
done
expect "PMTU: 5 of 5 1 MiB downloads through the 1400-byte link complete and intact ($ok_n)" [ "$ok_n" = 5 ]
fwd=$(acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["icmp_errors_forwarded_frag_needed"])')
expect "PMTU: the router's fragmentation needed reached the backend through ACES ($fwd)" [ "$fwd" -ge 1 ]
pmtu=$(nsx or1 ip route get 10.10.4.2 | grep -o 'mtu [0-9]*' || true)
expect "PMTU: the backend learned the path MTU to the client ($pmtu)" [ "$pmtu" = "mtu 1400" ]

# 2. UDP datagrams fragmented on the way in and out
nsx cl python3 - > "$WORK/udp.out" <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT, as DNS does
s.settimeout(2)
ok = bad = 0
for size in [100, 1472, 1473, 1700, 1900] * 4:
    data = bytes((size + i) & 0xFF for i in range(size))
    t0 = time.time()
    s.sendto(data, ("10.10.1.100", 53))
    try:
        d, a = s.recvfrom(65535)
        good = d == b"R" + data and a == ("10.10.1.100", 53)
    except socket.timeout:
        good = False
    ok += good
    bad += not good
    if not good:
        print("info: %d bytes: no or wrong answer" % size)
print("ok: udp: %d datagrams of 100..1900 bytes answered whole from VIP:53 (%d not)" % (ok, bad)
      if bad == 0 else "FAIL: udp: %d of %d datagrams not answered whole" % (bad, ok + bad))
EOF
results_logged "$WORK/udp.out"
check_stats <<'EOF'
# 1473..1900 bytes: 12 requests and 12 replies longer than 1500, each split in two
check(s["fragments_sent_extra"] >= 24, "fragments: datagrams split on the way out (%d extra)"
      % s["fragments_sent_extra"])
check(s["drops"]["fragment_given_up"] == 0 and s["drops"]["ip_fragment"] == 0,
      "fragments: none given up (%d)" % s["drops"]["fragment_given_up"])
check(s["drops"]["unsupported_protocol"] == 0 and s["drops"]["icmp_error_no_flow"] == 0,
      "no ICMP dropped (unsupported %d, no flow %d)" % (s["drops"]["unsupported_protocol"],
                                                         s["drops"]["icmp_error_no_flow"]))
EOF

# 3. traceroute-style: a TTL that runs out at ACES is answered with time exceeded from
#    ACES's client-side address (UDP, one probe)
te=$(nsx cl python3 -c '
import socket
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(3)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 3)   # ra, rb, then ACES
s.sendto(b"x", ("10.10.1.100", 53))
try:
    while True:
        d, a = r.recvfrom(2048)
        if d[20] == 11:
            print(a[0]); break
except socket.timeout:
    print("none")')
expect "TTL: time exceeded from ACES's address at the third hop ($te)" [ "$te" = "10.10.1.1" ]

stop_aces TERM
expect "ACES exits 0" [ "$ACES_RC" = 0 ]
finish "pmtu"
