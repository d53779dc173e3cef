#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Path-MTU discovery through the VIP from the backends' side (issue #13): the router with
# the smaller link is between ACES and the backend, so its "fragmentation needed" comes in
# on ACES's backend port, addressed to the client, and quotes the client's packet as ACES
# rewrote it (to the backend). ACES must deliver it to the client rewritten (outer source
# the VIP, the quoted destination VIP:port), or every large upload hangs:
#
#   client (10.10.1.2, MTU 1500) -- [lbc ACES lbb] -- rc --[MTU 1400 link]-- rd -- backend
#
# The backend (10.10.6.x, MTU 1500) is behind ACES's backend gateway rc. Five 1 MiB
# uploads over Python sockets, each timed, answered with the SHA-256 of what arrived.
# (test_pmtu.sh covers the other direction: a router on the client's side, downloads.)
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

log "topology $P"
add_ns lb; add_ns cl; add_ns rc; add_ns rd; add_ns or1
veth cl cl0 lb lbc
veth lb lbb rc rc0
veth rc rc1 rd rd0 1400
veth rd rd1 or1 o0
nsx cl ip addr add 10.10.1.2/24 dev cl0
nsx rc ip addr add 10.10.2.254/24 dev rc0
nsx rc ip addr add 10.10.7.1/24 dev rc1
nsx rc ip route add 10.10.6.0/24 via 10.10.7.2
nsx rc ip route add 10.10.1.0/24 via 10.10.2.1     # replies go back through ACES
nsx rd ip addr add 10.10.7.2/24 dev rd0
nsx rd ip addr add 10.10.6.1/24 dev rd1
nsx rd ip route add default via 10.10.7.1
for r in rc rd; do nsx $r sysctl -qw net.ipv4.ip_forward=1; done
nsx or1 ip addr add 10.10.6.10/24 dev o0
nsx or1 ip addr add 10.10.6.20/24 dev o0      # the replacement's address, same host
nsx or1 ip route add default via 10.10.6.1

# the backend: per connection an 8-byte length, that many bytes, answered with their
# SHA-256 (a health probe that sends nothing is closed)
ip netns exec "${P}or1" python3 -c '
import hashlib, socket, struct, threading
def serve(c):
    try:
        c.settimeout(30)
        head = b""
        while len(head) < 8:
            d = c.recv(8 - len(head))
            if not d:
                return
            head += d
        n, = struct.unpack("!Q", head)
        h, got = hashlib.sha256(), 0
        while got < n:
            d = c.recv(min(65536, n - got))
            if not d:
                return
            h.update(d); got += len(d)
        c.sendall(h.hexdigest().encode())
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000)); s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' >/dev/null 2>&1 &
PIDS+=($!)
wait_until 10 "the backend listens" nsx or1 python3 -c '
import socket; socket.create_connection(("10.10.6.10", 9000), 1).close()' ||
    fail "the backend did not start"

CFG=$WORK/pmtu-backend.json
cat > "$CFG" <<EOF
{
  "interfaces": {
    "client":  { "port": 0, "address": "10.10.1.1/24" },
    "backend": { "port": 1, "address": "10.10.2.1/24", "gateway": "10.10.2.254" }
  },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.6.10" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.6.20" } ] }
  },
  "endpoints": [
    { "name": "up", "vip": "10.10.1.100", "port": 9000, "protocol": "tcp", "backend_port": 9000 }
  ]
}
EOF
start_aces "$CFG"
wait_until 15 "backends and gateway resolved" backends_resolved || bad "not resolved: $(acesctl backends)"
wait_until 15 "the VIP serves" nsx cl python3 -c '
import socket; socket.create_connection(("10.10.1.100", 9000), 1).close()' ||
    bad "no connection to the VIP"

# five 1 MiB uploads, each timed (20 s for the whole exchange)
nsx cl python3 - > "$WORK/up.res" <<'EOF'
import hashlib, os, socket, struct, time
ok = 0
for i in range(5):
    data = os.urandom(1 << 20)
    t0 = time.time()
    try:
        s = socket.create_connection(("10.10.1.100", 9000), 5)
        s.settimeout(20)
        s.sendall(struct.pack("!Q", len(data)) + data)
        ans = b""
        while len(ans) < 64 and time.time() - t0 < 20:
            d = s.recv(64 - len(ans))
            if not d:
                break
            ans += d
        s.close()
        good = ans.decode(errors="replace") == hashlib.sha256(data).hexdigest()
    except OSError as e:
        good = False
        print("info: upload %d: %s after %.1f s" % (i + 1, e, time.time() - t0))
    ok += good
print(("ok: " if ok == 5 else "FAIL: ") +
      "PMTU: %d of 5 1 MiB uploads through the 1400-byte link arrived intact" % ok)
EOF
results_logged "$WORK/up.res"
check_stats <<'EOF'
check(s["icmp_errors_forwarded_frag_needed"] >= 1,
      "PMTU: the router's fragmentation needed reached the client through ACES (%d)"
      % s["icmp_errors_forwarded_frag_needed"])
check(s["drops"]["icmp_error_no_flow"] == 0 and s["drops"]["unknown_destination"] == 0 and
      s["drops"]["unsupported_protocol"] == 0,
      "no ICMP dropped (no flow %d, unknown destination %d, unsupported %d)"
      % (s["drops"]["icmp_error_no_flow"], s["drops"]["unknown_destination"],
         s["drops"]["unsupported_protocol"]))
EOF
pmtu=$(nsx cl ip route get 10.10.1.100 | grep -o 'mtu [0-9]*' || true)
expect "PMTU: the client learned the path MTU to the VIP ($pmtu)" [ "$pmtu" = "mtu 1400" ]

stop_aces TERM
expect "ACES exits 0" [ "$ACES_RC" = 0 ]
finish "pmtu-backend"
