# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the end-to-end tests and the demo: a network-namespace
# topology with real nginx backends and ACES on net_af_packet ports.
#
#   client ns (10.10.1.2) --veth-- [lbc  ACES  lbb] --veth-- bridge ns --+-- original ns (10.10.2.10[,11])
#                                                                        +-- replacement ns (10.10.2.20)
# Everything is created under a unique prefix and removed by topo_down, which
# the callers run from an EXIT trap, so a failing test cleans up too.

ACES_ROOT=${ACES_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ACES_BUILD=${ACES_BUILD:-$ACES_ROOT/build}
ACES_BIN=${ACES_BIN:-$ACES_BUILD/app/aces}
ACESCTL=$ACES_ROOT/tools/acesctl
P=${ACES_TOPO_PREFIX:-ae$$}          # namespace / file-prefix stem, unique per run
WORK=${ACES_WORK:-$(mktemp -d /tmp/aces-e2e.XXXXXX)}
PIDS=()                               # processes to stop, by PID
NS_LIST=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

# wait_until SECONDS DESCRIPTION CMD...: poll CMD until it succeeds or time runs out.
wait_until() {
    local limit=$1 what=$2 end
    shift 2
    end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
    while (( $(date +%s%N) / 1000000 < end )); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    log "timed out after ${limit}s waiting for: $what"
    return 1
}

nsx() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }

quiet_link() {   # NS DEV: no offloads (af_packet must see full checksums), no IPv6 noise
    nsx "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
    nsx "$1" ip link set "$2" up
}

# veth NS_A DEV_A NS_B DEV_B [MTU]: a veth pair between two namespaces, both ends up and
# quiet (quiet_link), with MTU on both ends when given
veth() {
    ip link add "$2" netns "$P$1" type veth peer name "$4" netns "$P$3"
    quiet_link "$1" "$2"
    quiet_link "$3" "$4"
    if [ -n "${5:-}" ]; then nsx "$1" ip link set "$2" mtu "$5"; nsx "$3" ip link set "$4" mtu "$5"; fi
}

add_ns() {
    ip netns add "$P$1"
    NS_LIST+=("$P$1")
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$1" ip link set lo up
}

# The first members of a config for the topology topo_up builds: both ports and one backend
# per application (orig-1 in or1, repl-1 in re). A test writes the rest after them:
#   cat > "$CFG" <<EOC
#   {
#   $(topo_config_head)
#     "endpoints": [ ... ]
#   }
#   EOC
topo_config_head() {
    cat <<'EOC'
  "interfaces": { "client": { "port": 0, "address": "10.10.1.1/24" },
                  "backend": { "port": 1, "address": "10.10.2.1/24" } },
  "applications": {
    "original":    { "backends": [ { "name": "orig-1", "address": "10.10.2.10" } ] },
    "replacement": { "backends": [ { "name": "repl-1", "address": "10.10.2.20" } ] } },
EOC
}

# topo_up [N_ORIGINAL]: namespaces, links and addresses (1 or 2 original backends).
topo_up() {
    local n_orig=${1:-1} i
    add_ns lb; add_ns cl; add_ns sw; add_ns re
    ip link add lbc netns "${P}lb" type veth peer name cl0 netns "${P}cl"
    ip link add lbb netns "${P}lb" type veth peer name swl netns "${P}sw"
    nsx sw ip link add br0 type bridge
    nsx sw ip link set br0 up
    for d in lbc lbb; do quiet_link lb $d; done
    quiet_link cl cl0
    nsx cl ip addr add 10.10.1.2/24 dev cl0
    nsx cl ip route add default via 10.10.1.1
    nsx sw ip link set swl master br0
    quiet_link sw swl
    for i in $(seq 1 "$n_orig"); do
        add_ns "or$i"
        ip link add o0 netns "${P}or$i" type veth peer name "swo$i" netns "${P}sw"
        nsx sw ip link set "swo$i" master br0
        quiet_link sw "swo$i"
        quiet_link "or$i" o0
        nsx "or$i" ip addr add "10.10.2.$((9 + i))/24" dev o0
        nsx "or$i" ip route add 10.10.1.0/24 via 10.10.2.1
    done
    if [ -n "${REPL_DELAY_FILE:-}" ]; then
        # the replacement sits behind a userspace delay line (no netem in this kernel):
        # bridge -- swr/r0 [ns rd: delayline.py r0 <-> d0] d0/r1 -- replacement
        add_ns rd
        ip link add r0 netns "${P}rd" type veth peer name swr netns "${P}sw"
        ip link add d0 netns "${P}rd" type veth peer name r1 netns "${P}re"
        nsx sw ip link set swr master br0
        quiet_link sw swr
        quiet_link rd r0
        quiet_link rd d0
        quiet_link re r1
        nsx re ip addr add 10.10.2.20/24 dev r1
        nsx re ip route add 10.10.1.0/24 via 10.10.2.1
        : > "$REPL_DELAY_FILE"
        ip netns exec "${P}rd" python3 "$ACES_ROOT/tests/e2e/delayline.py" r0 d0 "$REPL_DELAY_FILE" &
        PIDS+=($!)
    else
        ip link add r0 netns "${P}re" type veth peer name swr netns "${P}sw"
        nsx sw ip link set swr master br0
        quiet_link sw swr
        quiet_link re r0
        nsx re ip addr add 10.10.2.20/24 dev r0
        nsx re ip route add 10.10.1.0/24 via 10.10.2.1
    fi
}

stop_pid() {    # PID: TERM, wait up to 5 s, then KILL
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

topo_down() {
    local pid ns
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    for ns in "${NS_LIST[@]}"; do
        # a namespace some process still enters can refuse once: try again, then say so
        ip netns del "$ns" 2>/dev/null || { sleep 0.2; ip netns del "$ns" 2>/dev/null; } ||
            { [ -e "/run/netns/$ns" ] && log "topo_down: namespace $ns not removed"; } || true
    done
    # DPDK runtime folders of this run's prefixes: a clean stop removes its own, one killed
    # (SIGKILL scenarios) leaves it; empty ones only (rmdir)
    rmdir /var/run/dpdk/"$P"* 2>/dev/null || true
    if [ -n "${KEEP_WORK:-}" ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}

# start_nginx NS ADDR NAME [PORT...]: nginx answering "NAME" on ADDR:PORT (default 8080),
# keep-alive for long; with NGINX_ROOT=DIR set, serving the files in DIR instead.
start_nginx() {
    local ns=$1 addr=$2 name=$3 dir=$WORK/nginx-$3 listen="" port
    local location="location / { return 200 \"$name\\n\"; }" ready=(-sf)
    shift 3
    for port in "${@:-8080}"; do listen+="        listen $addr:$port;"$'\n'; done
    if [ -n "${NGINX_ROOT:-}" ]; then
        location="sendfile on; root $NGINX_ROOT;"
        ready=(-s)     # any answer: "/" itself may be no file
    fi
    mkdir -p "$dir/tmp"
    cat > "$dir/nginx.conf" <<EOC
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type text/plain;
    keepalive_timeout 600s;
    keepalive_requests 10000000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
$listen        $location
    }
}
EOC
    # "ip netns exec" execs the command: $! is nginx's own PID (a function would fork a subshell)
    ip netns exec "$P$ns" nginx -c "$dir/nginx.conf" -p "$dir" >"$dir/stdout" 2>&1 &
    PIDS+=($!)
    NGINX_PID=$!
    wait_until 10 "nginx $name on $addr:${1:-8080}" nsx "$ns" curl "${ready[@]}" -m 1 -o /dev/null "http://$addr:${1:-8080}/" ||
        fail "nginx $name did not start: $(cat "$dir/error.log" "$dir/stdout" 2>/dev/null)"
}

# start_udp_echo NS ADDR NAME: answers each datagram on ADDR:5353 with "NAME:<data>".
start_udp_echo() {
    ip netns exec "$P$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5353))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(sys.argv[2].encode() + b":" + d, a)
' "$2" "$3" >/dev/null 2>&1 &
    PIDS+=($!)
}

# Background processes must be started with "ip netns exec" directly (not nsx) and
# their $! added to PIDS, so topo_down stops the process itself.

# start_aces CONFIG [EXTRA...]: ACES in the lb namespace on af_packet ports.
ACES_PREFIX=${P}aces
start_aces() {
    local cfg=$1
    shift
    # --in-memory: no hugepage files left behind, even if the process is killed.
    # ACES_WORKERS=2: two workers (lcore 2 shares CPU 0 with the mostly sleeping control
    # lcore on this 2-CPU machine) and two queue pairs per af_packet port, whose fanout
    # spreads flows, so the two directions of a flow often reach different workers.
    local lcores=0-1 qp=""
    if [ "${ACES_WORKERS:-1}" = 2 ]; then lcores="0@0,1@1,2@0"; qp=",qpairs=2"; fi
    # ACES_SHARED=1: shared memory instead, so secondary processes (dpdk-dumpcap) can attach
    local mem=--in-memory
    [ -n "${ACES_SHARED:-}" ] && mem=""
    ip netns exec "${P}lb" "$ACES_BIN" --lcores "${ACES_LCORES:-$lcores}" --no-pci $mem \
        --file-prefix "$ACES_PREFIX" -m "${ACES_MEM:-256}" \
        --vdev "net_af_packet0,iface=lbc$qp" --vdev "net_af_packet1,iface=lbb$qp" \
        "$@" -- --config "$cfg" --state-file "${ACES_STATE:-$WORK/aces.state}" >>"$WORK/aces.log" 2>&1 &
    ACES_PID=$!
    PIDS+=("$ACES_PID")
    wait_until 30 "ACES telemetry" "$ACESCTL" -f "$ACES_PREFIX" info ||
        fail "ACES did not start: $(tail -20 "$WORK/aces.log")"
}

acesctl() { "$ACESCTL" -f "$ACES_PREFIX" "$@"; }

# fresh_aces CONFIG: stop ACES and start a fresh one: its state file removed, so nothing
# (flows, transition, health) is taken over, as a suite's next part wants
fresh_aces() {
    stop_pid "$ACES_PID"
    rm -f "${ACES_STATE:-$WORK/aces.state}"
    start_aces "$@"
}

# ---- test bookkeeping shared by the suites ----
HTTPCLIENT=$ACES_ROOT/tests/e2e/httpclient.py
PASS=0
FAILED=0
ok() { PASS=$((PASS + 1)); log "ok: $*"; }
bad() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }
expect() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# ok/FAIL lines written by a Python checker become results
results_from() {
    local line
    while read -r line; do
        case $line in ok:*) ok "${line#ok: }" ;; *) bad "${line#FAIL: }" ;; esac
    done < "$1"
}
# results_logged FILE: a checker's output: "info: ..." lines logged, the ok/FAIL lines results;
# an output without any is a failure (the checker died)
results_logged() {
    local f=$1 l
    grep '^info' "$f" | while read -r l; do log "${l#info: }"; done
    grep -v '^info' "$f" > "$f.res"
    [ -s "$f.res" ] || echo "FAIL: $(basename "$f"): the checker gave no result" > "$f.res"
    results_from "$f.res"
}
# check_stats < CHECKER: /aces/stats into a Python checker read from stdin, which finds the
# stats in `s` and a check(cond, what); its lines become results (results_logged)
check_stats() {
    acesctl --json stats > "$WORK/stats.json"
    { printf 'import json\ns = json.load(open("%s"))\n' "$WORK/stats.json"
      printf 'def check(c, m): print(("ok: " if c else "FAIL: ") + m)\n'
      cat; } | python3 - > "$WORK/stats.res"
    results_logged "$WORK/stats.res"
}
# a client in the client namespace, in the background, stopped by topo_down
bg() { ip netns exec "${P}cl" "$@" & PIDS+=($!); }
# wrk_check OUTFILE: wrk made requests and saw no socket error and no non-2xx answer
wrk_check() {
    local f=$1 n
    n=$(awk '/requests in/ {print $1}' "$f")
    if [ -z "$n" ] || [ "$n" -eq 0 ]; then log "wrk made no request: $(cat "$f")"; return 1; fi
    if grep -qE "Socket errors|Non-2xx" "$f"; then log "wrk $(basename "$f"): $(grep -E 'Socket errors|Non-2xx' "$f")"; return 1; fi
    log "wrk $(basename "$f"): $n requests, 0 errors"
}
# the closing line test runners read; exit status 1 when anything failed
finish() {
    log "$1: $PASS passed, $FAILED failed"
    echo "$PASS passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

backends_resolved() { ! acesctl backends | grep -q unresolved; }

# cpu_percent PID SECONDS: the CPU the process (all its threads) took over SECONDS, in
# percent of one CPU, from its utime + stime in /proc
cpu_percent() {
    python3 - "$1" "$2" <<'EOP'
import os, sys, time
def ticks(pid):
    with open("/proc/%s/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])     # fields 14 and 15: utime, stime
pid, secs = sys.argv[1], float(sys.argv[2])
t0, c0 = time.monotonic(), ticks(pid)
time.sleep(secs)
t1, c1 = time.monotonic(), ticks(pid)
print("%.1f" % (100.0 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)))
EOP
}

# ---- clients that time every request, for the restart and reload suites ----
STALL=${STALL:-5}       # a request slower than this is a stall (the client's socket times out)
NLONG=${NLONG:-20}      # long-lived connections of timed_clients

# stop_aces SIGNAL: signal the running ACES, wait (bounded) until it is gone
stop_aces() {
    kill -"$1" "$ACES_PID"
    wait_until 20 "ACES (pid $ACES_PID) gone" sh -c "! kill -0 $ACES_PID 2>/dev/null" ||
        fail "ACES did not stop on SIG$1"
    wait "$ACES_PID" 2>/dev/null
    ACES_RC=$?
}

# check_timed OUT_JSON WHAT: every long-lived connection answered throughout, by one backend
check_timed() {
    python3 - "$1" "$2" "$NLONG" <<'EOF' > "$WORK/check.out"
import json, sys
r = json.load(open(sys.argv[1])); what = sys.argv[2]; nlong = int(sys.argv[3])
def check(c, m): print(("ok: " if c else "FAIL: ") + what + ": " + m)
longs = r["long"]
broken = [c for c in longs if c["failures"]]
check(len(longs) == nlong and not broken, "%d long-lived connections, %d broken %s"
      % (len(longs), len(broken), [c["failures"][0] for c in broken][:3]))
moved = [c for c in longs if len(c["backends"]) != 1]
check(not moved, "each long-lived connection answered by the backend it started on (%d moved: %s)"
      % (len(moved), [c["backends"] for c in moved][:3]))
check(min(c["requests"] for c in longs) >= 10, "every long-lived connection made requests "
      "throughout (fewest %d)" % min(c["requests"] for c in longs))
n = r["new"]
check(n["requests"] > 20 and not n["failures"], "%d requests on new connections, %d failed or "
      "stalled %s" % (n["requests"], len(n["failures"]), n["failures"][:3]))
slowest = max([c["max_s"] for c in longs] + [n["max_s"]])
print("info: %s: slowest request %.3f s (stall limit %.0f s), first backends %s" % (
      what, slowest, r["stall_s"], sorted(set(c["first"] for c in longs))))
EOF
    grep '^info' "$WORK/check.out" | while read -r l; do log "${l#info: }"; done
    grep -v '^info' "$WORK/check.out" > "$WORK/check.res"
    results_from "$WORK/check.res"
}

# timed_clients TAG SECONDS: the timed client ($NLONG long-lived + new connections, until
# finish_clients, at most 120 s) and wrk for SECONDS
timed_clients() {
    rm -f "$WORK/$1.ready" "$WORK/$1.stop"
    bg python3 "$HTTPCLIENT" timed 10.10.1.100 80 "$NLONG" 120 "$STALL" "$WORK/$1.ready" \
        "$WORK/$1.stop" "$WORK/$1.json"
    TIMED=${PIDS[-1]}
    bg wrk -t1 -c4 -d"$2"s --timeout "${STALL}s" http://10.10.1.100/ > "$WORK/wrk-$1.txt" 2>&1
    WRK=${PIDS[-1]}
    wait_until 20 "long-lived connections open" test -e "$WORK/$1.ready" || bad "$1: timed client not ready"
}

finish_clients() {   # TAG: stop the timed client, wait for both (bounded)
    touch "$WORK/$1.stop"
    wait_until 30 "clients of $1 done" sh -c "! kill -0 $TIMED 2>/dev/null && ! kill -0 $WRK 2>/dev/null" ||
        bad "$1: clients did not finish"
    if [ -s "$WORK/$1.json" ]; then check_timed "$WORK/$1.json" "$1"; else bad "$1: no client result"; fi
    expect "$1: wrk saw no error" wrk_check "$WORK/wrk-$1.txt"
}

