#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What idle workers cost and save (issue #21, workers.idle): ACES with "sleep" (the default)
# and with "busy" polling, interleaved round by round on the e2e namespace topology
# (tests/e2e/lib.sh: net_af_packet on veth, nginx and a UDP echo as backends), reporting
#   - the CPU an idle ACES takes (all its threads, /proc utime + stime, percent of one CPU);
#   - the latency it adds at a low rate: UDP requests through the VIP, one every 50 ms, each
#     timed by the client (p50 / p99 / max);
#   - keep-alive HTTP throughput through the VIP at full load (wrk, requests/s; the client,
#     nginx and ACES share this machine's CPUs, which is where sleeping workers matter).
# The ratios are sleep / busy of the same round (paired); the medians over the rounds.
#
#   tools/bench/idle.sh [--smoke] [--rounds N] [--out FILE]
# --smoke: one round, short windows (CI keeps it working). As root. Writes the results to
# build/bench/idle.json (or --out). Exit status 1 when a run failed (a request unanswered,
# wrk errors).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

ROUNDS=3 IDLE_S=10 REQS=200 WRK_S=6 OUT=$ACES_BUILD/bench/idle.json
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) ROUNDS=1 IDLE_S=3 REQS=40 WRK_S=2 ;;
        --rounds) ROUNDS=$2; shift ;;
        --out) OUT=$2; shift ;;
        *) echo "usage: $0 [--smoke] [--rounds N] [--out FILE]" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$(dirname "$OUT")"

topo_up 1
start_nginx or1 10.10.2.10 original
start_nginx re 10.10.2.20 replacement
start_udp_echo or1 10.10.2.10 original
start_udp_echo re 10.10.2.20 replacement
for mode in sleep busy; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["workers"]={"idle": sys.argv[3]}; json.dump(d, open(sys.argv[2], "w"))' \
        "$ACES_ROOT/configs/demo.json" "$WORK/$mode.json" "$mode"
done

# one_run MODE ROUND: a fresh ACES with workers.idle MODE; its figures as a JSON line
one_run() {
    local mode=$1 round=$2 cpu lat rps
    if [ -n "${ACES_PID:-}" ]; then fresh_aces "$WORK/$mode.json"; else start_aces "$WORK/$mode.json"; fi
    wait_until 15 "backends resolved by ARP" backends_resolved || { log "$mode: backends not resolved"; return 1; }
    cpu=$(cpu_percent "$ACES_PID" "$IDLE_S")
    lat=$(nsx cl python3 - "$REQS" <<'EOP'
import json, socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
rtt, lost = [], 0
for i in range(n):
    t0 = time.perf_counter()
    s.sendto(b"q%d" % i, ("10.10.1.100", 53))
    try:
        while True:     # a late answer to an earlier request is not this one's
            d, _ = s.recvfrom(100)
            if d.endswith(b":q%d" % i):
                break
        rtt.append((time.perf_counter() - t0) * 1e6)
    except socket.timeout:
        lost += 1
    time.sleep(0.05)
rtt.sort()
pick = lambda q: rtt[min(len(rtt) - 1, int(q * len(rtt)))] if rtt else -1
print(json.dumps({"p50_us": round(pick(0.5)), "p99_us": round(pick(0.99)),
                  "max_us": round(rtt[-1]) if rtt else -1, "lost": lost}))
EOP
)
    nsx cl wrk -t1 -c16 -d"${WRK_S}s" http://10.10.1.100/ > "$WORK/wrk-$mode-$round.txt" 2>&1
    wrk_check "$WORK/wrk-$mode-$round.txt" || { log "$mode: wrk failed"; return 1; }
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$mode-$round.txt")
    echo "{\"mode\": \"$mode\", \"round\": $round, \"idle_cpu_percent\": $cpu, \"udp\": $lat, \"wrk_rps\": $rps}" \
        >> "$WORK/runs.jsonl"
    log "$mode round $round: idle CPU $cpu %, UDP at 20/s $lat, wrk $rps requests/s"
}

status=0
for r in $(seq 1 "$ROUNDS"); do
    # which mode runs first alternates, so a drift of the machine's speed favours neither
    if [ $((r % 2)) = 1 ]; then order="sleep busy"; else order="busy sleep"; fi
    for m in $order; do one_run "$m" "$r" || status=1; done
done

python3 - "$WORK/runs.jsonl" "$OUT" "$status" <<'EOP'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])] if sys.argv[3] == "0" else []
by = {}
for r in runs:
    by.setdefault(r["round"], {})[r["mode"]] = r
pairs = [v for v in by.values() if len(v) == 2]
med = lambda xs: statistics.median(xs) if xs else None
out = {"rounds": len(pairs), "runs": runs}
if pairs:
    for m in ("sleep", "busy"):
        out[m] = {"idle_cpu_percent": med([p[m]["idle_cpu_percent"] for p in pairs]),
                  "udp_p50_us": med([p[m]["udp"]["p50_us"] for p in pairs]),
                  "udp_p99_us": med([p[m]["udp"]["p99_us"] for p in pairs]),
                  "udp_lost": sum(p[m]["udp"]["lost"] for p in pairs),
                  "wrk_rps": med([p[m]["wrk_rps"] for p in pairs])}
    out["wrk_sleep_over_busy_paired"] = med([p["sleep"]["wrk_rps"] / p["busy"]["wrk_rps"] for p in pairs])
    print("| workers.idle | idle CPU (% of one) | UDP at 20/s p50 | p99 | lost | wrk keep-alive requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m in ("sleep", "busy"):
        x = out[m]
        print("| %s | %.1f | %d us | %d us | %d | %.0f |" % (m, x["idle_cpu_percent"], x["udp_p50_us"],
                                                           x["udp_p99_us"], x["udp_lost"], x["wrk_rps"]))
    print("wrk sleep / busy, paired median over %d rounds: %.2f" % (len(pairs), out["wrk_sleep_over_busy_paired"]))
json.dump(out, open(sys.argv[2], "w"), indent=1)
lost = sum(r["udp"]["lost"] for r in runs)
sys.exit(1 if sys.argv[3] != "0" or not pairs or lost else 0)
EOP
