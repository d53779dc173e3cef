#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One connection streaming bulk data both ways through an echo service (standard library).

  bulkclient.py HOST PORT MIB MIB_PER_S STALL READY_FILE OUT_JSON
      Sends MIB MiB of 8-byte big-endian counters (0, 1, 2, ...) at about MIB_PER_S,
      while reading the echo and checking that every byte comes back, in order. A read
      that waits more than STALL seconds fails the run. Touches READY_FILE once the
      first MiB came back. Writes what it saw to OUT_JSON: bytes sent and echoed, the
      first mismatch, the longest wait for data, errors.
"""
import array
import json
import socket
import sys
import threading
import time

CHUNK = 65536


def pattern(off, n):
    """Bytes off..off+n of the counter stream (off and n multiples of 8)."""
    a = array.array("Q", range(off // 8, (off + n) // 8))
    if sys.byteorder == "little":
        a.byteswap()
    return a.tobytes()


def main(host, port, mib, rate, stall, ready, out):
    total = int(float(mib) * 1048576) // CHUNK * CHUNK
    rate = float(rate) * 1048576
    s = socket.create_connection((host, int(port)), timeout=float(stall))
    res = {"sent": 0, "echoed": 0, "mismatch_at": None, "max_wait_s": 0.0, "errors": []}
    t0 = time.time()

    def send():
        try:
            off = 0
            while off < total:
                s.sendall(pattern(off, CHUNK))
                off += CHUNK
                res["sent"] = off
                ahead = off / rate - (time.time() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        except OSError as e:
            res["errors"].append("send: %r" % e)

    th = threading.Thread(target=send)
    th.start()
    got = 0
    buf = b""
    readied = False
    try:
        while got < total:
            w0 = time.time()
            d = s.recv(CHUNK)
            res["max_wait_s"] = max(res["max_wait_s"], time.time() - w0)
            if not d:
                res["errors"].append("closed by the other end after %d bytes" % got)
                break
            buf += d
            n = len(buf) // 8 * 8
            if n and buf[:n] != pattern(got, n):
                for i in range(0, n, 8):
                    if buf[i:i + 8] != pattern(got + i, 8):
                        res["mismatch_at"] = got + i
                        break
                res["errors"].append("data differs at byte %s" % res["mismatch_at"])
                break
            got += n
            buf = buf[n:]
            res["echoed"] = got
            if not readied and got >= 1048576:
                open(ready, "w").close()
                readied = True
    except OSError as e:
        res["errors"].append("recv after %d bytes: %r" % (got, e))
    th.join(60)
    s.close()
    res["seconds"] = time.time() - t0
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
