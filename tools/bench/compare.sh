#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ACES beside the forwarders an operator would otherwise put in front of a service, on the
# same namespaces (tests/e2e/lib.sh's topology), the same nginx backend and the same wrk
# load. In the load-balancer namespace, one at a time:
#   direct    the kernel routes the client to the backend (no NAT): the reference
#   nftables  kernel DNAT, VIP:80 -> backend:8080 (conntrack)
#   haproxy   HAProxy in TCP mode, one thread, on VIP:80
#   nginx     nginx's stream proxy, one worker, on VIP:80
#   aces      ACES on net_af_packet (one worker lcore, as the tests run it)
#   aces-base with --baseline BUILD_DIR: that build's ACES (the commit before a change),
#             interleaved with the rest, for an A/B in one invocation
# Each runs wrk keep-alive and wrk with "Connection: close" (new connections), then a timed
# client makes requests on new connections (each socket operation times out after 5 s) and
# counts the failures, which wrk does not always see. Modes are interleaved per round, the
# order rotating. Reports requests/s per mode and load (median over the rounds), the ratio
# to direct, wrk's errors and the timed client's failures; for ACES also new_flow_shed and
# its drops. This machine's speed swings from run to run: read the ratios of one run.
#
#   tools/bench/compare.sh [--smoke] [--rounds N] [--seconds S] [--connections C]
#                          [--modes "direct nftables haproxy nginx aces"] [--baseline BUILD_DIR]
#                          [--out FILE]
# --smoke: one round of 2 s per load (CI keeps it working). Writes build/bench/compare.json
# (or --out). Exit status 1 when a mode could not be set up or a request failed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

ROUNDS=3 SECS=5 CONNS=32 MODES="direct nftables haproxy nginx aces" OUT=$ACES_BUILD/bench/compare.json
BASELINE=""
TIMED_N=200
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) ROUNDS=1 SECS=2 TIMED_N=50 ;;
        --rounds) ROUNDS=$2; shift ;;
        --seconds) SECS=$2; shift ;;
        --connections) CONNS=$2; shift ;;
        --modes) MODES=$2; shift ;;
        --baseline) BASELINE=$2; shift ;;
        --out) OUT=$2; shift ;;
        *) echo "usage: $0 [--smoke] [--rounds N] [--seconds S] [--connections C] [--modes LIST]" \
                "[--baseline BUILD_DIR] [--out FILE]" >&2
           exit 2 ;;
    esac
    shift
done
if [ -n "$BASELINE" ]; then
    [ -x "$BASELINE/app/aces" ] || { echo "$0: --baseline $BASELINE: no app/aces in it" >&2; exit 2; }
    case " $MODES " in *" aces-base "*) ;; *) MODES="$MODES aces-base" ;; esac
fi
for m in $MODES; do
    case $m in direct|nftables|haproxy|nginx|aces|aces-base) ;; *) echo "$0: unknown mode $m" >&2; exit 2 ;; esac
    [ "$m" != aces-base ] || [ -n "$BASELINE" ] || { echo "$0: mode aces-base needs --baseline BUILD_DIR" >&2; exit 2; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null
mkdir -p "$(dirname "$OUT")"
NGINX_STREAM=${NGINX_STREAM:-/usr/lib/nginx/modules/ngx_stream_module.so}
VIP=10.10.1.100 BACKEND=10.10.2.10

cat > "$WORK/aces.json" <<EOC
{
$(topo_config_head)
  "endpoints": [
    { "name": "web", "vip": "$VIP", "port": 80, "protocol": "tcp", "backend_port": 8080 }
  ]
}
EOC
cat > "$WORK/nft.conf" <<EOC
table ip aces_compare {
    chain pre {
        type nat hook prerouting priority dstnat;
        ip daddr $VIP tcp dport 80 dnat to $BACKEND:8080
    }
}
EOC
cat > "$WORK/haproxy.cfg" <<EOC
global
    nbthread 1
    maxconn 1000                # 32 connections need 64 descriptors; any limit >= 2048 will do
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend web
    bind $VIP:80
    default_backend nginx
backend nginx
    server b1 $BACKEND:8080
EOC
mkdir -p "$WORK/nginx-stream"
cat > "$WORK/nginx-stream/nginx.conf" <<EOC
load_module $NGINX_STREAM;
worker_processes 1;
daemon off;
pid $WORK/nginx-stream/nginx.pid;
error_log $WORK/nginx-stream/error.log warn;
events { worker_connections 1024; }
stream {
    server { listen $VIP:80; proxy_pass $BACKEND:8080; }
}
EOC

# kernel_lb ON|OFF: the lb namespace as a router (its addresses, the VIP, forwarding), or
# bare veths for ACES (which answers ARP itself; a kernel address would answer too)
kernel_lb() {
    if [ "$1" = ON ]; then
        nsx lb ip addr add 10.10.1.1/24 dev lbc
        nsx lb ip addr add $VIP/32 dev lbc
        nsx lb ip addr add 10.10.2.1/24 dev lbb
        nsx lb sysctl -qw net.ipv4.ip_forward=1
    else
        nsx lb ip addr flush dev lbc
        nsx lb ip addr flush dev lbb
        nsx lb sysctl -qw net.ipv4.ip_forward=0
    fi
    # the client and the backend learn the (same) MACs again either way
    nsx cl ip neigh flush all; nsx or1 ip neigh flush all
}

MODE_PID=""
# mode_up MODE: set it up; the URL to load in URL
mode_up() {
    MODE_PID="" URL=http://$VIP/
    case $1 in
        direct) kernel_lb ON; URL=http://$BACKEND:8080/ ;;
        nftables) kernel_lb ON; nsx lb nft -f "$WORK/nft.conf" || return 1 ;;
        haproxy)
            kernel_lb ON
            ip netns exec "${P}lb" haproxy -db -f "$WORK/haproxy.cfg" >> "$WORK/haproxy.log" 2>&1 &
            MODE_PID=$!; PIDS+=($!) ;;
        nginx)
            kernel_lb ON
            ip netns exec "${P}lb" nginx -c "$WORK/nginx-stream/nginx.conf" -p "$WORK/nginx-stream" \
                >> "$WORK/nginx-stream/stdout" 2>&1 &
            MODE_PID=$!; PIDS+=($!) ;;
        aces|aces-base)
            kernel_lb OFF
            rm -f "$WORK/aces.state"
            if [ "$1" = aces-base ]; then ACES_BIN=$BASELINE/app/aces start_aces "$WORK/aces.json"
            else start_aces "$WORK/aces.json"; fi
            wait_until 15 "backends resolved" backends_resolved || return 1 ;;
    esac
    wait_until 15 "$1 serves" nsx cl curl -sf -m 1 -o /dev/null "$URL"
}

mode_down() {
    case $1 in
        nftables) nsx lb nft delete table ip aces_compare ;;
        haproxy|nginx) stop_pid "$MODE_PID" ;;
        aces|aces-base) acesctl --json stats > "$WORK/aces-stats.json" 2>/dev/null; stop_aces TERM ;;
    esac
    case $1 in aces*) ;; *) kernel_lb OFF ;; esac
}

# wrk_rps FILE: requests/s, then socket errors and non-2xx answers (0 when none)
wrk_rps() {
    python3 - "$1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print("%s %d %d" % (rps.group(1) if rps else "0", err, int(non2.group(1)) if non2 else 0))
EOF
}

log "topology $P: modes $MODES, $ROUNDS round(s) of $SECS s per load, $CONNS connections"
topo_up 1
start_nginx or1 $BACKEND original
start_nginx re 10.10.2.20 replacement
kernel_lb OFF
echo "[]" > "$OUT"
failed=0
modes=($MODES)
n_modes=${#modes[@]}
for round in $(seq 1 "$ROUNDS"); do
    for k in $(seq 0 $((n_modes - 1))); do
        mode=${modes[$(( (k + round - 1) % n_modes ))]}
        if ! mode_up "$mode"; then
            log "$mode: could not be set up"
            failed=1; mode_down "$mode" 2>/dev/null; continue
        fi
        res=()
        for load in keepalive close; do
            hdr=()
            [ $load = close ] && hdr=(-H "Connection: close")
            nsx cl wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 2s "${hdr[@]}" "$URL" \
                > "$WORK/wrk-$mode-$load-$round.txt" 2>&1
            res+=("$(wrk_rps "$WORK/wrk-$mode-$load-$round.txt")")
        done
        host=${URL#http://}; host=${host%/}; port=${host#*:}; [ "$port" = "$host" ] && port=80
        ip netns exec "${P}cl" python3 "$ACES_ROOT/tests/e2e/httpclient.py" spread "${host%:*}" "$port" \
            "$TIMED_N" "$WORK/timed-$mode-$round.json" 2>/dev/null
        mode_down "$mode"
        python3 - "$OUT" "$mode" "$round" "${res[0]}" "${res[1]}" "$WORK/timed-$mode-$round.json" \
            "$TIMED_N" "$WORK/aces-stats.json" <<'EOF' || failed=1
import json, os, sys
out, mode, rnd, ka, cl, timed, n, stats = sys.argv[1:9]
ka, cl = ka.split(), cl.split()
r = {"mode": mode, "round": int(rnd),
     "keepalive_rps": float(ka[0]), "keepalive_errors": int(ka[1]) + int(ka[2]),
     "close_rps": float(cl[0]), "close_errors": int(cl[1]) + int(cl[2])}
try:
    t = json.load(open(timed))
    ok = sum(v for k, v in t["answers"].items() if not k.startswith("status-"))
    r["timed_failed"] = int(n) - ok
except (OSError, ValueError, KeyError):
    r["timed_failed"] = int(n)
if mode.startswith("aces") and os.path.exists(stats):
    s = json.load(open(stats))
    r["new_flow_shed"] = s["drops"].get("new_flow_shed", 0)
    r["drops"] = {k: v for k, v in s["drops"].items() if v}
    r["worker_stalls"] = s.get("worker_stalls")
    os.unlink(stats)
print("[%s] round %s %-8s keep-alive %8.0f req/s (%d errors)  close %7.0f req/s (%d errors)  "
      "timed client: %d of %s failed%s" % (__import__("time").strftime("%T"), rnd, mode,
      r["keepalive_rps"], r["keepalive_errors"], r["close_rps"], r["close_errors"], r["timed_failed"], n,
      "  new_flow_shed %d" % r["new_flow_shed"] if "new_flow_shed" in r else ""), file=sys.stderr)
allr = json.load(open(out)); allr.append(r)
json.dump(allr, open(out, "w"), indent=1)
sys.exit(1 if r["keepalive_errors"] or r["close_errors"] or r["timed_failed"] or
         not r["keepalive_rps"] or not r["close_rps"] else 0)
EOF
    done
done

python3 - "$OUT" <<'EOF'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))
modes = []
for r in runs:
    if r["mode"] not in modes:
        modes.append(r["mode"])
med = {m: {k: statistics.median(r[k] for r in runs if r["mode"] == m) for k in ("keepalive_rps", "close_rps")}
       for m in modes}
print("| mode | keep-alive req/s | / direct | close req/s | / direct | errors (wrk, timed) | notes |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
ref = med.get("direct")
for m in modes:
    rs = [r for r in runs if r["mode"] == m]
    ratio = lambda k: "%.2f" % (med[m][k] / ref[k]) if ref and ref[k] else "-"
    errs = "%d, %d" % (sum(r["keepalive_errors"] + r["close_errors"] for r in rs), sum(r["timed_failed"] for r in rs))
    notes = ""
    if m.startswith("aces"):
        notes = "new_flow_shed %d" % sum(r.get("new_flow_shed", 0) for r in rs)
    print("| %s | %.0f | %s | %.0f | %s | %s | %s |" % (m, med[m]["keepalive_rps"], ratio("keepalive_rps"),
                                                   med[m]["close_rps"], ratio("close_rps"), errs, notes))
EOF
log "results in $OUT"
exit $failed
