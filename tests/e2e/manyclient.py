#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Many long-lived line connections on one thread (selectors), every request timed.

  manyclient.py HOST PORT N INTERVAL_S STALL READY_FILE STOP_FILE OUT_JSON
      N connections to a linesrv; each sends "ping K" every INTERVAL_S (spread over the
      interval) until STOP_FILE appears (at most 300 s) and checks the answer
      "NAME n=COUNT K" (COUNT may start over when another server answers: a relay's
      fresh upstream). An answer slower than STALL seconds, a wrong one or a closed
      connection fails that connection. Touches READY_FILE once all are connected.
      Writes: connections, requests, the servers seen per connection, failures, latency
      percentiles (ms), to OUT_JSON.
"""
import json
import os
import selectors
import socket
import sys
import time


def main(host, port, n, interval, stall, ready, stop, out):
    n, interval, stall = int(n), float(interval), float(stall)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(n):
        s = socket.create_connection((host, int(port)), timeout=10)
        s.setblocking(False)
        c = {"s": s, "k": 0, "base": 0, "buf": b"", "sent": None, "servers": [], "fail": None,
             "next": time.time() + interval * i / n}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    open(ready, "w").close()
    lat, requests, end = [], 0, time.time() + 300
    while time.time() < end and not os.path.exists(stop):
        now = time.time()
        wait = 0.05
        for c in conns:
            if c["fail"]:
                continue
            if c["sent"] is None and now >= c["next"]:
                c["k"] += 1
                try:
                    c["s"].send(b"ping %d\n" % c["k"])
                except OSError as e:
                    c["fail"] = "send: %r" % e
                    continue
                c["sent"] = now
            elif c["sent"] is not None and now - c["sent"] > stall:
                c["fail"] = "no answer to line %d in %.1f s" % (c["k"], stall)
            elif c["sent"] is None:
                wait = min(wait, c["next"] - now)
        for key, _ in sel.select(max(0.0, wait)):
            c = key.data
            try:
                d = c["s"].recv(4096)
            except BlockingIOError:
                continue
            except OSError as e:
                c["fail"] = "recv: %r" % e
                sel.unregister(c["s"])
                continue
            if not d:
                c["fail"] = "closed after line %d" % c["k"]
                sel.unregister(c["s"])
                continue
            c["buf"] += d
            while b"\n" in c["buf"] and not c["fail"]:
                line, c["buf"] = c["buf"].split(b"\n", 1)
                parts = line.decode(errors="replace").split()
                if c["sent"] is None or len(parts) != 4 or parts[3] != str(c["k"]):
                    c["fail"] = "answer %r to line %d" % (line, c["k"])
                    break
                if c["servers"] and parts[0] != c["servers"][-1] and parts[1][2:].isdigit():
                    c["base"] = c["k"] - int(parts[1][2:])
                if parts[1] != "n=%d" % (c["k"] - c["base"]):
                    c["fail"] = "count %s on line %d" % (parts[1], c["k"])
                    break
                if not c["servers"] or c["servers"][-1] != parts[0]:
                    c["servers"].append(parts[0])
                t = time.time()
                lat.append((t - c["sent"]) * 1000)
                requests += 1
                c["sent"] = None
                c["next"] = t + interval
    lat.sort()

    def pct(q):
        return round(lat[min(len(lat) - 1, int(len(lat) * q))], 2) if lat else None

    res = {"connections": n, "requests": requests,
           "failed": [c["fail"] for c in conns if c["fail"]],
           "servers": {}, "latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999),
                                         "max": round(lat[-1], 2) if lat else None}}
    for c in conns:
        k = ",".join(c["servers"])
        res["servers"][k] = res["servers"].get(k, 0) + 1
        c["s"].close()
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
