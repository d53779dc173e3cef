#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Real HTTP clients for the end-to-end tests (plain sockets, standard library).

  httpclient.py longlived URL_HOST PORT N GO_FILE OUT_JSON
      open N keep-alive connections, one request each; print READY; wait for
      GO_FILE; then 3 more requests on every old connection and 200 requests on
      new connections; write who answered what to OUT_JSON.
  httpclient.py spread HOST PORT N OUT_JSON
      N requests, each on a new connection; count the answering backends.
  httpclient.py multi HOST SECONDS OUT_JSON PORT...
      new connections to every PORT in parallel for SECONDS; answers per port.
  httpclient.py persist HOST PORT N SECONDS READY_FILE OUT_JSON
      N long-lived connections, one request each every 200 ms; which completed,
      which were reset (and when).
  httpclient.py traffic HOST PORT SECONDS NLONG OUT_JSON
      for SECONDS: requests on new connections, plus NLONG keep-alive
      connections that each send a request every 100 ms; a progress line a
      second; totals (by backend, failed requests, broken connections) to OUT_JSON.
  httpclient.py timed HOST PORT NLONG SECONDS STALL READY_FILE STOP_FILE OUT_JSON
      NLONG long-lived connections, each in its own thread sending a request every
      100 ms, and a thread making requests on new connections, until SECONDS pass or
      STOP_FILE appears; every request is timed, one over STALL seconds is a stall
      (the socket times out then); per connection: the backend it started on, every
      backend that answered it, requests, failures, the slowest request; and every request
      slower than 0.5 s with its start ("slow"). $HTTPCLIENT_INTERVAL: the pause between a
      long-lived connection's requests (default 0.1 s).
Bodies name the backend ("original" / "replacement"). Every wait is bounded."""
import json
import os
import socket
import sys
import time

REQ = b"GET / HTTP/1.1\r\nHost: aces\r\n\r\n"
REQ_CLOSE = b"GET / HTTP/1.1\r\nHost: aces\r\nConnection: close\r\n\r\n"


def read_response(s):
    """Read one HTTP/1.1 response with Content-Length; return (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before headers")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    while len(rest) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed in body")
        rest += chunk
    return status, rest[:length].decode().strip()


def request(s, close=False):
    s.sendall(REQ_CLOSE if close else REQ)
    return read_response(s)


def one_shot(host, port):
    s = socket.create_connection((host, port), timeout=5)
    try:
        return request(s, close=True)
    finally:
        s.close()


def longlived(host, port, n, go_file, out):
    res = {"before": {}, "after_old": {}, "after_new": {}, "errors": []}

    def count(bucket, status, body):
        key = body if status == 200 else "status-%d" % status
        res[bucket][key] = res[bucket].get(key, 0) + 1

    conns = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=5)
        conns.append(s)
        count("before", *request(s))
    print("READY", flush=True)
    end = time.time() + 120
    while not os.path.exists(go_file):
        if time.time() > end:
            res["errors"].append("no go signal within 120 s")
            break
        time.sleep(0.05)
    for s in conns:
        for _ in range(3):
            try:
                count("after_old", *request(s))
            except OSError as e:
                res["errors"].append("old connection: %s" % e)
                break
    for _ in range(200):
        try:
            count("after_new", *one_shot(host, port))
        except OSError as e:
            res["errors"].append("new connection: %s" % e)
    for s in conns:
        s.close()
    with open(out, "w") as f:
        json.dump(res, f)


def spread(host, port, n, out):
    res = {"answers": {}, "errors": []}
    end = time.time() + 300
    for _ in range(n):
        if time.time() > end:
            res["errors"].append("time limit reached")
            break
        try:
            status, body = one_shot(host, port)
            key = body if status == 200 else "status-%d" % status
            res["answers"][key] = res["answers"].get(key, 0) + 1
        except OSError as e:
            res["errors"].append(str(e))
    with open(out, "w") as f:
        json.dump(res, f)


def traffic(host, port, seconds, nlong, out):
    import threading
    lock = threading.Lock()
    st = {"new": {}, "long": {}, "failed": 0, "broken": 0}
    stop_at = time.time() + seconds

    def tally(kind, status, body):
        with lock:
            if status == 200:
                st[kind][body] = st[kind].get(body, 0) + 1
            else:
                st["failed"] += 1

    def new_conns():
        while time.time() < stop_at:
            try:
                tally("new", *one_shot(host, port))
            except OSError:
                with lock:
                    st["failed"] += 1
            time.sleep(0.01)

    def long_conns():
        conns = []
        for _ in range(nlong):
            try:
                conns.append(socket.create_connection((host, port), timeout=5))
            except OSError:
                with lock:
                    st["broken"] += 1
        while time.time() < stop_at and conns:
            for s in list(conns):
                try:
                    tally("long", *request(s))
                except OSError:
                    with lock:
                        st["broken"] += 1
                        st["failed"] += 1
                    conns.remove(s)
            time.sleep(0.1)
        for s in conns:
            s.close()

    threads = [threading.Thread(target=new_conns), threading.Thread(target=long_conns)]
    for t in threads:
        t.start()
    t0 = time.time()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        with lock:
            print("  t=%2ds  new connections: %-36s long-lived: %-22s failed %d, broken %d" % (
                time.time() - t0, fmt(st["new"]), fmt(st["long"]), st["failed"], st["broken"]),
                flush=True)
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(st, f)


def multi(host, seconds, out, ports):
    """New connections to several ports at once, for SECONDS; answers per port."""
    import threading
    lock = threading.Lock()
    res = {str(p): {"answers": {}, "failures": []} for p in ports}
    stop_at = time.time() + seconds

    def loop(port):
        r = res[str(port)]
        while time.time() < stop_at:
            connected = None
            try:
                s = socket.create_connection((host, port), timeout=5)
                connected = time.time()
                try:
                    status, body = request(s, close=True)
                finally:
                    s.close()
                key = body if status == 200 else "status-%d" % status
                with lock:
                    r["answers"][key] = r["answers"].get(key, 0) + 1
                    if status != 200:
                        r["failures"].append([time.time(), "status %d" % status, connected])
            except OSError as e:
                # [when, why, when the failed connection had been established (or None)]
                with lock:
                    r["failures"].append([time.time(), repr(e), connected])
            if len(r["failures"]) > 50:
                break
            time.sleep(0.02)

    threads = [threading.Thread(target=loop, args=(p,)) for p in ports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(res, f)


def persist(host, port, n, seconds, ready, out):
    """N long-lived connections, a request on each every 200 ms for SECONDS.
    Records which connections completed and when and how the others ended."""
    conns = {}
    res = {"completed": 0, "resets": [], "errors": [], "before": {}, "answers": {}, "conns": []}
    for i in range(n):
        s = socket.create_connection((host, port), timeout=5)
        status, body = request(s)
        res["before"][body] = res["before"].get(body, 0) + 1
        res["conns"].append({"first": body, "requests": 1, "ended": None, "how": None, "others": 0})
        conns[i] = s
    open(ready, "w").close()
    stop_at = time.time() + seconds
    while time.time() < stop_at and conns:
        for i, s in list(conns.items()):
            c = res["conns"][i]
            try:
                status, body = request(s)
                res["answers"][body] = res["answers"].get(body, 0) + 1
                c["requests"] += 1
                c["others"] += body != c["first"]
            except (ConnectionResetError, BrokenPipeError) as e:
                res["resets"].append([i, time.time(), repr(e)])
                c["ended"], c["how"] = time.time(), "reset"
                s.close()
                del conns[i]
            except OSError as e:
                res["errors"].append([i, time.time(), repr(e)])
                c["ended"], c["how"] = time.time(), repr(e)
                s.close()
                del conns[i]
        time.sleep(0.2)
    res["completed"] = len(conns)
    for s in conns.values():
        s.close()
    with open(out, "w") as f:
        json.dump(res, f)


def timed(host, port, nlong, seconds, stall, ready, stop, out):
    import threading
    lock = threading.Lock()
    res = {"long": [], "new": {"requests": 0, "failures": [], "answers": {}, "max_s": 0.0},
           "stall_s": stall, "slow": []}
    stop_at = time.time() + seconds
    pause = float(os.environ.get("HTTPCLIENT_INTERVAL", "0.1"))

    def slow(t0, dt, kind):
        if dt > 0.5:
            with lock:
                if len(res["slow"]) < 1000:
                    res["slow"].append([t0, dt, kind])

    def done():
        return time.time() >= stop_at or os.path.exists(stop)

    def one_long(c):
        try:
            s = socket.create_connection((host, port), timeout=stall)
        except OSError as e:
            c["failures"].append([time.time(), "connect: " + repr(e)])
            return
        try:
            while not done():
                t0 = time.time()
                try:
                    status, body = request(s)
                except socket.timeout:
                    c["failures"].append([t0, "stalled over %.1f s" % stall])
                    return
                except OSError as e:
                    c["failures"].append([t0, repr(e)])
                    return
                dt = time.time() - t0
                slow(t0, dt, "long-lived")
                c["requests"] += 1
                c["max_s"] = max(c["max_s"], dt)
                if status != 200:
                    c["failures"].append([t0, "status %d" % status])
                c["first"] = c["first"] or body
                c["backends"][body] = c["backends"].get(body, 0) + 1
                time.sleep(pause)
        finally:
            s.close()

    def new_conns():
        n = res["new"]
        while not done():
            t0 = time.time()
            try:
                s = socket.create_connection((host, port), timeout=stall)
                try:
                    status, body = request(s, close=True)
                finally:
                    s.close()
                slow(t0, time.time() - t0, "new")
                with lock:
                    n["requests"] += 1
                    n["max_s"] = max(n["max_s"], time.time() - t0)
                    n["answers"][body] = n["answers"].get(body, 0) + 1
                    if status != 200:
                        n["failures"].append([t0, "status %d" % status])
            except socket.timeout:
                with lock:
                    n["failures"].append([t0, "stalled over %.1f s" % stall])
            except OSError as e:
                with lock:
                    n["failures"].append([t0, repr(e)])
            time.sleep(0.02)

    threads = []
    for i in range(nlong):
        c = {"first": None, "backends": {}, "requests": 0, "failures": [], "max_s": 0.0}
        res["long"].append(c)
        threads.append(threading.Thread(target=one_long, args=(c,)))
    threads.append(threading.Thread(target=new_conns))
    for t in threads:
        t.start()
    # ready once every long-lived connection has had an answer
    end = time.time() + 10
    while time.time() < end and not all(c["requests"] or c["failures"] for c in res["long"]):
        time.sleep(0.05)
    open(ready, "w").close()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(res, f)


def fmt(d):
    return ", ".join("%s %d" % kv for kv in sorted(d.items())) or "-"


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "longlived":
        longlived(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    elif cmd == "spread":
        spread(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "multi":
        multi(sys.argv[2], int(sys.argv[3]), sys.argv[4], [int(p) for p in sys.argv[5:]])
    elif cmd == "persist":
        persist(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
                sys.argv[7])
    elif cmd == "traffic":
        traffic(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif cmd == "timed":
        timed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
              float(sys.argv[6]), sys.argv[7], sys.argv[8], sys.argv[9])
    else:
        sys.exit("unknown command " + cmd)
