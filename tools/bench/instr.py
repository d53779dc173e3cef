#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per packet of the worker's burst path, counted by valgrind (callgrind).

  tools/bench/instr.py [--aces BIN] [--baseline BIN] [--packets N] [--out FILE]

This machine's speed swings run by run (bench.py's paired ratios range over a factor of 5 in
one invocation), so packets per second cannot tell a 5 % change. The instructions a packet
costs can: ACES reads a pcap (net_pcap, every frame once) under callgrind, which counts only
inside the burst handler and the TX flush (--toggle-collect), so the idle loop, start-up and
telemetry are left out. The figure moves by ~0.1 % run to run; an A/B (--baseline: the ACES of
another commit) runs both on the same frames. Not part of CI; needs valgrind
(apt-get install valgrind). Scenarios:

  established: 1,024 UDP flows to a VIP, every packet after the first of its flow one of a
               known flow (the flows are created once, then each sends 99 more)
  new flows:   every packet a TCP SYN of a new flow

Prints a table (instructions per packet, new / baseline) and writes --out as JSON.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))
from pktlib import SYN, eth, ipv4, tcp, udp, write_pcap  # noqa: E402
from test_pcap import C, CLIENT_MAC, PORT_MAC, VIP, Aces, config  # noqa: E402

ACESCTL = os.path.join(ROOT, "tools", "acesctl")


def frames_established(n):
    flows, out = 1024, []
    per = max(1, n // flows)
    for k in range(per):
        for f in range(flows):
            src = "10.10.1.%d" % (2 + f // 256)
            out.append(eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                           ipv4(src, VIP, 17, udp(src, VIP, 20000 + f % 256, 53, b"q" * 18))))
    return out


def frames_new(n):
    out = []
    for i in range(n):      # 240 clients, each from ports 10000 on: every tuple once
        src = "10.10.1.%d" % (2 + i % 240)
        out.append(eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                       ipv4(src, VIP, 6, tcp(src, VIP, 10000 + i // 240, 80, SYN))))
    return out


def count(binary, pcap, n, work, tag, capacity):
    """Instructions inside the burst path for the @n frames of @pcap, and what ACES counted."""
    cfg = config(True, True)
    cfg["flows"]["capacity"] = capacity
    out = os.path.join(work, tag + ".callgrind")
    a = Aces(binary, work, "instr%s%d" % (tag, os.getpid()), cfg,
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pcap, os.path.join(work, tag + ".out.pcap"))],
             lcores="0@0,1@0", slow=6,
             wrap=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                   "--toggle-collect=*handle_burst*", "--toggle-collect=*tx_flush*"])
    seen = {}

    def read_all():
        try:
            seen["st"] = a.ctl("stats")
            return seen["st"]["port0"]["rx_packets"] >= n
        except subprocess.TimeoutExpired:
            return False    # under valgrind the telemetry thread waits its turn

    try:
        a.wait("%s: %d frames read" % (binary, n), read_all, limit=600)
        for _ in range(10):     # the last frames through the stages, then the counters again
            time.sleep(1)
            try:
                seen["st"] = a.ctl("stats")
                break
            except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                pass         # under valgrind the telemetry thread waits its turn
        st = seen["st"]
    finally:
        a.stop()
    total = None
    with open(out) as f:
        for line in f:
            m = re.match(r"^(summary|totals):\s+(\d+)", line)
            if m:
                total = int(m.group(2))
    if total is None:
        raise RuntimeError("%s: no totals in %s" % (binary, out))
    return total, st


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aces", default=os.path.join(ROOT, "build", "app", "aces"))
    ap.add_argument("--baseline", help="another ACES binary (e.g. the commit before), same frames")
    ap.add_argument("--packets", type=int, default=102400)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "instr.json"))
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("instr.py: needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    bins = [("aces", os.path.abspath(args.aces))]
    if args.baseline:
        bins.append(("aces-base", os.path.abspath(args.baseline)))
    for _, b in bins:
        if not os.access(b, os.X_OK):
            print("instr.py: %s is not an executable" % b, file=sys.stderr)
            return 2
    work = tempfile.mkdtemp(prefix="aces-instr-")
    results = []
    try:
        for name, make, cap in (("established: 1k UDP flows", frames_established, 4096),
                                ("new flows: every packet a TCP SYN", frames_new, 262144)):
            frames = make(args.packets)
            pcap = os.path.join(work, "in.pcap")
            write_pcap(pcap, frames)
            row = {"scenario": name, "packets": len(frames)}
            for kind, b in bins:
                ir, st = count(b, pcap, len(frames), work, kind.replace("-", ""), cap)
                row[kind] = {"instructions": ir, "per_packet": ir / len(frames),
                             "forwarded": st.get("forwarded"), "drops_total": st.get("drops_total"),
                             "flows_created": st.get("flows_created")}
                print("[instr] %-36s %-9s %8.1f instructions/packet (forwarded %s, drops %s, flows %s)"
                      % (name, kind, ir / len(frames), st.get("forwarded"), st.get("drops_total"),
                         st.get("flows_created")), flush=True)
            results.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| scenario | packets | ACES instructions/packet |%s" %
          (" baseline | new / baseline |" if args.baseline else ""))
    print("| --- | ---: | ---: |%s" % (" ---: | ---: |" if args.baseline else ""))
    for r in results:
        line = "| %s | %d | %.1f |" % (r["scenario"], r["packets"], r["aces"]["per_packet"])
        if args.baseline:
            line += " %.1f | %.3f |" % (r["aces-base"]["per_packet"],
                                        r["aces"]["per_packet"] / r["aces-base"]["per_packet"])
        print(line)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"aces": bins[0][1], "baseline": args.baseline, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
