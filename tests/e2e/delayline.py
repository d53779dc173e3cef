#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A two-port L2 delay line (this kernel has no netem): frames between IF_A and
IF_B are passed on as they are, those from IF_B to IF_A after the delay in
milliseconds read from DELAY_FILE (checked every 100 ms; missing or empty = 0).
Used to make a backend slow: IF_B faces the backend, so its answers (SYN-ACKs
included) arrive late.

    delayline.py IF_A IF_B DELAY_FILE
"""
import heapq
import os
import select
import socket
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main():
    a_name, b_name, delay_file = sys.argv[1], sys.argv[2], sys.argv[3]
    a, b = open_raw(a_name), open_raw(b_name)
    other = {a: b, b: a}
    pending = []        # (due, seq, out_socket, frame)
    seq = 0
    delay, next_read = 0.0, 0.0
    while True:
        now = time.monotonic()
        if now >= next_read:
            try:
                with open(delay_file) as f:
                    txt = f.read().strip()
                delay = float(txt) / 1000.0 if txt else 0.0
            except (OSError, ValueError):
                delay = 0.0
            next_read = now + 0.1
        while pending and pending[0][0] <= now:
            _, _, out, frame = heapq.heappop(pending)
            try:
                out.send(frame)
            except OSError:
                pass
        timeout = 0.1
        if pending:
            timeout = max(0.0, min(timeout, pending[0][0] - now))
        readable, _, _ = select.select([a, b], [], [], timeout)
        for s in readable:
            for _ in range(64):
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue        # what we sent ourselves
                out = other[s]
                d = delay if s is b else 0.0
                if d <= 0 and not pending:
                    try:
                        out.send(frame)
                    except OSError:
                        pass
                else:
                    seq += 1
                    heapq.heappush(pending, (time.monotonic() + d, seq, out, frame))


if __name__ == "__main__":
    main()
