#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install, build and run every test: unit (CUnit), data-plane (net_pcap), both
# plus the CLI config corpus, also under ASan/UBSan, the libFuzzer targets for a minute
# each, and end-to-end (namespaces, nginx, wrk). Runs every suite even after a failure; exits 1 if any failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

tools/setup.sh build || exit 1
if [ -d build-asan ]; then
    meson setup --reconfigure build-asan >/dev/null || exit 1
else
    meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Db_lto=false \
        -Dbuildtype=debug >/dev/null || exit 1
fi
ninja -C build-asan || exit 1

failed=()
total=0
run() {
    local name=$1
    shift
    total=$((total + 1))
    printf '\n===== %s\n' "$name"
    if "$@"; then
        printf '===== %s: ok\n' "$name"
    else
        printf '===== %s: FAILED\n' "$name"
        failed+=("$name")
    fi
}

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run "the rooms of app/ depend downward only" tools/check_layers.py
run "no import circle among app/ and lib/ files" tools/check_cycles.py build
run "unit + dataplane" meson test -C build --suite unit --suite dataplane --print-errorlogs
run "unit + dataplane under ASan/UBSan" meson test -C build-asan --suite unit --suite dataplane --print-errorlogs
run "fuzz targets (libFuzzer, ASan/UBSan), 60 s each" tools/fuzz.sh 60
run "end-to-end" env ACES_BUILD="$ROOT/build" tests/e2e/test_e2e.sh
run "end-to-end, 2 workers" env ACES_BUILD="$ROOT/build" ACES_WORKERS=2 tests/e2e/test_e2e.sh
run "end-to-end SYN flood beside established flows (net_af_packet)" env ACES_BUILD="$ROOT/build" tests/e2e/test_flood.sh
run "end-to-end transitions" env ACES_BUILD="$ROOT/build" tests/e2e/test_transition.sh
run "end-to-end health and re-sharding" env ACES_BUILD="$ROOT/build" tests/e2e/test_health.sh
run "end-to-end live reconfiguration and releases" env ACES_BUILD="$ROOT/build" tests/e2e/test_reload.sh
run "end-to-end live reconfiguration, 2 workers" env ACES_BUILD="$ROOT/build" ACES_WORKERS=2 tests/e2e/test_reload.sh
run "end-to-end connections moved by their application's agent (TCP_REPAIR)" env ACES_BUILD="$ROOT/build" tests/e2e/test_move.sh
# the second runs take the agent and linesrv built with ASan/UBSan: their reports fail the suite
run "end-to-end connections moved by the agent, 2 workers, agents under ASan" env ACES_BUILD="$ROOT/build" ACES_WORKERS=2 \
    AGENT="$ROOT/build-asan/app/agent/aces-agent" LINESRV="$ROOT/build-asan/tools/linesrv/linesrv" tests/e2e/test_move.sh
run "end-to-end 200 connections moved through the agents' relay" env ACES_BUILD="$ROOT/build" tests/e2e/test_migrate.sh
run "end-to-end relay moves, 2 workers, agents under ASan" env ACES_BUILD="$ROOT/build" ACES_WORKERS=2 \
    AGENT="$ROOT/build-asan/app/agent/aces-agent" LINESRV="$ROOT/build-asan/tools/linesrv/linesrv" tests/e2e/test_migrate.sh
run "end-to-end Redis sessions moved through the agents' Redis relay, agents under ASan" env ACES_BUILD="$ROOT/build" \
    AGENT="$ROOT/build-asan/app/agent/aces-agent" tests/e2e/test_redis.sh
run "end-to-end Redis handed over with its data (recipe configs/redis), agents under ASan" env ACES_BUILD="$ROOT/build" \
    AGENT="$ROOT/build-asan/app/agent/aces-agent" tests/e2e/test_redis_failover.sh
run "end-to-end path-MTU discovery and fragments through the VIP" env ACES_BUILD="$ROOT/build" tests/e2e/test_pmtu.sh
run "end-to-end path-MTU discovery and fragments, 2 workers" env ACES_BUILD="$ROOT/build" ACES_WORKERS=2 tests/e2e/test_pmtu.sh
run "end-to-end path-MTU discovery, the router on the backends' side" env ACES_BUILD="$ROOT/build" tests/e2e/test_pmtu_backend.sh
run "end-to-end kernel path on the ports and VIP routes (net_tap)" env ACES_BUILD="$ROOT/build" tests/e2e/test_kernel.sh
run "end-to-end three instances behind ECMP with BIRD (BGP, BFD): spread, SIGKILL, add, rolling upgrade" \
    env ACES_BUILD="$ROOT/build" tests/e2e/test_ecmp.sh
run "end-to-end restarts (state handover, SIGKILL)" env ACES_BUILD="$ROOT/build" tests/e2e/test_restart.sh
run "the demo (main job) and its transition picture" tests/e2e/test_demo.sh
run "end-to-end packet capture with dpdk-dumpcap" env ACES_BUILD="$ROOT/build" tests/e2e/test_capture.sh
run "benchmark harness smoke run" env ACES_BUILD="$ROOT/build" tools/bench/bench.py --smoke
run "connection-move benchmark smoke run" env ACES_BUILD="$ROOT/build" tools/bench/moves.sh --smoke
run "idle-workers benchmark smoke run (workers.idle sleep and busy)" env ACES_BUILD="$ROOT/build" tools/bench/idle.sh --smoke
run "comparison benchmark smoke run (kernel, nftables, HAProxy, nginx, ACES)" env ACES_BUILD="$ROOT/build" tools/bench/compare.sh --smoke

# Nothing may outlive the suites: appliance processes, nginx, namespaces, hugepage files.
leftovers() {
    local procs ns
    procs=$(pgrep -af "$ROOT/build[^ ]*/(app/aces|tools/bench/aces-gen|tools/linesrv/linesrv|app/agent/aces-agent)|aces-e2e|httpclient.py|lineclient.py|bulkclient.py|manyclient.py|redisclient.py|rediswriter.py|floodcheck.py|redis-server 127.0.0.1:6380|redis-benchmark|file-prefix bench|acesctl.* (timeline|exporter)|prometheus --config|dpdk-dumpcap|bird -f -c /tmp/aces-e2e" || true)
    ns=$(ip netns list | grep -E '^ae[0-9]+' || true)
    # hugepage files of the suites' DPDK prefixes (e2e ae<pid>aces, data-plane dp-*, bench)
    hp=$(ls /dev/hugepages 2>/dev/null | grep -E '^(ae[0-9]+|dp-|bench)' || true)
    # DPDK runtime folders of those prefixes and of the CLI, migrate, benchmark and pktgen runs
    rd=$(ls /var/run/dpdk 2>/dev/null | grep -E '^(ae[0-9]+|dp-|dpm[0-9]+|cli[0-9]+|bench|bgen|bpg|instr)' || true)
    if [ -n "$procs$ns$hp$rd" ]; then
        echo "left behind: $procs $ns $hp $rd"
        return 1
    fi
}
run "nothing left behind" leftovers

printf '\n'
if [ ${#failed[@]} -eq 0 ]; then
    echo "suites: $total passed, 0 failed"
    exit 0
fi
echo "failed suites: ${failed[*]}"
echo "suites: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
exit 1
