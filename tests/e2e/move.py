#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Move established connections from one linesrv to another, by hand, through ACES:
the steps issue #11's manager phase will take (hold every flow, the old server exports
its sockets, the new one imports them, re-point every flow, release), over the
telemetry socket.

  move.py PREFIX ENDPOINT CLIENT_IP PORTS_FILE OLD_PID OLD_LOG DIR BACKEND OUT_JSON
"""
import glob
import importlib.machinery
import importlib.util
import json
import os
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def acesctl():
    loader = importlib.machinery.SourceFileLoader("acesctl", os.path.join(ROOT, "tools", "acesctl"))
    spec = importlib.util.spec_from_loader("acesctl", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main(prefix, ep, client_ip, ports_file, old_pid, old_log, d, backend, out):
    ctl = acesctl()
    c = ctl.Client(prefix)
    ports = [int(p) for p in open(ports_file).read().split()]
    res = {"held": 0, "moved": 0, "errors": [], "freeze_ms": []}
    held_at = {}
    for p in ports:
        try:
            c.call("/aces/flow/hold", ep, "%s:%d" % (client_ip, p))
            held_at[p] = time.time()
            res["held"] += 1
        except ctl.AcesError as e:
            res["errors"].append("hold %d: %s" % (p, e))
    os.kill(old_pid, signal.SIGUSR1)
    end = time.time() + 20
    want = "handed over %d connections" % len(ports)
    while time.time() < end:
        handed = want in open(old_log).read()
        left = glob.glob(os.path.join(d, "*.conn")) + glob.glob(os.path.join(d, "*.tmp"))
        if handed and not left:
            break
        time.sleep(0.01)
    else:
        res["errors"].append("the sockets were not handed over and adopted in 20 s")
    for p in ports:
        try:
            c.call("/aces/flow/repoint", ep, "%s:%d" % (client_ip, p), backend)
            c.call("/aces/flow/release", ep, "%s:%d" % (client_ip, p))
            res["moved"] += 1
            res["freeze_ms"].append((time.time() - held_at[p]) * 1000)
        except (ctl.AcesError, KeyError) as e:
            res["errors"].append("move %d: %s" % (p, e))
    c.close()
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1], a[2], a[3], int(a[4]), a[5], a[6], a[7], a[8])
