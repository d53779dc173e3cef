#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Long-lived Redis writers that record every acknowledged write (standard library).

  rediswriter.py HOST PORT N STALL READY_FILE STOP_FILE OUT_JSON
      N connections; connection i repeats, every 20 ms: INCR k<i> (the reply is the count
      acknowledged) and SET s<i> <that count>; until STOP_FILE appears (at most 180 s).
      An error reply, a reply slower than STALL seconds or a closed connection ends that
      connection, recorded. Writes per connection the last acknowledged INCR and SET values,
      the number of requests, the slowest, and failures.
"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import cmd, read_reply as reply  # noqa: E402


def one(host, port, i, stall, stop, end, r):
    try:
        s = socket.create_connection((host, port), timeout=stall)
        f = s.makefile("rb")
    except OSError as e:
        r["failures"].append("connect: %r" % e)
        return
    r["ready"] = True
    while time.time() < end and not os.path.exists(stop):
        t0 = time.time()
        try:
            s.sendall(cmd("INCR", "k%d" % i))
            v = int(reply(f))
            r["incr"] = v
            s.sendall(cmd("SET", "s%d" % i, v))
            if reply(f) != b"OK":
                raise RuntimeError("SET not OK")
            r["set"] = v
        except (OSError, RuntimeError, EOFError, ValueError) as e:
            r["failures"].append("%.3f: %r" % (t0, e))
            return
        if time.time() - t0 > r["max_s"]:
            r["max_s"], r["max_at"] = time.time() - t0, t0
        r["requests"] += 1
        time.sleep(0.02)
    s.close()


def main(host, port, n, stall, ready, stop, out):
    n, port, stall = int(n), int(port), float(stall)
    end = time.time() + 180
    res = [{"incr": 0, "set": 0, "requests": 0, "max_s": 0.0, "max_at": 0.0, "failures": [], "ready": False}
           for _ in range(n)]
    th = [threading.Thread(target=one, args=(host, port, i, stall, stop, end, res[i])) for i in range(n)]
    for t in th:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline and not all(r["ready"] or r["failures"] for r in res):
        time.sleep(0.05)
    open(ready, "w").close()
    for t in th:
        t.join()
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
