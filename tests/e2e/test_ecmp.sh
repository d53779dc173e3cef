#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Three ACES instances behind a router's ECMP (issue #21), with real BIRD 2 speaking BGP and BFD
# through ACES's kernel path, nginx backends and a client that times every request:
#
#   client (10.20.0.2) -- rt: router + BIRD (10.20.0.1)
#                          |  br-aces 10.20.1.1/24 ---- a1 a2 a3: ACES client ports (.11 .12 .13)
#                          |                             each host: ACES + BIRD (VIPs up, returns)
#                          |  br-be   10.20.2.1/24 ---- a1 a2 a3: ACES backend ports (.11 .12 .13)
#                          |                        +-- b1: web-1 (.101), web-new-1 (.111); b2: web-2 (.102)
#
# The instances run configs/examples/ecmp-instance.json (addresses per instance) and BIRD
# configs/examples/ecmp-bird-aces.conf; the router configs/examples/ecmp-bird-router.conf. The
# router spreads the VIP's flows over the instances (L4 hash), and the backends' replies, which
# come to it (their default route), over the instances again (policy route for what comes in on
# br-be): a packet may reach any instance, which adopts what it has no flow for.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

EX=$ACES_ROOT/configs/examples
VIP=10.20.9.100
N=3
NLONG=${ECMP_NLONG:-200}     # (lib.sh has 20 for the other suites)
export HTTPCLIENT_INTERVAL=0.5      # 200 long-lived connections, a request each every 0.5 s

command -v bird >/dev/null || fail "bird (Debian's bird2) is not installed: tools/setup.sh installs it"

log "topology $P"
add_ns cl; add_ns rt; add_ns b1; add_ns b2
veth cl cl0 rt rc0
nsx cl ip addr add 10.20.0.2/24 dev cl0
nsx cl ip route add default via 10.20.0.1
nsx rt ip addr add 10.20.0.1/24 dev rc0
for br in br-aces br-be; do nsx rt ip link add $br type bridge; nsx rt ip link set $br up; done
nsx rt ip addr add 10.20.1.1/24 dev br-aces
nsx rt ip addr add 10.20.2.1/24 dev br-be
nsx rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.br-be.send_redirects=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
nsx rt ip rule add iif br-be lookup 200 pref 100
nsx rt ip route add blackhole 10.20.0.0/24 table 200 metric 10000
for b in 1 2; do
    veth "b$b" e0 rt "rb$b"
    nsx rt ip link set "rb$b" master br-be
    nsx "b$b" ip addr add "10.20.2.10$b/24" dev e0
    nsx "b$b" ip route add default via 10.20.2.1
    nsx "b$b" sysctl -qw net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.e0.accept_redirects=0
done
nsx b1 ip addr add 10.20.2.111/24 dev e0
start_nginx b1 10.20.2.101 web-1
start_nginx b2 10.20.2.102 web-2
start_nginx b1 10.20.2.111 web-new-1

# ---- the router's BIRD ----
# (logging to a file, and the sessions' state changes with their times)
sed -e 's|^log syslog all;|log stderr all;\ndebug protocols { states };|' "$EX/ecmp-bird-router.conf" > "$WORK/bird-rt.conf"
ip netns exec "${P}rt" bird -f -c "$WORK/bird-rt.conf" -s "$WORK/bird-rt.ctl" > "$WORK/bird-rt.log" 2>&1 &
PIDS+=($!)
birdc_rt() { birdc -s "$WORK/bird-rt.ctl" "$@"; }
wait_until 10 "router BIRD" birdc_rt show status || fail "BIRD on the router did not start: $(tail -5 "$WORK/bird-rt.log")"

# ---- the instances: namespace, ports on both bridges, ACES, BIRD ----
declare -A APID
inst_cfg() {    # inst_cfg I: the example with instance I's addresses, a smaller flow table
    python3 - "$EX/ecmp-instance.json" "$1" > "$WORK/aces-a$1.json" <<'EOP'
import json, sys
c = json.load(open(sys.argv[1])); i = int(sys.argv[2])
c["interfaces"]["client"]["address"] = "10.20.1.1%d/24" % i
c["interfaces"]["backend"]["address"] = "10.20.2.1%d/24" % i
c["flows"] = {"capacity": 65536}
print(json.dumps(c, indent=1))
EOP
}
start_inst() {  # start_inst I: ACES of instance I (its own file prefix, state file, CPUs)
    local i=$1 lc
    lc="0@$((i % 2)),1@$(((i + 1) % 2))"
    ip netns exec "${P}a$i" "$ACES_BIN" --lcores "$lc" --no-pci --in-memory \
        --file-prefix "${P}a$i" -m 128 \
        --vdev "net_af_packet0,iface=lbc,framecnt=2048" --vdev "net_af_packet1,iface=lbb,framecnt=2048" \
        -- --config "$WORK/aces-a$i.json" --state-file "$WORK/aces-a$i.state" >> "$WORK/aces-a$i.log" 2>&1 &
    APID[$i]=$!
    PIDS+=("${APID[$i]}")
    wait_until 30 "ACES a$i telemetry" "$ACESCTL" -f "${P}a$i" info ||
        fail "ACES a$i did not start: $(tail -20 "$WORK/aces-a$i.log")"
}
ctl_a() { local i=$1; shift; "$ACESCTL" -f "${P}a$i" "$@"; }
# diag I: what instance I, its BIRD and the router have (logged when a wait fails)
diag() {
    log "diag a$1: $(ctl_a "$1" routing 2>&1 | tr '\n' ';')"
    log "diag a$1 table 100: $(ip -n "${P}a$1" route show table 100 | tr '\n' ';')"
    log "diag a$1 BIRD: $(birdc -s "$WORK/bird-a$1.ctl" show route all 2>&1 | tr '\n' ';' | cut -c1-600)"
    log "diag a$1 BIRD protocols: $(birdc -s "$WORK/bird-a$1.ctl" show protocols 2>&1 | tr '\n' ';')"
    log "diag router: $(ip -n "${P}rt" route show $VIP | tr '\n' ';') / $(ip -n "${P}rt" route show table 200 | tr '\n' ';')"
    log "diag a$1 backends: $(ctl_a "$1" backends 2>&1 | tr '\n' ';')"
}
for i in $(seq 1 $N); do
    add_ns "a$i"
    veth "a$i" lbc rt "rc1$i"
    veth "a$i" lbb rt "rb1$i"
    nsx rt ip link set "rc1$i" master br-aces
    nsx rt ip link set "rb1$i" master br-be
    inst_cfg "$i"
    start_inst "$i"
    sed -e 's|^log syslog all;|log stderr all;|' -e "s|10\.20\.1\.11|10.20.1.1$i|g" \
        -e "s|10\.20\.2\.11|10.20.2.1$i|g" "$EX/ecmp-bird-aces.conf" > "$WORK/bird-a$i.conf"
    ip netns exec "${P}a$i" bird -f -c "$WORK/bird-a$i.conf" -s "$WORK/bird-a$i.ctl" > "$WORK/bird-a$i.log" 2>&1 &
    PIDS+=($!)
done

# paths IP [TABLE]: how many next hops the router's route to IP has
paths() {
    ip -n "${P}rt" route show ${2:+table $2} "$1" | grep -v '^blackhole' | python3 -c '
import sys
t = sys.stdin.read()
print(t.count("nexthop via") or (1 if " via " in t else 0))'
}
ret_paths() { paths 10.20.0.0/24 200; }
all_paths() { [ "$(paths $VIP)" = "$1" ] && [ "$(ret_paths)" = "$1" ]; }
expect "the router has the VIP and the clients' network over all three instances (BGP)" \
    wait_until 60 "3 paths to the VIP and the return network" all_paths 3
birdc_rt show protocols > "$WORK/protocols.txt"
expect "six BGP sessions established on the router ($(grep -c Established "$WORK/protocols.txt"))" \
    test "$(grep -c Established "$WORK/protocols.txt")" -eq 6
bfd_up() { [ "$(birdc_rt show bfd sessions | grep -c ' Up ')" -eq "$1" ]; }
expect "six BFD sessions up through the kernel paths" wait_until 10 "BFD up" bfd_up 6
for i in $(seq 1 $N); do
    expect "the router pings instance $i through its kernel path" nsx rt ping -c 2 -i 0.2 -W 1 -q "10.20.1.1$i"
done
log "router: $(ip -n "${P}rt" route show $VIP | tr '\n' ' ')"
expect "a request to the VIP is answered" nsx cl curl -sf -m 3 -o /dev/null "http://$VIP/"

# ECMP_HOLD=FILE: wait here while FILE exists (to look at the cluster by hand)
while [ -n "${ECMP_HOLD:-}" ] && [ -e "$ECMP_HOLD" ]; do sleep 1; done

new_flows() { ctl_a "$1" --json endpoint web | python3 -c 'import json,sys; print(json.load(sys.stdin)["new_flows"])'; }

# wrk paced: a request per connection every 10 ms (at most ~400 a second from 4 connections),
# so that the three instances, BIRD and the clients share this machine's two CPUs
echo 'function delay() return 10 end' > "$WORK/paced.lua"

# ---- load: NLONG long-lived connections (timed) + wrk; the three share it ----
# timed_ecmp TAG: the timed client and wrk until finish_ecmp
timed_ecmp() {
    rm -f "$WORK/$1.ready" "$WORK/$1.stop"
    bg python3 "$HTTPCLIENT" timed "$VIP" 80 "$NLONG" 300 "$STALL" "$WORK/$1.ready" "$WORK/$1.stop" "$WORK/$1.json"
    TIMED=${PIDS[-1]}
    bg wrk -t1 -c4 -d300s --timeout "${STALL}s" -s "$WORK/paced.lua" "http://$VIP/" > "$WORK/wrk-$1.txt" 2>&1
    WRK=${PIDS[-1]}
    wait_until 30 "long-lived connections open" test -e "$WORK/$1.ready" || bad "$1: timed client not ready"
}
finish_ecmp() {
    touch "$WORK/$1.stop"
    kill -INT "$WRK" 2>/dev/null
    wait_until 30 "clients of $1 done" sh -c "! kill -0 $TIMED 2>/dev/null && ! kill -0 $WRK 2>/dev/null" ||
        bad "$1: clients did not finish"
}
# check_ecmp TAG FROM TO: what the timed client saw; failures and slow requests between FROM and
# TO (epoch seconds: the window of a crash) are allowed, none elsewhere
check_ecmp() {
    python3 - "$WORK/$1.json" "$1" "$NLONG" "${2:-0}" "${3:-0}" <<'EOP' > "$WORK/$1.out"
import json, sys
r = json.load(open(sys.argv[1])); what = sys.argv[2]; nlong = int(sys.argv[3])
lo, hi = float(sys.argv[4]), float(sys.argv[5])
def check(c, m): print(("ok: " if c else "FAIL: ") + what + ": " + m)
longs = r["long"]
broken = [c for c in longs if c["failures"]]
check(len(longs) == nlong and not broken, "%d long-lived connections, %d broken %s"
      % (len(longs), len(broken), [c["failures"][0] for c in broken][:3]))
check(min(c["requests"] for c in longs) >= 5, "every long-lived connection answered throughout "
      "(fewest requests %d)" % min(c["requests"] for c in longs))
n = r["new"]
stall = r["stall_s"]
# a request is the crash's when it was under way in the window: started before its end and
# still running (a failure: for up to the stall limit) after its start
def in_window(t0, dt):
    return hi > 0 and t0 <= hi and t0 + dt >= lo
outside = [f for f in n["failures"] if not in_window(f[0], stall)]
check(n["requests"] > 20 and not outside, "%d requests on new connections, %d failed (%d of them "
      "outside the crash window) %s" % (n["requests"], len(n["failures"]), len(outside), outside[:3]))
slow = [s for s in r["slow"] if s[1] > 1.0 and not in_window(s[0], s[1])]
check(not slow, "no request slower than 1 s%s (%d: %s)" % (" outside the crash window" if hi else "",
      len(slow), [[round(x, 2) if isinstance(x, float) else x for x in s] for s in slow[:3]]))
inw = [s for s in r["slow"] if in_window(s[0], s[1])]
print("info: %s: %d requests on new connections, %d long-lived requests, slowest %.3f s; in the "
      "window: %d slow, %d failed" % (what, n["requests"], sum(c["requests"] for c in longs),
      max([c["max_s"] for c in longs] + [n["max_s"]]), len(inw), len(n["failures"]) - len(outside)))
EOP
    results_logged "$WORK/$1.out"
    # wrk counts no hang (the timed client does): here it adds load, and its errors count too
    grep -qE "requests in" "$WORK/wrk-$1.txt" && ! grep -qE "Socket errors|Non-2xx" "$WORK/wrk-$1.txt" &&
        ok "$1: wrk: $(awk '/requests in/ {print $1}' "$WORK/wrk-$1.txt") requests, no error" ||
        bad "$1: wrk: $(grep -E 'requests in|Socket errors|Non-2xx' "$WORK/wrk-$1.txt" | tr '\n' ' ')"
}

# ---- 1. spread over the three, from their counters ----
declare -A NF0
for i in $(seq 1 $N); do NF0[$i]=$(new_flows "$i"); done
timed_ecmp spread
# beside that load, close-mode connections: new flows for the spread to be measured on
nsx cl wrk -t1 -c16 -d4s -H 'Connection: close' "http://$VIP/" > "$WORK/wrk-close.txt" 2>&1
finish_ecmp spread
check_ecmp spread
tot=0; spread=""
declare -A NF
for i in $(seq 1 $N); do NF[$i]=$(( $(new_flows "$i") - NF0[$i] )); tot=$((tot + NF[$i])); spread+=" a$i ${NF[$i]}"; done
log "new flows per instance:$spread (of $tot)"
for i in $(seq 1 $N); do
    expect "instance $i took ${NF[$i]} of $tot new flows: within ±25 % of a third" \
        python3 -c "import sys; n, t = ${NF[$i]}, $tot; sys.exit(not (t > 300 and abs(n - t / 3) <= 0.25 * t / 3))"
done

# ---- 2. an instance SIGKILLed under load: the router drops it within 1 s (BFD) ----
timed_ecmp kill
sleep 2
# (the loop forks nothing but ip: $EPOCHREALTIME is bash's own clock)
nh() { ip -n "${P}rt" route show "$@" | grep -c "nexthop via"; }
t_kill=$EPOCHREALTIME
kill -KILL "${APID[3]}"
dropped=""
while [ "${EPOCHREALTIME%.*}" -lt $(( ${t_kill%.*} + 5 )) ]; do
    if [ "$(nh $VIP)" = 2 ] && [ "$(nh table 200 10.20.0.0/24)" = 2 ]; then dropped=$EPOCHREALTIME; break; fi
    sleep 0.01
done
wait "${APID[3]}" 2>/dev/null
drop_ms=$(python3 -c "print(int((${dropped:-0} - $t_kill) * 1000) if '$dropped' else -1)")
log "killed at $(date -d "@$t_kill" +%T.%N | cut -c1-12); the router's BIRD: $(grep -E 'aces3(_returns)?: State changed to down' "$WORK/bird-rt.log" | tail -2 | cut -c12-23,31- | tr '\n' ';')"
expect "the router dropped the killed instance from both routes in $drop_ms ms (BFD; at most 1000)" \
    test "$drop_ms" -ge 0 -a "$drop_ms" -le 1000
sleep 3
finish_ecmp kill
check_ecmp kill "$t_kill" "$(python3 -c "print($t_kill + max($drop_ms, 0) / 1000.0 + 1.5)")"

# ---- 3. the instance added again: BGP, BFD, kernel path; nothing broken ----
timed_ecmp add
start_inst 3
wait_until 30 "3 paths" all_paths 3 && ok "instance 3 back: the router spreads over three again" ||
    { bad "instance 3 back: the router spreads over three again"; diag 3; }
bgp_up() { [ "$(birdc_rt show protocols | grep -c Established)" -eq "$1" ]; }
expect "BGP and BFD sessions of instance 3 up again" wait_until 10 "6 BGP and BFD sessions" sh -c "$(declare -f birdc_rt bgp_up bfd_up); WORK=$WORK; bgp_up 6 && bfd_up 6"
expect "the router pings instance 3 through its kernel path" nsx rt ping -c 2 -i 0.2 -W 1 -q 10.20.1.13
sleep 2
finish_ecmp add
check_ecmp add

# ---- 4. rolling upgrade under load: drain, stop, start, announce, one at a time ----
timed_ecmp rolling
for i in $(seq 1 $N); do
    ctl_a "$i" drain > /dev/null || bad "acesctl drain of a$i refused"
    expect "a$i drained: the router takes it out of the VIP's route" \
        wait_until 10 "2 paths to the VIP" sh -c "[ \"\$(ip -n ${P}rt route show $VIP | grep -c 'nexthop via')\" = 2 ]"
    t0=$(date +%s%N)
    kill -TERM "${APID[$i]}"
    wait_until 20 "a$i stopped" sh -c "! kill -0 ${APID[$i]} 2>/dev/null" || bad "a$i did not stop"
    wait "${APID[$i]}"; rc=$?
    expect "a$i stopped cleanly (exit $rc, $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM: quiet, then its return prefix withdrawn)" \
        test "$rc" -eq 0
    start_inst "$i"
    wait_until 30 "3 paths" all_paths 3 && ok "a$i upgraded and announced again" ||
        { bad "a$i upgraded and announced again"; diag "$i"; }
    sleep 1
done
finish_ecmp rolling
check_ecmp rolling

# ---- 5. an instance without traffic takes little CPU, with its two BFD sessions (20 packets a
# second each way each, through the worker, the control lcore and the kernel path) and its
# probes; three of them and four BIRDs share two CPUs here. An idle ACES alone: test_e2e.sh
# (at most 5 %).
sleep 2
for i in $(seq 1 $N); do
    c=$(cpu_percent "${APID[$i]}" 5)
    expect "ACES a$i without traffic, BFD and probes running: $c % of a CPU (at most 8)" \
        python3 -c "import sys; sys.exit(not $c <= 8.0)"
done
for i in $(seq 1 $N); do
    ctl_a "$i" --json stats > "$WORK/stats-a$i.json"
    log "a$i: $(python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); c = s["control"]; d = s["drops"]
print("kernel path in %d out %d limited %d/%d; drops %s" % (c["kernel_path_in"], c["kernel_path_out"],
      c["kernel_path_in_limited"], c["kernel_path_out_limited"], {k: v for k, v in d.items() if v}))' "$WORK/stats-a$i.json")"
done

finish "ECMP cluster"
