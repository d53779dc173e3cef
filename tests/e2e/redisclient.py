#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Long-lived Redis connections whose sessions must survive a move (standard library: RESP
spoken by hand), every request timed.

  redisclient.py HOST PORT N STALL READY_FILE STOP_FILE OUT_JSON
      N connections; connection i sends SELECT (i % 16), CLIENT SETNAME c<i>, then every
      100 ms CLIENT INFO (its db= and name= must still be the ones it set), INFO server
      (run_id: which Redis answered) and INCR k<i>, until STOP_FILE appears (at most 120 s).
      One more connection SUBSCRIBEs to "news" and records what it receives. A reply slower
      than STALL seconds, an error reply or a wrong session fails that connection.
      Writes: per connection the servers (run_ids, in order) and failures; the messages
      the subscriber got.
"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import cmd, read_reply  # noqa: E402


def one(host, port, i, stall, stop, end, r):
    try:
        s = socket.create_connection((host, port), timeout=stall)
        f = s.makefile("rb")
        s.sendall(cmd("SELECT", i % 16) + cmd("CLIENT", "SETNAME", "c%d" % i))
        read_reply(f)
        read_reply(f)
    except (OSError, RuntimeError, EOFError) as e:
        r["failures"].append("setup: %r" % e)
        return
    r["ready"] = True
    while time.time() < end and not os.path.exists(stop):
        t0 = time.time()
        try:
            s.sendall(cmd("CLIENT", "INFO") + cmd("INFO", "server") + cmd("INCR", "k%d" % i))
            info = read_reply(f).decode()
            server = read_reply(f).decode()
            read_reply(f)
        except (OSError, RuntimeError, EOFError) as e:
            r["failures"].append("%.3f: %r" % (t0, e))
            return
        dt = time.time() - t0
        r["max_s"] = max(r["max_s"], dt)
        fields = dict(kv.split("=", 1) for kv in info.split() if "=" in kv)
        if fields.get("db") != str(i % 16) or fields.get("name") != "c%d" % i:
            r["failures"].append("session lost: db=%s name=%s" % (fields.get("db"), fields.get("name")))
            return
        run_id = [ln.split(":", 1)[1].strip() for ln in server.splitlines() if ln.startswith("run_id:")]
        if run_id and (not r["servers"] or r["servers"][-1] != run_id[0]):
            r["servers"].append(run_id[0])
        r["requests"] += 1
        time.sleep(0.1)
    s.close()


def subscriber(host, port, stall, stop, end, r):
    try:
        s = socket.create_connection((host, port), timeout=stall)
        f = s.makefile("rb")
        s.sendall(cmd("SUBSCRIBE", "news"))
        read_reply(f)
        s.settimeout(None)      # messages come when they come; main() shuts it down at the end
        r["sock"] = s
        r["ready"] = True
        while True:
            m = read_reply(f)
            if isinstance(m, list) and m and m[0] == b"message":
                r["messages"].append(m[2].decode())
    except (OSError, RuntimeError, EOFError, ValueError) as e:
        if not r.get("stopping"):
            r["failures"].append(repr(e))


def main(host, port, n, stall, ready, stop, out):
    n, port, stall = int(n), int(port), float(stall)
    end = time.time() + 120
    res = [{"servers": [], "failures": [], "requests": 0, "max_s": 0.0, "ready": False}
           for _ in range(n)]
    sub = {"messages": [], "failures": [], "ready": False}
    th = [threading.Thread(target=one, args=(host, port, i, stall, stop, end, res[i])) for i in range(n)]
    th.append(threading.Thread(target=subscriber, args=(host, port, stall, stop, end, sub)))
    for t in th:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline and not (all(r["ready"] or r["failures"] for r in res) and
                                          (sub["ready"] or sub["failures"])):
        time.sleep(0.05)
    open(ready, "w").close()
    for t in th[:-1]:
        t.join()
    sub["stopping"] = True
    if "sock" in sub:
        sub["sock"].shutdown(socket.SHUT_RDWR)
    th[-1].join(5)
    sub.pop("sock", None)
    with open(out, "w") as f:
        json.dump({"conns": res, "subscriber": sub}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
