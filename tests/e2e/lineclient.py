#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Long-lived connections to tools/linesrv that time every request (standard library).

  lineclient.py HOST PORT N STALL PORTS_FILE STOP_FILE OUT_JSON [fresh]
      N connections; on each, a line every 100 ms until STOP_FILE appears (at most
      120 s). Every answer must be "NAME n=COUNT LINE" with COUNT one more than the
      last (the server's per-connection state); a request slower than STALL seconds is
      a stall. With "fresh", COUNT may start over once when another server answers
      (a relay opened a fresh connection to it). Writes the local ports to PORTS_FILE
      once all are connected; per connection, the servers that answered (in order) and
      every failure, to OUT_JSON.
"""
import json
import os
import socket
import sys
import threading
import time


def run(host, port, n, stall, ports_file, stop_file, out, fresh=False):
    conns, res = [], []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=stall)
        conns.append(s)
        res.append({"port": s.getsockname()[1], "servers": [], "lines": 0, "failures": [],
                    "max_s": 0.0})
    with open(ports_file + ".tmp", "w") as f:
        f.write("\n".join(str(r["port"]) for r in res) + "\n")
    os.rename(ports_file + ".tmp", ports_file)
    end = time.time() + 120

    def one(s, r):
        f = s.makefile("rb")
        k = base = 0
        while time.time() < end and not os.path.exists(stop_file):
            k += 1
            t0 = time.time()
            try:
                s.sendall(b"ping %d\n" % k)
                line = f.readline()
            except socket.timeout:
                r["failures"].append([t0, "stalled over %.1f s" % stall])
                return
            except OSError as e:
                r["failures"].append([t0, repr(e)])
                return
            dt = time.time() - t0
            r["max_s"] = max(r["max_s"], dt)
            parts = line.decode(errors="replace").split()
            if (fresh and len(parts) == 4 and r["servers"] and parts[0] != r["servers"][-1]
                    and parts[1].startswith("n=") and parts[1][2:].isdigit()):
                base = k - int(parts[1][2:])    # a fresh upstream counts from 1 again
            if len(parts) != 4 or parts[1] != "n=%d" % (k - base) or parts[3] != str(k):
                r["failures"].append([t0, "answer %r to line %d" % (line, k)])
                return
            if not r["servers"] or r["servers"][-1] != parts[0]:
                r["servers"].append(parts[0])
            r["lines"] = k
            time.sleep(0.1)
        s.close()

    threads = [threading.Thread(target=one, args=(s, r)) for s, r in zip(conns, res)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    a = sys.argv[1:]
    run(a[0], int(a[1]), int(a[2]), float(a[3]), a[4], a[5], a[6], len(a) > 7 and a[7] == "fresh")
