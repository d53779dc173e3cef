#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live reconfiguration and release after release on the namespace topology, real nginx
# backends (each answers with its name: b10, b11, b20), a client that times every
# request on long-lived connections, and wrk:
#   1. a reload (SIGHUP) adds a backend: new flows reach it, established ones stay;
#   2. a reload (acesctl) removes one: new flows leave it, its flows drain (kept);
#   3. bad files (syntax, unknown key, an interface changed) change nothing and say why;
#   4. an endpoint added by a reload serves traffic; the removed backend is dropped once
#      its flows are gone;
#   5. three releases in a row, each a reload and a transition (b11 -> b20 -> b10 -> b11),
#      under load: 0 failed requests, every long-lived connection on the backend it
#      started on, transitions numbered 1, 2, 3.
# Prints "N passed, M failed"; exit status 1 when anything failed.
set -u
source "$(dirname "$0")/lib.sh"
trap topo_down EXIT
trap 'exit 130' INT TERM

NLONG=10
CFG=$WORK/aces-reload.json

# write_cfg ORIGINAL REPLACEMENT [ENDPOINTS]: backends as name=last-octet lists
# ("o10=10,o11=11"); ENDPOINTS: "web" or "web,api"
write_cfg() {
    python3 - "$CFG" "$1" "$2" "${3:-web}" <<'EOF'
import json, sys
path, orig, repl, eps = sys.argv[1:5]
def side(spec):
    return [{"name": n, "address": "10.10.2." + o} for n, o in
            (x.split("=") for x in spec.split(",") if x)]
ports = {"web": (80, 8080), "api": (81, 8081)}
cfg = {
    "interfaces": {"client": {"port": 0, "address": "10.10.1.1/24"},
                   "backend": {"port": 1, "address": "10.10.2.1/24"}},
    "applications": {"original": {"backends": side(orig)},
                     "replacement": {"backends": side(repl)}},
    "endpoints": [{"name": e, "vip": "10.10.1.100", "port": ports[e][0], "protocol": "tcp",
                   "backend_port": ports[e][1], "priority": "high"} for e in eps.split(",")],
    "flows": {"capacity": 65536, "tcp_transitory_timeout_s": 2},
    "manager": {"tick_ms": 100, "step_percent": 50, "step_interval_ms": 500,
                "drain_timeout_ms": 3000},
}
import os
if os.environ.get("API_RESET"):
    for e in cfg["endpoints"]:
        if e["name"] == "api":
            e.update({"drain_action": "reset", "drain_timeout_ms": 1500})
json.dump(cfg, open(path + ".tmp", "w"), indent=1)
EOF
    mv "$CFG.tmp" "$CFG"   # the file changes at once, as an editor's save does
}

cfg_field() { acesctl --json config | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
reloads_are() { [ "$(cfg_field reloads)" = "$1" ]; }
tstate() { acesctl --json transition status | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["state"], v["number"])'; }
state_is() { [ "$(tstate)" = "$1" ]; }
weight_is() { acesctl --json endpoint "$1" | python3 -c "import json,sys; sys.exit(json.load(sys.stdin)['replacement_weight'] != $2)"; }

# spread_is PORT WANT: 60 new connections, answered by exactly the backends WANT ("b10 b11")
spread_is() {
    local port=$1 want=$2 got
    nsx cl python3 "$HTTPCLIENT" spread 10.10.1.100 "$port" 60 "$WORK/spread.json"
    got=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
print(" ".join(sorted(r["answers"])) + (" errors:%d" % len(r["errors"]) if r["errors"] else ""))' "$WORK/spread.json")
    [ "$got" = "$want" ] || { log "new connections to :$port answered by '$got', want '$want'"; return 1; }
}

# reload_fails WHAT PATTERN: acesctl reload is refused with a message matching PATTERN
reload_fails() {
    local out
    if out=$(acesctl reload 2>&1); then log "reload of $1 accepted: $out"; return 1; fi
    log "reload of $1 refused: $out"
    echo "$out" | grep -qE "$2"
}

log "topology $P"
topo_up 2
start_nginx or1 10.10.2.10 b10 8080 8081
start_nginx or2 10.10.2.11 b11 8080 8081
start_nginx re 10.10.2.20 b20 8080 8081
write_cfg "o10=10" "r20=20"
start_aces "$CFG"
wait_until 15 "backends resolved by ARP" backends_resolved || bad "backends not resolved"

# ---- 1. a reload adds a backend
timed_clients basics 40
expect "new connections on o10 at start" spread_is 80 "b10"
write_cfg "o10=10,o11=11" "r20=20"
kill -HUP "$ACES_PID"
expect "SIGHUP reloads the file" wait_until 10 "reload 1" reloads_are 1
wait_until 10 "o11 resolved" backends_resolved || bad "o11 not resolved"
expect "new flows reach the added backend" spread_is 80 "b10 b11"
expect "the reload is an event" sh -c "\"$ACESCTL\" -f $ACES_PREFIX events | grep -q 'reload 1 (SIGHUP): 1 endpoints (+0 -0, 0 changed), 3 backends (+1 -0'"
log "$(acesctl config | grep last)"

# ---- 2. a reload removes one: its flows drain (drain_action keep)
write_cfg "o11=11" "r20=20"
expect "acesctl reload applies the file" acesctl reload
expect "the removed backend drains" test "$(cfg_field removed_backends_draining)" = 1
expect "new flows leave the removed backend" spread_is 80 "b11"
sleep 4   # past the drain deadline (3 s): flows of a "keep" endpoint stay

# ---- 3. bad files change nothing and say why
cp "$CFG" "$WORK/good.json"
echo '{ "interfaces": ' > "$CFG"
expect "a syntax error is refused, naming the file and place" \
    reload_fails "a truncated file" "aces-reload.json:[0-9]+:[0-9]+"
write_cfg "o11=11" "r20=20"
sed -i 's/"flows": {/"flows": { "bogus": 1,/' "$CFG"
expect "an unknown key is refused, naming it" reload_fails "an unknown key" "flows: .*bogus|flows.bogus"
write_cfg "o11=11" "r20=20"
sed -i 's|10.10.1.1/24|10.10.1.9/24|' "$CFG"
expect "an interface change is refused, naming the key" \
    reload_fails "an interface change" "interfaces.client.address: cannot change in a running process"
write_cfg "o11=11" "r20=20"
sed -i 's/"10.10.2.11"/"10.10.2.12"/' "$CFG"
expect "a backend's new address under its old name is refused" \
    reload_fails "an address change" 'backend "o11": its address changed'
write_cfg "o11=11,r20=20" "o10=10"
expect "a backend moving sides outside a release is refused" \
    reload_fails "a side change" 'moves from replacement to original|moves from original to replacement'
expect "refusals changed nothing" reloads_are 2
expect "refusals are counted" test "$(cfg_field reloads_refused)" = 5
expect "traffic is as before the refusals" spread_is 80 "b11"

# ---- 4. an endpoint added by a reload
write_cfg "o11=11" "r20=20" "web,api"
expect "a reload adds endpoint api" acesctl reload
expect "the added endpoint serves traffic" spread_is 81 "b11"
finish_clients basics
expect "every long-lived connection stayed on o10 (removed by the reload, drained)" \
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(any(c["first"] != "b10" for c in r["long"]))' "$WORK/basics.json"
drop_done() { acesctl reload >/dev/null && [ "$(cfg_field removed_backends_draining)" = 0 ]; }
expect "the removed backend is dropped once its flows are gone" wait_until 20 "drained" drop_done

# ---- 4b. a removed endpoint whose drain_action is reset: its connections are reset at the
# drain deadline (1.5 s), not before
API_RESET=1 write_cfg "o11=11" "r20=20" "web,api"
expect "a reload changes api's drain settings" acesctl reload
bg python3 "$HTTPCLIENT" persist 10.10.1.100 81 5 15 "$WORK/persist.ready" "$WORK/persist.json"
PERSIST=${PIDS[-1]}
wait_until 20 "api connections open" test -e "$WORK/persist.ready" || bad "persist client not ready"
write_cfg "o11=11" "r20=20" "web"
t_removed=$(date +%s.%N)
expect "a reload removes endpoint api" acesctl reload
expect "the removed endpoint drains" test "$(cfg_field removed_endpoints_draining)" = 1
expect "api takes no new connection" sh -c "! ip netns exec ${P}cl curl -s -m 2 -o /dev/null http://10.10.1.100:81/"
wait_until 30 "persist client done" sh -c "! kill -0 $PERSIST 2>/dev/null" || bad "persist client did not end"
expect "api's 5 connections were reset at the drain deadline, not before" python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); t0 = float(sys.argv[2])
late = [x[1] - t0 for x in r["resets"]]
print("resets after the reload: %s s" % ["%.2f" % d for d in late], file=sys.stderr)
sys.exit(not (len(late) == 5 and min(late) >= 1.4 and max(late) < 5 and not r["errors"]))' \
    "$WORK/persist.json" "$t_removed"

# ---- 5. three releases in a row under load: b11 -> b20 -> b10 -> b11
release() {   # N FROM TO ORIG_SPEC REPL_SPEC: reload (a release after the first), transition N
    local n=$1 from=$2 to=$3
    write_cfg "$4" "$5" "web,api"
    expect "release $n: the reload is taken" acesctl reload
    expect "release $n: idle, transition $((n - 1)) before it" state_is "idle $((n - 1))"
    expect "release $n: new flows still on $from after the reload" spread_is 80 "$from"
    timed_clients "release$n" 12
    acesctl transition start > /dev/null || bad "release $n: transition start refused"
    expect "release $n: transition $n running" state_is "running $n"
    expect "release $n: web moves to the replacement" wait_until 20 "web on the replacement" weight_is web 100
    expect "release $n: new flows on $to" spread_is 80 "$to"
    expect "release $n: a reload while it runs is taken" acesctl reload
    expect "release $n: ... and the transition goes on where it was" state_is "running $n"
    expect "release $n: ... with web still on the replacement" weight_is web 100
    finish_clients "release$n"
    expect "release $n: its long-lived connections started on $from" \
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(any(c["first"] != sys.argv[2] for c in r["long"]))' \
        "$WORK/release$n.json" "$from"
    expect "release $n: transition $n completes" wait_until 30 "complete" state_is "complete $n"
}
release 1 b11 b20 "o11=11" "r20=20"
# the replacement (r20) is the original now; the next version is on .10
release 2 b20 b10 "r20=20" "o10=10"
release 3 b10 b11 "o10=10" "o11=11"
expect "the events number the three transitions" sh -c "\"$ACESCTL\" -f $ACES_PREFIX events | grep -q 'transition 3 complete'"
start_refused() { local out; out=$(acesctl transition start 2>&1) && return 1; echo "$out" | grep -q 'next release is a reload'; }
expect "a start after a complete one without a release says what to do" start_refused

stop_aces TERM
finish "reload"
