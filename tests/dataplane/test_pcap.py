#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-plane tests: the real aces binary on net_pcap ports, fed crafted frames
(valid and malformed, both directions of NAT'd flows), checked frame by frame
on the output pcaps, with drop counters read over telemetry.

Usage: test_pcap.py --aces BUILD/app/aces [--keep]
Prints "N passed, M failed" and exits non-zero when a check fails."""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from pktlib import (ACK, FIN, PSH, RST, SYN, Parsed, arp, eth, icmp_echo, ipv4,  # noqa: E402
                    read_pcap, tcp, udp, write_pcap)

ACESCTL = os.path.join(ROOT, "tools", "acesctl")
# net_pcap gives port N the fixed MAC 02:70:63:61:70:0N ("pcap"); the test checks it.
PORT_MAC = ["02:70:63:61:70:00", "02:70:63:61:70:01"]
CLIENT_MAC = "02:00:00:00:01:02"
ORIG_MAC = "02:00:00:00:02:10"
REPL_MAC = "02:00:00:00:02:20"
OTHER_MAC = "02:00:00:00:09:09"
BCAST = "ff:ff:ff:ff:ff:ff"
C, VIP, ORIG, REPL = "10.10.1.2", "10.10.1.100", "10.10.2.10", "10.10.2.20"

RESULTS = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: " + what, flush=True)
    return cond


def config(one_armed, static_repl):
    neighbors = [{"address": ORIG, "mac": ORIG_MAC}]
    if static_repl:
        neighbors.append({"address": REPL, "mac": REPL_MAC})
    return {
        "interfaces": {"client": {"port": 0, "address": "10.10.1.1/24"},
                       "backend": {"port": 0 if one_armed else 1, "address": "10.10.2.1/24"}},
        "applications": {"original": {"backends": [{"name": "orig-1", "address": ORIG}]},
                         "replacement": {"backends": [{"name": "repl-1", "address": REPL}]}},
        "endpoints": [
            {"name": "web", "vip": VIP, "port": 80, "protocol": "tcp", "backend_port": 8080},
            {"name": "dns", "vip": VIP, "port": 53, "protocol": "udp", "backend_port": 5353},
            # a second VIP port onto the same backend port: client ports can collide
            {"name": "web2", "vip": VIP, "port": 8000, "protocol": "tcp", "backend_port": 8080},
        ],
        "flows": {"capacity": 4096},
        "neighbors": neighbors,
        # crafted traffic answers no probe and leaves SYNs unanswered: keep health out of it
        # (the health scenario below turns it on)
        "manager": {"health": {"probe": False, "passive_fall": 0}},
    }


class Aces:
    """ACES on @vdevs with config @cfg. @wrap: a command it runs under (tools/bench/instr.py:
    valgrind); @slow: how many times longer its telemetry answers and its stop may take."""
    def __init__(self, binary, work, prefix, cfg, vdevs, lcores="0-1", wrap=(), slow=1):
        self.prefix = prefix
        self.slow = slow
        path = os.path.join(work, prefix + ".json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = os.path.join(work, prefix + ".log")
        cmd = list(wrap) + [binary, "--lcores", lcores, "--no-pci", "--no-huge", "-m", "512", "--file-prefix", prefix]
        for v in vdevs:
            cmd += ["--vdev", v]
        # no state file: each scenario starts from nothing (the restart tests hand one over)
        cmd += ["--", "--config", path, "--no-state"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def ctl(self, *args):
        r = subprocess.run([ACESCTL, "-f", self.prefix, "--json"] + list(args),
                           capture_output=True, text=True, timeout=10 * self.slow)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return json.loads(r.stdout)

    def wait(self, what, pred, limit=30.0):
        end = time.time() + limit
        last = None
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("aces exited (%s) while waiting for %s:\n%s"
                                   % (self.proc.returncode, what, open(self.log).read()[-3000:]))
            try:
                last = pred()
                if last:
                    return last
            except (RuntimeError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise RuntimeError("timed out waiting for " + what)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20 * self.slow)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def c2v(sport, flags, seq=1, ack=0, payload=b"", ttl=64, dport=80, vlans=(), dst_mac=PORT_MAC[0]):
    return eth(dst_mac, CLIENT_MAC, 0x0800,
               ipv4(C, VIP, 6, tcp(C, VIP, sport, dport, flags, seq, ack, payload), ttl=ttl),
               vlans=vlans)


def b2c(sport_c, flags, seq=1, ack=0, payload=b"", src=ORIG, src_mac=ORIG_MAC):
    return eth(PORT_MAC[0], src_mac, 0x0800,
               ipv4(src, C, 6, tcp(src, C, 8080, sport_c, flags, seq, ack, payload)))


def expect_fwd(cport, flags, payload=b"", vlans=(), backend=ORIG, bmac=ORIG_MAC, out_mac=PORT_MAC[0]):
    def chk(p, tag):
        ok = (p.etype == 0x0800 and p.ip_src == C and p.ip_dst == backend and p.proto == 6 and
              p.sport == cport and p.dport == 8080 and p.flags == flags and p.payload == payload and
              p.dst == bmac and p.src == out_mac and p.ttl == 63 and p.vlans == list(vlans))
        check(ok, "%s: client->backend rewrite (got %s:%s -> %s:%s mac %s ttl %s vlans %s)" % (
            tag, p.ip_src, getattr(p, "sport", "?"), p.ip_dst, getattr(p, "dport", "?"), p.dst,
            getattr(p, "ttl", "?"), p.vlans))
        check(p.ip_csum_ok and p.l4_csum_ok, tag + ": checksums valid from scratch")
    return chk


def expect_rev(cport, flags, payload=b""):
    def chk(p, tag):
        ok = (p.ip_src == VIP and p.ip_dst == C and p.sport == 80 and p.dport == cport and
              p.flags == flags and p.payload == payload and p.dst == CLIENT_MAC and
              p.src == PORT_MAC[0] and p.ttl == 63)
        check(ok, "%s: backend->client rewrite (got %s:%s -> %s:%s)" % (tag, p.ip_src, p.sport,
                                                                         p.ip_dst, p.dport))
        check(p.ip_csum_ok and p.l4_csum_ok, tag + ": checksums valid from scratch")
    return chk


def expect_udp(src, sport, dst, dport, payload, zero=False):
    def chk(p, tag):
        ok = (p.proto == 17 and p.ip_src == src and p.sport == sport and p.ip_dst == dst and
              p.dport == dport and p.payload == payload)
        check(ok, "%s: udp rewrite (got %s:%s -> %s:%s)" % (tag, p.ip_src, p.sport, p.ip_dst, p.dport))
        check(p.ip_csum_ok and p.l4_csum_ok, tag + ": checksums valid")
        if zero:
            check(p.seg[6:8] == b"\0\0", tag + ": a zero UDP checksum stays zero")
    return chk


def expect_echo(src):
    def chk(p, tag):
        ok = (p.proto == 1 and p.icmp_type == 0 and p.ip_src == src and p.ip_dst == C and
              p.dst == CLIENT_MAC and p.src == PORT_MAC[0])
        check(ok, "%s: echo reply from %s" % (tag, src))
        check(p.ip_csum_ok and p.l4_csum_ok, tag + ": checksums valid")
    return chk


def expect_time_exceeded(sent):
    def chk(p, tag):
        check(p.proto == 1 and p.icmp_type == 11 and p.ip_src == "10.10.1.1" and p.ip_dst == C and
              p.dst == CLIENT_MAC and getattr(p, "inner", None) == sent[14:],
              "%s: time exceeded from ACES quoting the packet" % tag)
        check(p.ip_csum_ok and p.l4_csum_ok, tag + ": checksums valid")
    return chk


def one_armed(binary, work):
    """Both roles on one port: the input order is the processing order."""
    frames, expected = [], []

    def add(name, frame, exp=None):
        frames.append(frame)
        if exp is not None:
            expected.append((name, exp))

    get = b"GET / HTTP/1.0\r\n\r\n"
    resp = b"HTTP/1.0 200 OK\r\n\r\nhello"
    add("arp who-has VIP", eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", VIP)))
    add("arp who-has own", eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", "10.10.1.1")))
    add("arp who-has other", eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", "10.10.1.77")))
    add("ping VIP", eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 1, icmp_echo())), expect_echo(VIP))
    add("ping own", eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, "10.10.2.1", 1, icmp_echo())),
        expect_echo("10.10.2.1"))
    add("syn", c2v(40001, SYN), expect_fwd(40001, SYN))
    add("syn-ack", b2c(40001, SYN | ACK, 500, 2), expect_rev(40001, SYN | ACK))
    add("ack+data", c2v(40001, ACK | PSH, 2, 501, get), expect_fwd(40001, ACK | PSH, get))
    add("response", b2c(40001, ACK | PSH, 501, 2 + len(get), resp), expect_rev(40001, ACK | PSH, resp))
    add("fin client", c2v(40001, FIN | ACK, 20, 530), expect_fwd(40001, FIN | ACK))
    add("fin backend", b2c(40001, FIN | ACK, 530, 21), expect_rev(40001, FIN | ACK))
    add("last ack", c2v(40001, ACK, 21, 531), expect_fwd(40001, ACK))
    add("vlan syn", c2v(40002, SYN, vlans=(100,)), expect_fwd(40002, SYN, vlans=(100,)))
    add("udp query", eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 17, udp(C, VIP, 5000, 53, b"q"))),
        expect_udp(C, 5000, ORIG, 5353, b"q"))
    add("udp answer", eth(PORT_MAC[0], ORIG_MAC, 0x0800, ipv4(ORIG, C, 17, udp(ORIG, C, 5353, 5000, b"a"))),
        expect_udp(VIP, 53, C, 5000, b"a"))
    add("udp no checksum", eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                               ipv4(C, VIP, 17, udp(C, VIP, 5001, 53, b"z", zero_csum=True))),
        expect_udp(C, 5001, ORIG, 5353, b"z", zero=True))
    # malformed and refused frames: each is one drop under its reason
    good = c2v(40009, SYN)
    add("truncated", good[:10])
    bad_ihl = bytearray(good)
    bad_ihl[14] = 0x44
    add("ihl 4", bytes(bad_ihl))
    add("total length > frame", eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                                    ipv4(C, VIP, 6, tcp(C, VIP, 40010, 80, SYN), total=1400)))
    add("fragment", eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                        ipv4(C, VIP, 6, tcp(C, VIP, 40011, 80, SYN), frag=0x2000)))
    add("ipv6", eth(PORT_MAC[0], CLIENT_MAC, 0x86DD, b"\x60" + b"\0" * 39))
    add("three vlan tags", c2v(40012, SYN, vlans=(1, 2, 3)))
    add("ttl 1", c2v(40003, SYN, ttl=1), expect_time_exceeded(c2v(40003, SYN, ttl=1)))
    add("unknown port", c2v(40005, SYN, dport=81))
    # a mid-connection packet without a flow (an earlier process saw its SYN): adopted,
    # steered by the hash as its SYN was (web is wholly on the original)
    add("ack without flow: adopted", c2v(40004, ACK, 5, 6), expect_fwd(40004, ACK))
    add("other host's frame", c2v(40006, SYN, dst_mac=OTHER_MAC))
    add("tcp to own address", eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                                  ipv4(C, "10.10.1.1", 6, tcp(C, "10.10.1.1", 40007, 22, SYN))))
    add("gre to VIP", eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 47, b"\0" * 8)))
    bad_udp = bytearray(eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 17, udp(C, VIP, 5002, 53, b"x"))))
    bad_udp[14 + 20 + 5] = 200
    add("udp length past packet", bytes(bad_udp))
    bad_doff = bytearray(c2v(40013, SYN))
    bad_doff[14 + 20 + 12] = 0x30
    add("tcp data offset 3", bytes(bad_doff))
    add("ping unknown", eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, "10.10.1.200", 1, icmp_echo())))
    # a reply without a flow: adoptable only through a client gateway (none here)
    add("backend reply without flow", b2c(49999, ACK, 5, 5))
    add("igmp report", eth("01:00:5e:00:00:16", ORIG_MAC, 0x0800,
                           ipv4("0.0.0.0", "224.0.0.22", 2, b"\x22" + b"\0" * 7, ttl=1)))
    add("udp broadcast", eth(BCAST, CLIENT_MAC, 0x0800,
                             ipv4(C, "255.255.255.255", 17, udp(C, "255.255.255.255", 68, 67, b"d"))))
    add("syn reuses closed tuple", c2v(40001, SYN, seq=9000), expect_fwd(40001, SYN))
    # backend-side tuple collisions: 40020 to :80 and :8000 both map to orig:8080
    add("syn 40020 web", c2v(40020, SYN), expect_fwd(40020, SYN))
    add("syn 40020 web2 (live collision)", c2v(40020, SYN, dport=8000))
    add("syn 40021 web", c2v(40021, SYN), expect_fwd(40021, SYN))
    add("rst 40021 web", c2v(40021, RST, seq=2), expect_fwd(40021, RST))
    add("syn 40021 web2 (collides with a closed flow)", c2v(40021, SYN, dport=8000),
        expect_fwd(40021, SYN))

    cfg = config(True, True)
    cfg["ip"] = {"reassembly_max": 0}   # a fragment is a drop (test_icmp.py reassembles them)
    a, out = on_pcap(binary, work, "onearm", cfg, frames)
    try:
        info = a.wait("telemetry", lambda: a.ctl("info"))
        check(info["client"]["mac"].lower() == PORT_MAC[0], "net_pcap port MAC is %s" % PORT_MAC[0])
        st = a.wait("all %d frames received and answered" % len(frames),
                    lambda: (lambda s: s if s["port0"]["rx_packets"] == len(frames) and
                             s["control"]["arp_replies_sent"] >= 2 else None)(a.ctl("stats")))
        time.sleep(0.3)  # the last replies leave through the worker's TX
        st = a.ctl("stats")
        # per-endpoint counts reach the control lcore by ring telemetry, every tick
        eps = a.wait("endpoint counters", lambda: (lambda e: e if e["dns"]["flows_original"] == 2
                                                    else None)({e["name"]: e for e in a.ctl("endpoints")}))
    finally:
        rc = a.stop()
    check(rc == 0, "aces exits 0 on SIGTERM (got %s)" % rc)

    want_drops = {"malformed_l2": 2, "malformed_ip": 2, "ip_fragment": 1, "non_ip": 1,
                  "ttl_exceeded": 1, "unknown_destination": 2, "no_flow": 1, "l2_other_host": 1,
                  "unsupported_protocol": 1, "malformed_l4": 2,
                  "ip_multicast": 2, "flow_tuple_conflict": 1}
    for k, v in st["drops"].items():
        check(v == want_drops.get(k, 0), "drop counter %s = %s, want %s" % (k, v, want_drops.get(k, 0)))
    check(st["drops_total"] == sum(want_drops.values()), "drops_total adds up")
    check(st["flows_created"] == 8, "8 flows created (got %s)" % st["flows_created"])
    check(st["flows_reused"] == 2, "2 closed tuples reused by a new SYN (got %s)" % st["flows_reused"])
    check(st["flows_active"] == 7, "7 flows active (got %s)" % st["flows_active"])
    check(st["flows_adopted"] == 1, "1 flow adopted (got %s)" % st["flows_adopted"])
    check(st["icmp_echo_replies"] == 2, "2 echo replies")
    check(st["control"]["local_ignored"] == 1, "TCP to an own address goes to the control lcore, "
          "which ignores it (%s)" % st["control"]["local_ignored"])
    check(st["control"]["arp_received"] == 3 and st["control"]["arp_replies_sent"] == 2 and
          st["control"]["arp_ignored"] == 1, "ARP: 3 received, 2 answered, 1 ignored (%s)" % st["control"])
    check(eps["web"]["flows_original"] == 4 and eps["web"]["flows_replacement"] == 0,
          "web: 4 open flows on original (%s)" % eps["web"])
    check(eps["web2"]["flows_original"] == 1, "web2: 1 open flow on original (%s)" % eps["web2"])
    check(eps["dns"]["flows_original"] == 2, "dns: 2 flows on original")
    check(st["icmp_errors_sent"] == 1, "1 time exceeded sent (%d)" % st["icmp_errors_sent"])
    rx_handled = st["forwarded"] + st["icmp_echo_replies"] + st["to_control_plane"] + st["drops_total"]
    check(rx_handled == len(frames), "every received frame is accounted for (%d of %d)" % (rx_handled, len(frames)))

    outs = [Parsed(f) for f in read_pcap(out)]
    ips = [p for p in outs if p.etype == 0x0800]
    arps = [p for p in outs if p.etype == 0x0806]
    check(len(ips) == len(expected), "%d IPv4 frames sent, want %d" % (len(ips), len(expected)))
    for (name, chk), p in zip(expected, ips):
        chk(p, name)
    replies = [p for p in arps if p.arp_op == 2]
    check(sorted(r.spa for r in replies) == sorted([VIP, "10.10.1.1"]), "ARP replies for VIP and own address")
    for r in replies:
        check(r.sha == PORT_MAC[0] and r.tha == CLIENT_MAC and r.tpa == C and r.dst == CLIENT_MAC,
              "ARP reply fields for %s" % r.spa)
    grat = sorted(p.spa for p in arps if p.arp_op == 1 and p.spa == p.tpa)
    check(grat == sorted(["10.10.1.1", "10.10.2.1", VIP]), "gratuitous ARP for own addresses and VIP (%s)" % grat)
    check(not [p for p in arps if p.arp_op == 1 and p.spa != p.tpa],
          "no ARP request for statically known neighbours")


def two_armed(binary, work):
    """Client and backend roles on two ports: traffic leaves on the right port with its MAC;
    ARP is answered per port; an unknown backend is resolved by ARP and learned."""
    cin, cout = os.path.join(work, "c-in.pcap"), os.path.join(work, "c-out.pcap")
    bin_, bout = os.path.join(work, "b-in.pcap"), os.path.join(work, "b-out.pcap")
    cframes = [
        eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", "10.10.2.1")),
        eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", VIP)),
    ] + [c2v(41000 + i, SYN) for i in range(20)]
    bframes = [
        eth(BCAST, ORIG_MAC, 0x0806, arp(1, ORIG_MAC, ORIG, "00:00:00:00:00:00", "10.10.2.1")),
        eth(BCAST, ORIG_MAC, 0x0806, arp(1, ORIG_MAC, ORIG, "00:00:00:00:00:00", VIP)),
        eth(PORT_MAC[1], REPL_MAC, 0x0806, arp(2, REPL_MAC, REPL, PORT_MAC[1], "10.10.2.1")),
    ]
    write_pcap(cin, cframes)
    write_pcap(bin_, bframes)
    a = Aces(binary, work, "dp-twoarm", config(False, False),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (cin, cout),
              "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (bin_, bout)])
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        a.wait("frames received", lambda: (lambda s: s["port0"]["rx_packets"] == len(cframes) and
                                           s["port1"]["rx_packets"] == len(bframes))(a.ctl("stats")))
        be = a.wait("repl-1 learned by ARP",
                    lambda: (lambda b: b if b["repl_1"]["neighbor"] == "arp" else None)(a.ctl("backends")))
        time.sleep(1.5)  # let one more ARP retry round pass: a learned neighbour is not asked again
        st = a.ctl("stats")
    finally:
        rc = a.stop()
    check(rc == 0, "two-armed: aces exits 0")
    check(be["repl_1"]["mac"].lower() == REPL_MAC, "repl-1 MAC learned from its ARP reply")
    check(be["orig_1"]["neighbor"] == "static", "orig-1 neighbour is static")
    c_out = [Parsed(f) for f in read_pcap(cout)]
    b_out = [Parsed(f) for f in read_pcap(bout)]
    fwd = [p for p in b_out if p.etype == 0x0800]
    check(len(fwd) == 20, "20 SYNs forwarded on the backend port (got %d)" % len(fwd))
    for p in fwd[:3]:
        expect_fwd(p.sport, SYN, out_mac=PORT_MAC[1])(p, "two-armed syn %d" % p.sport)
    check(not [p for p in c_out if p.etype == 0x0800], "nothing forwarded back out of the client port")
    c_rep = [p for p in c_out if p.etype == 0x0806 and p.arp_op == 2]
    b_rep = [p for p in b_out if p.etype == 0x0806 and p.arp_op == 2]
    check([r.spa for r in c_rep] == [VIP], "client port answers ARP for the VIP only (%s)" % [r.spa for r in c_rep])
    check([r.spa for r in b_rep] == ["10.10.2.1"] and b_rep[0].sha == PORT_MAC[1],
          "backend port answers ARP for its own address only, with its own MAC")
    reqs = [p for p in b_out if p.etype == 0x0806 and p.arp_op == 1 and p.spa != p.tpa]
    check(reqs and all(r.tpa == REPL and r.spa == "10.10.2.1" for r in reqs),
          "ARP requests only for the non-static backend, from the backend address")
    check(len(reqs) <= 3, "a learned neighbour is not asked every second (%d requests)" % len(reqs))
    check(st["control"]["arp_ignored"] == 2, "ARP for addresses not served on that port ignored (%s)"
          % st["control"]["arp_ignored"])


def tx_refused(binary, work):
    """A TX queue that refuses (the backend port is a net_memif server nobody connects to:
    its TX takes nothing): every received frame is still accounted for once, the refused
    SYNs as tx_full and not also as forwarded; the control lcore's own frames (gratuitous
    ARP) refused on that port are counted apart and are no drops."""
    cin, cout = os.path.join(work, "txr-in.pcap"), os.path.join(work, "txr-out.pcap")
    n_syn = 40
    frames = [eth(BCAST, CLIENT_MAC, 0x0806, arp(1, CLIENT_MAC, C, "00:00:00:00:00:00", VIP))]
    frames += [eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 1, icmp_echo(seq=i))) for i in range(3)]
    frames += [c2v(42000 + i, SYN) for i in range(n_syn)]
    frames += [c2v(42999, SYN)[:10]]                    # one malformed frame: one drop
    write_pcap(cin, frames)
    a = Aces(binary, work, "dp-txr", config(False, True),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (cin, cout),
              "net_memif0,role=server,socket=%s,socket-abstract=no" % os.path.join(work, "txr.sock")])
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        st = a.wait("frames received and refused", lambda: (
            lambda s: s if s["port0"]["rx_packets"] == len(frames) and
            s["drops"]["tx_full"] + s["forwarded"] == n_syn and s["control_frames_refused"] > 0
            else None)(a.ctl("stats")))
    finally:
        rc = a.stop()
    check(rc == 0, "tx refused: aces exits 0")
    check(st["drops"]["tx_full"] == n_syn and st["forwarded"] == 0,
          "every SYN refused by the backend port's TX counted once, as tx_full (%d), none as forwarded (%d)"
          % (st["drops"]["tx_full"], st["forwarded"]))
    check(st["drops_total"] == n_syn + 1, "drops: the refused SYNs and the malformed frame (%d)" % st["drops_total"])
    check(st["icmp_echo_replies"] == 3, "3 echo replies sent on the client port (%d)" % st["icmp_echo_replies"])
    rx = st["port0"]["rx_packets"] + st["port1"]["rx_packets"]
    handled = st["forwarded"] + st["icmp_echo_replies"] + st["to_control_plane"] + st["drops_total"]
    check(rx == handled, "rx = forwarded + echo replies + to control plane + drops (%d = %d)" % (rx, handled))
    check(st["port1"]["tx_packets"] == 0, "the refusing port sent nothing (%d)" % st["port1"]["tx_packets"])
    check(st["control_frames_sent"] >= 2, "the control lcore's ARP frames on the client port were sent (%d)"
          % st["control_frames_sent"])
    out = [Parsed(f) for f in read_pcap(cout)]
    check(len([p for p in out if p.etype == 0x0800]) == 3, "only the 3 echo replies left on the client port")


def on_pcap(binary, work, tag, cfg, frames):
    """Start ACES on one net_pcap port that reads @frames; returns it and the path of the
    capture it writes."""
    inp, out = os.path.join(work, tag + "-in.pcap"), os.path.join(work, tag + "-out.pcap")
    write_pcap(inp, frames)
    return Aces(binary, work, "dp-" + tag, cfg, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, out)]), out


def all_received(a, n):
    """/aces/stats once telemetry answers and port 0 has received @n frames."""
    a.wait("telemetry", lambda: a.ctl("info"))
    return a.wait("all frames received",
                  lambda: (lambda s: s if s["port0"]["rx_packets"] == n else None)(a.ctl("stats")))


def table_full_and_aging(binary, work):
    """A full table refuses new flows (counted) and keeps every established one;
    idle flows are reaped by their timeout."""
    cfg = config(True, True)
    # net_pcap hands over full bursts: shedding off, this test is about a full table
    cfg["flows"] = {"capacity": 1024, "udp_timeout_s": 1, "tcp_transitory_timeout_s": 1,
                    "tcp_established_timeout_s": 3600, "overload_new_flows": 32}
    frames, n_tcp = [], 1100
    # flow 0 gets established first: SYN, SYN-ACK, ACK
    frames += [c2v(30000, SYN), b2c(30000, SYN | ACK, 100, 2), c2v(30000, ACK, 2, 101)]
    frames += [c2v(30001 + i, SYN) for i in range(n_tcp - 1)]
    # the established flow keeps working although the table is full
    frames += [c2v(30000, ACK | PSH, 2, 101, b"still here"), b2c(30000, ACK | PSH, 101, 12, b"yes")]
    a, out = on_pcap(binary, work, "full", cfg, frames)
    try:
        st = all_received(a, len(frames))
        check(st["flows_created"] == 1024, "1024 flows created in a 1024-flow table (%s)" % st["flows_created"])
        check(st["drops"]["flow_table_full"] == n_tcp - 1024,
              "%d new flows refused as flow_table_full (%s)" % (n_tcp - 1024, st["drops"]["flow_table_full"]))
        # SYN-only flows (transitory, 1 s) expire; the established one (3600 s) stays
        st = a.wait("idle flows reaped", lambda: (lambda s: s if s["flows_active"] == 1 else None)(a.ctl("stats")),
                    limit=20)
        check(st["flows_expired"] == 1023, "1023 idle flows expired (%s)" % st["flows_expired"])
        ftc = st["flow_table"]
        check(ftc["expired_by_sweep"] + ftc["expired_slot_reused"] == st["flows_expired"],
              "the table's own expiry counters add up to flows_expired (%s)" % ftc)
        check(ftc["refused_no_entry"] + ftc["refused_no_bucket"] >= n_tcp - 1024,
              "the table counted its refusals (%s)" % ftc)
        check(ftc["inserted"] == 1024, "1024 inserts (%s)" % ftc["inserted"])
    finally:
        rc = a.stop()
    check(rc == 0, "table-full scenario: aces exits 0")
    ips = [Parsed(f) for f in read_pcap(out) if Parsed(f).etype == 0x0800]
    tail = [p for p in ips if p.proto == 6 and p.payload in (b"still here", b"yes")]
    check(len(tail) == 2, "the established flow is still forwarded both ways when the table is full")
    check(len(ips) == 3 + 1023 + 2, "forwarded: 3 handshake + 1023 SYNs + 2 data (%d)" % len(ips))


def flood_without_evidence(binary, work):
    """A SYN flood in full bursts beside established flows, on a port that tells neither its
    queue depth nor a loss (net_pcap replays a file as fast as the worker reads: every burst
    is full, and nothing is lost): no new flow is shed. Full bursts alone are no overload
    (issue #26); the flood that overruns a port is tests/e2e/test_flood.sh."""
    cfg = config(True, True)
    cfg["flows"] = {"capacity": 8192, "overload_new_flows": 4}
    n_est, n_flood = 4, 6000
    ports = [20000 + i for i in range(n_est)]
    frames = []
    for cp in ports:
        frames += [c2v(cp, SYN), b2c(cp, SYN | ACK, 100, 2), c2v(cp, ACK, 2, 101)]
    data = 0
    for j in range(n_flood):
        frames.append(c2v(40000 + j, SYN))
        if j % 3 == 0:
            cp = ports[(j // 3) % n_est]
            frames.append(c2v(cp, ACK | PSH, 2, 101, b"est-%d" % j) if j % 2 == 0 else
                          b2c(cp, ACK | PSH, 101, 2, b"est-%d" % j))
            data += 1
    a, out = on_pcap(binary, work, "flood", cfg, frames)
    try:
        st = all_received(a, len(frames))
        shed, created = st["drops"]["new_flow_shed"], st["flows_created"]
        check(shed == 0, "full bursts, nothing lost: no new flow shed (%d)" % shed)
        check(created == n_est + n_flood, "every SYN created a flow (%d of %d)" % (created, n_est + n_flood))
        check(st["flows_active"] == created, "no flow evicted (%d active, %d created)"
              % (st["flows_active"], created))
        check(all(v["hw_rx_missed"] == 0 and v["socket_rx_dropped"] == 0
                  for v in st.values() if isinstance(v, dict) and "hw_rx_missed" in v),
              "net_pcap reports no loss, and no packet-socket drops")
    finally:
        rc = a.stop()
    check(rc == 0, "flood scenario: aces exits 0")
    ips = [Parsed(f) for f in read_pcap(out) if Parsed(f).etype == 0x0800]
    est = [p for p in ips if p.proto == 6 and (p.sport in ports or p.dport in ports)]
    got = [p for p in est if p.payload.startswith(b"est-")]
    check(len(got) == data, "every established packet forwarded during the flood (%d of %d)" % (len(got), data))
    syn = [p for p in ips if p.proto == 6 and 40000 <= p.sport < 40000 + n_flood]
    check(len(syn) == n_flood, "every flood SYN forwarded (%d of %d)" % (len(syn), n_flood))

    # with no established traffic to protect, a flood of new flows is not limited
    syns = [c2v(40000 + j, SYN) for j in range(2000)]
    a, out = on_pcap(binary, work, "flood-only", cfg, syns)
    try:
        st = all_received(a, len(syns))
        check(st["flows_created"] == len(syns) and st["drops"]["new_flow_shed"] == 0,
              "SYNs alone: all %d created, none shed (%d created, %d shed)"
              % (len(syns), st["flows_created"], st["drops"]["new_flow_shed"]))
    finally:
        rc = a.stop()
    check(rc == 0, "flood-only scenario: aces exits 0")


def two_workers_one_armed(binary, work):
    """Two workers on one port with two receive queues (two captures): each flow lives
    with the worker its client address and port choose, whatever queue its packets came
    on; the direction of a packet comes from the VIP set (one-armed: no port to tell it)."""
    cfg = config(True, True)
    files, expect, n = [[], []], 0, 64
    for q in (0, 1):
        for i in range(n):          # every flow's packets in one capture: their order holds
            cp = 10000 + q * 1000 + i
            files[q].append(eth(PORT_MAC[0], CLIENT_MAC, 0x0800,
                                ipv4(C, VIP, 17, udp(C, VIP, cp, 53, b"q%d" % cp))))
        for i in range(n):
            cp = 10000 + q * 1000 + i
            files[q].append(eth(PORT_MAC[0], ORIG_MAC, 0x0800,
                                ipv4(ORIG, C, 17, udp(ORIG, C, 5353, cp, b"a%d" % cp))))
            expect += 2
    ins = [os.path.join(work, "w2-in%d.pcap" % q) for q in (0, 1)]
    outs = [os.path.join(work, "w2-out%d.pcap" % q) for q in (0, 1)]
    for q in (0, 1):
        write_pcap(ins[q], files[q])
    a = Aces(binary, work, "dp-w2", cfg,
             ["net_pcap0,rx_pcap=%s,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (ins[0], ins[1], outs[0], outs[1])],
             lcores="0@0,1@1,2@0")
    try:
        st = all_received(a, expect)
        st = a.wait("every packet forwarded", lambda: (lambda s: s if s["forwarded"] == expect else None)(
            a.ctl("stats")))
        check(st["flows_created"] == 2 * n, "one flow per client port (%d created)" % st["flows_created"])
        per = st["flows_active_per_worker"]
        check(len(per) == 2 and min(per) >= n // 2,
              "the flows spread over both workers by client port (%s)" % per)
        check(st["handed_to_owner_worker"] > 0, "packets were handed to their flow's worker (%d)"
              % st["handed_to_owner_worker"])
        check(st["drops_total"] == 0, "no drops (%s)" % {k: v for k, v in st["drops"].items() if v})
    finally:
        rc = a.stop()
    check(rc == 0, "two workers: aces exits 0")
    got = [Parsed(f) for q in (0, 1) for f in read_pcap(outs[q])]
    udp_out = [p for p in got if p.etype == 0x0800 and p.proto == 17]
    fwd = {p.sport for p in udp_out if p.ip_dst == ORIG and p.dport == 5353 and p.payload == b"q%d" % p.sport}
    rev = {p.dport for p in udp_out if p.ip_src == VIP and p.sport == 53 and p.ip_dst == C and
           p.payload == b"a%d" % p.dport and p.l4_csum_ok}
    ports = {10000 + q * 1000 + i for q in (0, 1) for i in range(n)}
    check(fwd == ports, "every query NAT'd to the backend (%d of %d)" % (len(fwd), len(ports)))
    check(rev == ports, "every answer NAT'd back from the VIP (%d of %d)" % (len(rev), len(ports)))


def health_signals(binary, work):
    """Passive health per backend (handshakes, SYN timeouts, refusals, UDP without reply),
    SYN rescue, and probes: sent from the backend address, their answers never create flows."""
    cfg = config(True, True)
    cfg["manager"] = {"health": {"probe": True, "passive_fall": 0, "fall": 100,
                                 "syn_timeout_ms": 300, "on_backend_down": "keep"}}
    frames = [
        c2v(42001, SYN), b2c(42001, SYN | ACK, 700, 2),          # a handshake
        c2v(42002, SYN),                                          # never answered
        c2v(42003, SYN), b2c(42003, RST | ACK, 0, 2),             # refused
        # looks like an answer to a probe: goes to the control lcore, never to a flow table
        eth(PORT_MAC[0], ORIG_MAC, 0x0800,
            ipv4(ORIG, "10.10.2.1", 6, tcp(ORIG, "10.10.2.1", 8080, 50000, SYN | ACK, 5, 77))),
        eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 17, udp(C, VIP, 6000, 53, b"q"))),  # no reply
    ]
    a, out = on_pcap(binary, work, "health", cfg, frames)
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        be = a.wait("timeouts counted", lambda: (lambda b: b if b["orig_1"]["syn_timeouts"] >= 1 and
                                                 b["orig_1"]["udp_noreply"] >= 1 else None)(a.ctl("backends")))
        st = a.wait("probes sent", lambda: (lambda s: s if s["control"]["probes_sent"] >= 4 else None)(a.ctl("stats")))
        web = a.ctl("endpoint", "web")
    finally:
        rc = a.stop()
    check(rc == 0, "health scenario: aces exits 0")
    o = be["orig_1"]
    check((o["attempts"], o["handshakes"], o["syn_timeouts"], o["refused"], o["udp_noreply"], o["syn_rescued"]) ==
          (4, 1, 1, 1, 1, 1), "orig-1 passive counters: attempts 4, handshakes 1, SYN timeouts 1, refused 1, "
          "UDP without reply 1, rescued 1 (%s)" % {k: o[k] for k in ("attempts", "handshakes", "syn_timeouts",
                                                                     "refused", "udp_noreply", "syn_rescued")})
    check(be["repl_1"]["attempts"] == 0, "repl-1 got no attempt")
    check(st["flows_created"] == 4, "4 client flows; the probe-like answer created none (%s)" % st["flows_created"])
    check(st["drops"]["syn_refused_rescued"] == 1, "the backend's RST to a SYN is dropped and counted")
    check(st["control"]["local_ignored"] == 1, "the stray probe answer is ignored by the control lcore")
    check(web["packets"] >= 0 and "handshake_p95_ms_original" in web, "endpoint shows handshake p95 per side")
    outs = [Parsed(f) for f in read_pcap(out)]
    mine = [p for p in outs if p.etype == 0x0800 and p.ip_src == "10.10.2.1"]
    probes = [p for p in mine if p.flags == SYN]
    check(probes and all(p.proto == 6 and p.sport >= 50000 and p.dport == 8080 and
                         p.ip_csum_ok and p.l4_csum_ok for p in probes),
          "probes are TCP SYNs from the backend address to port 8080 with valid checksums (%d)" % len(probes))
    by_backend = {}
    for p in probes:
        by_backend.setdefault(p.ip_dst, []).append(p.sport)
    check(all(ports[:8] == [ports[0] + i for i in range(min(len(ports), 8))] and
              len(set(ports)) == min(len(ports), 8) for ports in by_backend.values()),
          "each probe takes its 8 source ports in turn (%s)" % by_backend)
    # the stray SYN-ACK looked like a late answer on probe 0's first port: its half-open
    # connection at the backend is reset (RST with the SYN-ACK's ACK number)
    rsts = [p for p in mine if p.flags == RST]
    check(len(rsts) == 1 and rsts[0].sport == 50000 and rsts[0].dport == 8080 and rsts[0].seq == 77 and
          rsts[0].l4_csum_ok, "the stale probe answer gets a RST (%s)" % [(p.sport, p.seq) for p in rsts])
    check(st["control"]["probe_stale_answers_reset"] == 1, "counted as probe_stale_answers_reset (%s)"
          % st["control"]["probe_stale_answers_reset"])
    check(len(mine) == len(probes) + 1, "nothing else from the backend address (%d frames)" % len(mine))
    check({p.ip_dst for p in probes} == {ORIG, REPL}, "every backend is probed")
    fwd_rst = [p for p in outs if p.etype == 0x0800 and p.ip_dst == C and p.proto == 6 and p.flags & RST]
    check(not fwd_rst, "the refused SYN's RST did not reach the client (it retries instead)")


def many_endpoints(binary, work):
    """300 endpoints: more than a telemetry reply holds; acesctl pages through them all."""
    cfg = config(True, True)
    cfg["endpoints"] = [{"name": "ep-%03d" % i, "vip": VIP, "port": 1000 + i, "protocol": "tcp"}
                        for i in range(300)]
    inp = os.path.join(work, "many.pcap")
    write_pcap(inp, [])
    a = Aces(binary, work, "dp-many", cfg,
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(work, "many-out.pcap"))])
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        eps = a.ctl("endpoints")
        check([e["name"] for e in eps] == ["ep-%03d" % i for i in range(300)],
              "acesctl endpoints returns all 300 endpoints in order (%d)" % len(eps))
        one = a.ctl("endpoint", "ep-299")
        check(one["port"] == 1299 and one["phase"] == "original", "the last endpoint by name")
    finally:
        rc = a.stop()
    check(rc == 0, "many endpoints: aces exits 0")


def telemetry_params(binary, work):
    """Bad telemetry parameters get an error naming the problem; nothing changes, no crash."""
    import socket as so
    inp = os.path.join(work, "empty.pcap")
    write_pcap(inp, [])
    a = Aces(binary, work, "dp-tel", config(True, True),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(work, "tel-out.pcap"))])
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        path = "/var/run/dpdk/dp-tel/dpdk_telemetry.v2"
        s = so.socket(so.AF_UNIX, so.SOCK_SEQPACKET)
        s.settimeout(10)
        s.connect(path)
        s.recv(1024)

        def call(text):
            s.send(text.encode("utf-8", "surrogateescape"))
            return json.loads(s.recv(65536).decode())

        bad = [
            ("/aces/endpoint/assign", ["", ",", "web", "web,", ",original", "web,101", "web,-1",
                                       "web,1e2", "web,50x", "web, 50", "web,original,extra",
                                       "nosuch,original", "web,auto", "w" * 150 + ",original",
                                       "web," + "9" * 40, "\u00e9,original"]),
            ("/aces/endpoint", ["", "nosuch", "web,extra", "x" * 200]),
            ("/aces/endpoints", ["-1", "abc", "1x", "99999999999999999999"]),
            ("/aces/stats", ["x"]),
            ("/aces/info", ["1"]),
            ("/aces/backends", ["orig-1"]),
            ("/aces/config", ["x"]),
            ("/aces/config/reload", ["now"]),
            ("/aces/restart", ["1"]),
            ("/aces/flow", ["", "web", "web,", "web,10.10.1.2", "web,10.10.1.2:", "web,10.10.1.2:0",
                            "web,10.10.1.2:65536", "web,10.10.1.2:80x", "web,1.2.3:80",
                            "web,10.10.1.2:80,orig-1", "nosuch,10.10.1.2:80", "web,10.10.1.2:80",
                            "web,\u00e9:80", "w" * 300]),
            ("/aces/flow/hold", ["", "web,10.10.1.2:4000", "web,10.10.1.2:4000,orig-1"]),
            ("/aces/flow/release", ["web,10.10.1.2:4000"]),
            ("/aces/flow/repoint", ["web,10.10.1.2:4000", "web,10.10.1.2:4000,nosuch",
                                    "web,10.10.1.2:4000,orig-1"]),
        ]
        for cmd, params in bad:
            for p in params:
                r = call(cmd + "," + p)
                v = r.get(cmd)
                check(isinstance(v, dict) and "error" in v and len(v["error"]) > 10,
                      "%s,%r refused with a reason (got %r)" % (cmd, p[:40], v))
        eps = {e["name"]: e for e in a.ctl("endpoints")}
        check(eps["web"]["replacement_weight"] == 0 and eps["web"]["control"] == "auto",
              "refused commands changed nothing")
        r = call("/aces/endpoints,1")
        v = r["/aces/endpoints"]
        check(v["total"] == 3 and v["offset"] == 1 and "dns" in v and "web2" in v and "web" not in v,
              "paging: offset 1 returns the endpoints after the first")
        r = call("/aces/endpoints,5")
        check(r["/aces/endpoints"]["total"] == 3 and len(r["/aces/endpoints"]) == 2,
              "paging past the end returns no endpoint")
        # issue #13's findings: an offset near 2^32 wrapped (next_offset 0: a client following
        # it loops); since_id 2^64 - 1 returned the oldest events; "+1", " 1", "01" passed
        v = call("/aces/endpoints,4294967256")["/aces/endpoints"]
        check(v.get("total") == 3 and "next_offset" not in v and len(v) == 2,
              "an offset near 2^32 gives an empty last page, no next_offset (%s)" % v)
        v = call("/aces/events,18446744073709551615")["/aces/events"]
        check(v.get("more") == 0 and not [k for k in v if k.isdigit()],
              "events after since_id 2^64-1: none (%s)" % sorted(v)[:5])
        for p in ("+1", " 1", "01", "1 "):
            v = call("/aces/endpoints," + p)["/aces/endpoints"]
            check("error" in v, "offset %r refused (%s)" % (p, v))
        # random commands, each answered with one JSON reply, the process alive after them
        rng = random.Random(13)
        names = ["/aces/" + n for n in ("info", "stats", "endpoints", "endpoint", "endpoint/assign",
                                         "events", "flow", "flow/hold", "flow/release", "flow/repoint",
                                         "backends", "backend/load", "config", "transition")]
        atoms = ["web", "dns", "orig-1", "repl-1", "10.10.1.2:4000", "0", "1", "-1", "4294967295",
                 "4294967296", "18446744073709551615", "", ",", "\u00e9", "\n", "%s", "\\", "\"",
                 "original", "replacement", "auto", "101", "x" * 70]
        replies = 0
        for i in range(1500):
            cmd = rng.choice(names)
            parts = [rng.choice(atoms) for _ in range(rng.randint(0, 3))]
            if rng.random() < 0.2:
                parts.append("".join(chr(rng.randint(1, 0x2ff)) for _ in range(rng.randint(1, 30))))
            text = (cmd + "," + ",".join(parts)) if parts else cmd
            if cmd.endswith("assign") and parts and parts[-1] in ("original", "replacement", "0", "1"):
                continue    # a valid assign would change what the checks below read
            r = call(text[:1000])
            replies += isinstance(r, dict)
        check(replies >= 1000, "random commands each got a JSON reply (%d)" % replies)
        check(a.proc.poll() is None and a.ctl("info"), "aces alive after the random commands")
        r = call("/aces/endpoint/assign,web,42")
        check(r["/aces/endpoint/assign"].get("replacement_weight") == 42, "a good assign works")
        check(a.ctl("endpoint", "web")["assignment"] == "split", "web is split after assign 42")
        # live reconfiguration, here under the sanitizers too: a backend and an endpoint
        # added, one removed; bad files refused; what was set by hand stays
        cfgpath = os.path.join(work, "dp-tel.json")
        cfg = config(True, True)
        cfg["applications"]["replacement"]["backends"].append({"name": "repl-2",
                                                               "address": "10.10.2.21"})
        cfg["endpoints"] = [e for e in cfg["endpoints"] if e["name"] != "web2"]
        cfg["endpoints"].append({"name": "api", "vip": VIP, "port": 81, "protocol": "tcp",
                                 "backend_port": 8081})
        with open(cfgpath, "w") as f:
            json.dump(cfg, f)
        v = call("/aces/config/reload")["/aces/config/reload"]
        check(v.get("reloads") == 1 and v.get("endpoints") == 3 and v.get("backends") == 3 and
              v.get("removed_endpoints_draining") == 0,
              "a reload adds a backend and an endpoint and drops an idle one (%s)" % v)
        names = {e["name"] for e in a.ctl("endpoints")}
        check(names == {"web", "dns", "api"}, "endpoints after the reload: %s" % sorted(names))
        web = a.ctl("endpoint", "web")
        check(web["replacement_weight"] == 42 and web["control"] == "manual",
              "the pin set by hand is kept across the reload (%s)" % web)
        with open(cfgpath, "w") as f:
            f.write("{ \"interfaces\": ")
        v = call("/aces/config/reload")["/aces/config/reload"]
        err = v.get("error", "") + v.get("error_2", "")
        check("dp-tel.json" in err, "a truncated file is refused naming the file: %r" % err)
        cfg["interfaces"]["client"]["address"] = "10.10.1.9/24"
        with open(cfgpath, "w") as f:
            json.dump(cfg, f)
        v = call("/aces/config/reload")["/aces/config/reload"]
        check("interfaces.client.address" in v.get("error", ""),
              "an interface change is refused naming the key: %r" % v.get("error"))
        v = call("/aces/config")["/aces/config"]
        check(v["reloads"] == 1 and v["reloads_refused"] == 2 and v["endpoints"] == 3,
              "refused reloads changed nothing (%s)" % v)
        s.close()
        check(a.proc.poll() is None, "aces still running after bad parameters")
    finally:
        rc = a.stop()
    check(rc == 0, "telemetry scenario: aces exits 0")


def run_scenarios(name, prefix, scenarios):
    """The main of a data-plane test file: --aces BINARY [--keep]; each scenario gets the
    binary and a work directory, a scenario that raises counts as a failure (the others
    still run); exit status 1 when anything failed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--aces", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        for t in scenarios:
            print("== %s" % t.__name__, flush=True)
            try:
                t(os.path.abspath(args.aces), work)
            except Exception as e:  # a crash of the scenario is a failure, not an abort
                check(False, "%s: %s" % (t.__name__, e))
    finally:
        if args.keep:
            print("work directory kept: " + work)
        else:
            subprocess.run(["rm", "-rf", work])
    print("%s: %d passed, %d failed" % (name, RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


def main():
    return run_scenarios("dataplane", "aces-dp-", (
        one_armed, two_armed, tx_refused, table_full_and_aging, flood_without_evidence,
        two_workers_one_armed, health_signals, many_endpoints, telemetry_params))


if __name__ == "__main__":
    sys.exit(main())
