#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end: ACES on net_af_packet ports in network namespaces, real nginx
# backends, real clients (curl, wrk, ping, Python sockets). Needs root and
# hugepages. Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM


# json FILE EXPR: evaluate a Python expression on the JSON document "d".
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }


CFG=$WORK/e2e.json
sed 's/"capacity": 65536/"capacity": 262144/' "$ACES_ROOT/configs/demo.json" > "$CFG"

log "topology $P"
topo_up 1
start_nginx or1 10.10.2.10 original
start_nginx re 10.10.2.20 replacement
start_udp_echo or1 10.10.2.10 original
start_udp_echo re 10.10.2.20 replacement
start_aces "$CFG"
if [ -n "${E2E_CAPTURE:-}" ]; then
    for d in lbc lbb; do
        ip netns exec "${P}lb" tcpdump -i $d -w "$E2E_CAPTURE-$d.pcap" -s 128 -U >/dev/null 2>&1 &
        PIDS+=($!)
    done
fi
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved: $(acesctl backends)"
# the start-up journal says what happened (issue #14): no side went "up -> down" while its
# backends were being resolved
startup=$(acesctl --json events | python3 -c 'import json,sys; print(len([e for e in json.load(sys.stdin) if e["endpoint"] == "-" and e["to"] == "down"]))')
expect "start-up journal: no side reported down while its backends were resolved ($startup)" [ "$startup" = 0 ]

# 1. curl through the TCP VIP: every answer from the original (assignment: original)
answers=$(for i in $(seq 1 20); do nsx cl curl -s -m 5 http://10.10.1.100/ || echo FAILED; done | sort | uniq -c)
expect "curl: 20 of 20 answered by the original" [ "$(echo "$answers" | awk '{$1=$1};1')" = "20 original" ]

# 2. UDP endpoint through the VIP
udp=$(nsx cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
got = []
for i in range(5):
    s.sendto(b"q%d" % i, ("10.10.1.100", 53))
    d, a = s.recvfrom(100)
    got.append("%s %s:%d" % (d.decode(), a[0], a[1]))
print("|".join(got))')
expect "udp: 5 answers from the original, from VIP:53 ($udp)" \
    [ "$udp" = "original:q0 10.10.1.100:53|original:q1 10.10.1.100:53|original:q2 10.10.1.100:53|original:q3 10.10.1.100:53|original:q4 10.10.1.100:53" ]

# 3. ping the VIP
expect "ping: the VIP answers" nsx cl ping -c 3 -i 0.2 -W 2 -q 10.10.1.100 >/dev/null

# 4. wrk through the VIP
nsx cl wrk -t1 -c16 -d4s http://10.10.1.100/ > "$WORK/wrk1.txt" 2>&1
expect "wrk: all requests succeed" wrk_check "$WORK/wrk1.txt"
# ... and a new connection per request, 32 and then 64 at a time: ordinary load, however
# bursty, sheds no new flow; ACES sheds on evidence of loss only (issue #26: runs of full
# bursts were taken for overload, and 68-81 SYNs were shed at 32 connections, ~400 at 64,
# while the kernel counted not one packet lost on ACES's interfaces)
shed_now() { acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"]["new_flow_shed"])'; }
missed_now() { acesctl --json stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(v["hw_rx_missed"] for v in d.values() if isinstance(v, dict) and "hw_rx_missed" in v))'; }
for run in 32:4 64:8; do
    c=${run%:*} secs=${run#*:}
    before=$(shed_now) missed=$(missed_now)
    nsx cl wrk -t1 -c"$c" -d"$secs"s -H "Connection: close" http://10.10.1.100/ > "$WORK/wrk1c$c.txt" 2>&1
    expect "wrk, Connection: close, $c connections: all requests succeed" wrk_check "$WORK/wrk1c$c.txt"
    shed=$(( $(shed_now) - before ))
    log "close mode, $c connections for ${secs}s: $shed new flows shed, $(( $(missed_now) - missed )) received packets lost"
    expect "steady wrk load, $c close-mode connections: no new flow shed ($shed)" [ "$shed" = 0 ]
done

# 5. 50 long-lived connections on the original, then the endpoint moves while wrk runs
GO=$WORK/go
ip netns exec "${P}cl" python3 "$HTTPCLIENT" longlived 10.10.1.100 80 50 "$GO" "$WORK/ll.json" > "$WORK/ll.out" 2>&1 &
LLPID=$!
PIDS+=("$LLPID")
wait_until 30 "50 long-lived connections open" grep -q READY "$WORK/ll.out" || bad "long-lived client not ready: $(cat "$WORK/ll.out")"
ip netns exec "${P}cl" wrk -t1 -c16 -d6s http://10.10.1.100/ > "$WORK/wrk2.txt" 2>&1 &
WRKPID=$!
PIDS+=("$WRKPID")
sleep 2
expect "assign web to the replacement" acesctl assign web replacement
touch "$GO"
wait "$LLPID"
wait "$WRKPID"
expect "long-lived: 50 first requests answered by the original" [ "$(json "$WORK/ll.json" 'd["before"]')" = "{'original': 50}" ]
expect "long-lived: all 150 requests on the 50 old connections still answered by the original" \
    [ "$(json "$WORK/ll.json" 'd["after_old"]')" = "{'original': 150}" ]
expect "long-lived: all 200 new connections answered by the replacement" \
    [ "$(json "$WORK/ll.json" 'd["after_new"]')" = "{'replacement': 200}" ]
expect "long-lived: no connection error ($(json "$WORK/ll.json" 'd["errors"][:3]'))" \
    [ "$(json "$WORK/ll.json" 'len(d["errors"])')" = 0 ]
expect "wrk during the change: all requests succeed" wrk_check "$WORK/wrk2.txt"
expect "curl after the change: answered by the replacement" [ "$(nsx cl curl -s -m 5 http://10.10.1.100/)" = replacement ]

# 6. split 30 %: over 2000 new connections the replacement's share is 30 % +- 5 %
expect "assign web 30" acesctl assign web 30
nsx cl python3 "$HTTPCLIENT" spread 10.10.1.100 80 2000 "$WORK/spread.json"
repl=$(json "$WORK/spread.json" 'd["answers"].get("replacement", 0)')
orig=$(json "$WORK/spread.json" 'd["answers"].get("original", 0)')
errs=$(json "$WORK/spread.json" 'len(d["errors"])')
log "split 30: replacement $repl, original $orig, errors $errs"
expect "split: 2000 answers, no error" [ "$((repl + orig))" = 2000 -a "$errs" = 0 ]
expect "split: replacement share $repl/2000 within 30 % +- 5 %" [ "$repl" -ge 500 -a "$repl" -le 700 ]

# 7. bad telemetry parameters are refused with a reason, nothing changes
out=$(acesctl assign web 101 2>&1); rc=$?
expect "assign web 101 refused with a reason ($out)" [ $rc -eq 1 -a -n "$(echo "$out" | grep 'not original, replacement, auto or a weight')" ]
out=$(acesctl assign nosuch original 2>&1); rc=$?
expect "assign to an unknown endpoint refused ($out)" [ $rc -eq 1 -a -n "$(echo "$out" | grep 'no endpoint named')" ]
expect "web still at 30 % after refused commands" [ "$(acesctl --json endpoint web | python3 -c 'import json,sys; print(json.load(sys.stdin)["replacement_weight"])')" = 30 ]

# 8. nothing dropped for a reason that real traffic should never hit
drops=$(acesctl --json stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["drops"]
print(" ".join("%s=%d" % kv for kv in d.items() if kv[1] and kv[0] not in ("l2_other_host", "non_ip", "ip_multicast")))')
expect "no unexpected drops (${drops:-none})" [ -z "$drops" ]
# 9. another DPDK process with its own --file-prefix runs beside this one
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$WORK/empty.pcap"
cat > "$WORK/other.json" <<EOC
{"interfaces": {"client": {"port": 0, "address": "10.77.0.1/24"}, "backend": {"port": 0, "address": "10.77.1.1/24"}},
 "applications": {"original": {"backends": [{"name": "o", "address": "10.77.1.2"}]},
                  "replacement": {"backends": [{"name": "r", "address": "10.77.1.3"}]}},
 "endpoints": [{"name": "x", "vip": "10.77.0.9", "port": 80, "protocol": "tcp"}], "flows": {"capacity": 1024}}
EOC
"$ACES_BIN" -l 0-1 --no-pci --no-huge -m 256 --file-prefix "${P}other" \
    --vdev "net_pcap0,rx_pcap=$WORK/empty.pcap,tx_pcap=$WORK/other-out.pcap" -- --config "$WORK/other.json" --no-state \
    > "$WORK/other.log" 2>&1 &
OTHER=$!
PIDS+=("$OTHER")
expect "a second appliance (prefix ${P}other) answers telemetry" \
    wait_until 30 "second appliance" "$ACESCTL" -f "${P}other" info
answers=$(for i in $(seq 1 10); do nsx cl curl -s -m 5 http://10.10.1.100/ || echo FAILED; done | grep -c -E '^(original|replacement)$')
expect "the first appliance serves 10 of 10 requests beside it" [ "$answers" = 10 ]
stop_pid "$OTHER"
log "second appliance stopped"
expect "a clean stop removes its DPDK runtime folder (/var/run/dpdk/${P}other)" [ ! -e "/var/run/dpdk/${P}other" ]
if [ "${ACES_WORKERS:-1}" = 2 ]; then
    # bounded: one CI run stalled ~6 min somewhere between the line above and the next one
    handed=$(timeout 30 "$ACESCTL" -f "$ACES_PREFIX" --json stats |
             python3 -c 'import json,sys; print(json.load(sys.stdin)["handed_to_owner_worker"])')
    expect "2 workers: packets reached the other worker and were handed to their flow's owner ($handed)" [ "$handed" -gt 0 ]
fi
expect "aces still running" kill -0 "$ACES_PID"

# 10. idle workers sleep by default (workers.idle: sleep): no traffic for 5 s, health probes
# and ARP going on; then "busy" on the same ports, which the same measurement must see
sleeps0=$(acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["worker_idle_sleeps"])')
idle=$(cpu_percent "$ACES_PID" 5)
sleeps1=$(acesctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["worker_idle_sleeps"])')
# the goal is 5 % of a CPU for the default, one worker; each further worker adds its own
# wake-ups (measured: 3.2-4.0 % with one, 5.4 % with two), so the bound is 5 % per worker
NW=${ACES_WORKERS:-1}
expect "idle: ACES with $NW worker(s) takes at most $((5 * NW)) % of a CPU by default ($idle %)" \
    python3 -c "import sys; sys.exit(not $idle <= 5.0 * $NW)"
expect "idle: its workers slept ($((sleeps1 - sleeps0)) sleeps)" [ "$((sleeps1 - sleeps0))" -gt 0 ]
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["workers"]={"idle": "busy"}; json.dump(d, open(sys.argv[2], "w"))' "$CFG" "$WORK/busy.json"
fresh_aces "$WORK/busy.json"
busy=$(cpu_percent "$ACES_PID" 3)
expect "workers.idle busy: the worker polls on, and the measurement sees it ($busy % of a CPU)" python3 -c "import sys; sys.exit(not $busy >= 50.0)"
expect "aces (busy) still running" kill -0 "$ACES_PID"

finish e2e
