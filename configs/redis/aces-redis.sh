#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ACES hook recipe: a Redis primary handed over to its replacement with no acknowledged
# write lost (issue #12). Configure it as the endpoint's hooks:
#   "hooks": { "replicate": "REDIS_PORT=6380 /path/aces-redis.sh replicate",
#              "release":   "REDIS_PORT=6380 /path/aces-redis.sh release" }
# with the endpoint "statefulness": "persistent" (or "session") and "migrate": true, and on
# each backend host redis-server on REDIS_PORT behind aces-agent's Redis relay on the
# endpoint's backend port, its control socket at AGENT_CTL:
#   aces-agent --port 7800 --secret-file S --relay ADDR:6379=127.0.0.1:6380,redis --ctl /run/aces-agent.ctl
#
# replicate: the replacement becomes a replica of the original (REPLICAOF) and catches up;
#   then the original's relay is gated (its clients' next requests wait, those in flight get
#   their replies), the replica catches up to the last acknowledged write (offsets equal),
#   is promoted (REPLICAOF NO ONE) and the original becomes its replica. Exit 0: ACES cuts
#   over and moves every connection, its Redis session replayed; the requests that waited go
#   to the replacement. Any failure (or an abort: SIGTERM) ungates the original, detaches the
#   replacement, and exits 1: everything stays on the original, which never stopped being
#   the primary.
# release: the original's Redis is shut down (REDIS_RELEASE=shutdown, the default) or kept as
#   a replica of the replacement (REDIS_RELEASE=replica).
#
# Environment: from ACES, ACES_ORIGINAL and ACES_REPLACEMENT (one address each),
# ACES_BACKEND_PORT; REDIS_PORT (6379), AGENT_CTL (/run/aces-agent.ctl; %h: the host's
# address, where hosts share a file system), AGENT_BIN
# (aces-agent), ON_HOST (how to run a command on a backend host, %h its address; default
# "ssh -o BatchMode=yes root@%h"), REDIS_SYNC_S (60: initial sync), REDIS_CATCHUP_MS (5000),
# REDIS_GATE_MS (30000: the gate's limit should the moves not come), REDIS_RELEASE.
set -u
REDIS_PORT=${REDIS_PORT:-6379}
AGENT_CTL=${AGENT_CTL:-/run/aces-agent.ctl}
AGENT_BIN=${AGENT_BIN:-aces-agent}
ON_HOST=${ON_HOST:-ssh -o BatchMode=yes root@%h}
REDIS_SYNC_S=${REDIS_SYNC_S:-60}
REDIS_CATCHUP_MS=${REDIS_CATCHUP_MS:-5000}
REDIS_GATE_MS=${REDIS_GATE_MS:-30000}
REDIS_RELEASE=${REDIS_RELEASE:-shutdown}
O=${ACES_ORIGINAL:-}
R=${ACES_REPLACEMENT:-}
PORT=${ACES_BACKEND_PORT:-6379}

say() { echo "redis handover: $*"; }
ms() { date +%s%3N; }
on() { h=$1; shift; $(printf '%s' "$ON_HOST" | sed "s/%h/$h/g") "$@"; }
rcli() { h=$1; shift; on "$h" redis-cli -p "$REDIS_PORT" "$@"; }
ctl_of() { printf '%s' "$AGENT_CTL" | sed "s/%h/$1/g"; }
field() { rcli "$1" info replication | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p"; }

case "$O$R" in *,*) say "one original and one replacement backend, not '$O' and '$R'"; exit 2 ;; esac
[ -n "$O" ] && [ -n "$R" ] || { say "ACES_ORIGINAL and ACES_REPLACEMENT are needed"; exit 2; }

GATED=0
PROMOTED=0
undo() {
    if [ "$PROMOTED" = 0 ]; then
        rcli "$R" replicaof no one > /dev/null 2>&1
    fi
    if [ "$GATED" = 1 ]; then
        on "$O" "$AGENT_BIN" ctl "$(ctl_of "$O")" ungate "$PORT" > /dev/null 2>&1
    fi
}
fail() { undo; say "$*"; exit 1; }

case "${1:-}" in
replicate)
    trap 'fail "stopped (the transition was aborted or the hook timed out): the original stays primary"' TERM INT
    [ "$(rcli "$R" replicaof "$O" "$REDIS_PORT")" = OK ] || fail "REPLICAOF on $R refused"
    end=$(( $(date +%s) + REDIS_SYNC_S ))
    until [ "$(field "$R" master_link_status)" = up ] && [ "$(field "$R" master_sync_in_progress)" = 0 ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "$R did not sync from $O in $REDIS_SYNC_S s"
        sleep 0.1
    done
    t0=$(ms)
    out=$(on "$O" "$AGENT_BIN" ctl "$(ctl_of "$O")" gate "$PORT" "$REDIS_GATE_MS") ||
        fail "the original's relay could not be gated: $out"
    GATED=1
    end=$(( $(ms) + REDIS_CATCHUP_MS ))
    while :; do
        po=$(field "$O" master_repl_offset); ro=$(field "$R" slave_repl_offset)
        [ -n "$po" ] && [ "$po" = "$ro" ] && break
        [ "$(ms)" -lt "$end" ] || fail "$R did not catch up with $O in $REDIS_CATCHUP_MS ms ($ro of $po)"
        sleep 0.01
    done
    [ "$(rcli "$R" replicaof no one)" = OK ] || fail "promoting $R failed"
    PROMOTED=1
    # the original follows the new primary: a client left on it can read, but cannot write
    # where nothing would keep it
    rcli "$O" replicaof "$R" "$REDIS_PORT" > /dev/null || say "could not make $O a replica of $R"
    # short: the last line goes into ACES's event
    say "writes paused $(( $(ms) - t0 )) ms; $R primary at offset $po"
    ;;
release)
    if [ "$REDIS_RELEASE" = replica ]; then
        say "$O stays a replica of $R"
    else
        rcli "$O" shutdown nosave > /dev/null 2>&1
        if rcli "$O" ping > /dev/null 2>&1; then say "$O did not shut down"; exit 1; fi
        say "$O shut down"
    fi
    ;;
*)
    say "usage: aces-redis.sh replicate|release"; exit 2 ;;
esac
