#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-plane tests of ICMP and fragments (issue #13): the real aces binary on a net_pcap
port (one-armed: the input order is the processing order), fed crafted frames, its output
checked frame by frame with checksums computed from scratch.

- ICMP errors of a flow from either side are delivered rewritten (outer and embedded
  headers, every checksum); errors of no flow are dropped and counted.
- ACES answers a TTL that runs out (time exceeded) and a DF packet longer than the egress
  MTU (fragmentation needed), within its budget; splits a longer one without DF.
- Fragments of a UDP request and of its reply are reassembled, steered and rewritten as
  one datagram; overlapping, too many, incomplete and flooding fragments are given up,
  counted, and take nothing with them.

Usage: test_icmp.py --aces BUILD/app/aces"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pktlib import (ACK, SYN, Parsed, csum, eth, fragment, icmp_echo, icmp_error, ipv4,  # noqa: E402
                    read_pcap, reassemble, tcp, udp, write_pcap)
from test_pcap import (C, CLIENT_MAC, ORIG, ORIG_MAC, PORT_MAC, VIP, Aces, check,  # noqa: E402
                       config, on_pcap, run_scenarios)

CLIENT_ROUTER = "10.10.1.254"   # a router on the client's side (sends ICMP errors)
BACKEND_ROUTER = "10.10.2.254"  # one on the backends' side
OWN_C, OWN_B = "10.10.1.1", "10.10.2.1"


def c2v_ip(sport, flags, payload=b"", ttl=64, frag=0x4000):
    return ipv4(C, VIP, 6, tcp(C, VIP, sport, 80, flags, 1, 0, payload), ttl=ttl, frag=frag)


def frame(ip_packet, src_mac=CLIENT_MAC):
    return eth(PORT_MAC[0], src_mac, 0x0800, ip_packet)


def stats_settled(a, n):
    """/aces/stats once port 0 has received @n frames and every one is accounted for."""
    a.wait("telemetry", lambda: a.ctl("info"))

    def done():
        s = a.ctl("stats")
        rx = s["port0"]["rx_packets"]
        handled = (s["forwarded"] + s["icmp_echo_replies"] + s["to_control_plane"] +
                   s["drops_total"] + s["fragments_merged"])
        return s if rx == n and handled == rx else None
    return a.wait("all %d frames received and accounted for" % n, done)


def out_ip(path):
    return [p for p in (Parsed(f) for f in read_pcap(path)) if p.etype == 0x0800]


def icmp_of_flows(binary, work):
    """ICMP errors about a flow's packets, from either side, rewritten (RFC 5508)."""
    frames = []
    # the flow: client 41000 -> VIP:80, steered to ORIG:8080
    frames.append(frame(c2v_ip(41000, SYN)))
    # 1. the client's side: a router cannot deliver what the VIP sent the client (too big)
    vip_sent = ipv4(VIP, C, 6, tcp(VIP, C, 80, 41000, ACK, 5000, 2, b"d" * 1400))
    frames.append(frame(ipv4(CLIENT_ROUTER, VIP, 1, icmp_error(3, 4, vip_sent[:48], 1400))))
    # 2. same, time exceeded, 8 bytes of TCP quoted only (the least RFC 792 promises)
    frames.append(frame(ipv4(CLIENT_ROUTER, VIP, 1, icmp_error(11, 0, vip_sent[:28]))))
    # 3. the backends' side: a router there cannot deliver what ACES sent the backend
    sent_to_b = ipv4(C, ORIG, 6, tcp(C, ORIG, 41000, 8080, SYN))
    frames.append(frame(ipv4(BACKEND_ROUTER, C, 1, icmp_error(3, 1, sent_to_b[:40])),
                        src_mac=ORIG_MAC))
    # 4. the backend itself: parameter problem
    frames.append(frame(ipv4(ORIG, C, 1, icmp_error(12, 0, sent_to_b[:28])), src_mac=ORIG_MAC))
    # errors of no flow: another client port; about what nobody sent; quoting too little
    other = ipv4(VIP, C, 6, tcp(VIP, C, 80, 41999, ACK))
    frames.append(frame(ipv4(CLIENT_ROUTER, VIP, 1, icmp_error(3, 4, other[:28], 1400))))
    frames.append(frame(ipv4(CLIENT_ROUTER, VIP, 1, icmp_error(3, 4, vip_sent[:27], 1400))))
    # addressed to someone else than the sender of what it quotes: refused
    frames.append(frame(ipv4(CLIENT_ROUTER, C, 1, icmp_error(3, 4, vip_sent[:28], 1400)),
                        src_mac=ORIG_MAC))
    # 5. TTL runs out at ACES: time exceeded from ACES's client-side address
    frames.append(frame(c2v_ip(41001, SYN, ttl=1)))
    # and an ICMP error about an ICMP error is never sent (TTL 1 error of a flow)
    frames.append(frame(ipv4(CLIENT_ROUTER, VIP, 1, icmp_error(11, 0, vip_sent[:28]), ttl=1)))
    # an echo request still answered
    frames.append(frame(ipv4(C, VIP, 1, icmp_echo(seq=3))))
    a, out = on_pcap(binary, work, "icmp-flows", config(True, True), frames)
    try:
        st = stats_settled(a, len(frames))
    finally:
        rc = a.stop()
    check(rc == 0, "icmp: aces exits 0")
    ps = out_ip(out)
    icmps = [p for p in ps if p.proto == 1 and p.icmp_type != 0]
    check(len(icmps) == 5, "4 errors delivered + 1 sent by ACES (got %d)" % len(icmps))
    if len(icmps) != 5:
        return
    e1, e2, e3, e4, e5 = icmps
    for tag, p in (("client-side frag needed", e1), ("client-side time exceeded", e2)):
        inner = Parsed(eth("00:00:00:00:00:00", "00:00:00:00:00:00", 0x0800,
                           p.inner + b"\0" * 40))
        check(p.ip_src == CLIENT_ROUTER and p.ip_dst == ORIG and p.dst == ORIG_MAC and
              p.ttl == 63, "%s: to the backend, the router's address kept (%s -> %s, mac %s)"
              % (tag, p.ip_src, p.ip_dst, p.dst))
        check(inner.ip_src == ORIG and inner.ip_dst == C and inner.sport == 8080 and
              inner.dport == 41000, "%s: embedded header is what the backend sent (%s:%s -> %s:%s)"
              % (tag, inner.ip_src, inner.sport, inner.ip_dst, inner.dport))
        check(p.ip_csum_ok and p.l4_csum_ok and inner.ip_csum_ok,
              "%s: outer IPv4, ICMP and embedded IPv4 checksums valid" % tag)
    check(e1.icmp_type == 3 and e1.icmp_code == 4 and e1.mtu == 1400,
          "frag needed keeps its type, code and MTU (%d/%d mtu %d)" % (e1.icmp_type, e1.icmp_code, e1.mtu))
    # the embedded TCP checksum (quoted whole in e1): what the backend's packet had
    want = ipv4(ORIG, C, 6, tcp(ORIG, C, 8080, 41000, ACK, 5000, 2, b"d" * 1400))
    check(e1.inner[:48] == want[:48], "frag needed: the embedded header, TCP checksum included, "
          "equals the backend's own packet byte for byte")
    check(e2.icmp_type == 11 and e2.inner[:28] == want[:28], "time exceeded: 8 bytes of TCP rewritten")
    for tag, p, typ in (("backend-side unreachable", e3, 3), ("backend's parameter problem", e4, 12)):
        inner = Parsed(eth("00:00:00:00:00:00", "00:00:00:00:00:00", 0x0800,
                           p.inner + b"\0" * 40))
        check(p.icmp_type == typ and p.ip_src == VIP and p.ip_dst == C and p.dst == CLIENT_MAC and
              p.ttl == 63, "%s: to the client from the VIP (%s -> %s)" % (tag, p.ip_src, p.ip_dst))
        check(inner.ip_src == C and inner.ip_dst == VIP and inner.sport == 41000 and
              inner.dport == 80, "%s: embedded header is what the client sent (%s:%s -> %s:%s)"
              % (tag, inner.ip_src, inner.sport, inner.ip_dst, inner.dport))
        check(p.ip_csum_ok and p.l4_csum_ok and inner.ip_csum_ok, "%s: checksums valid" % tag)
    want3 = ipv4(C, VIP, 6, tcp(C, VIP, 41000, 80, SYN))
    check(e3.inner[:40] == want3[:40], "backend-side: embedded TCP header and checksum equal the "
          "client's own SYN byte for byte")
    sent = c2v_ip(41001, SYN, ttl=1)
    check(e5.icmp_type == 11 and e5.icmp_code == 0 and e5.ip_src == OWN_C and e5.ip_dst == C and
          e5.dst == CLIENT_MAC and e5.src == PORT_MAC[0] and e5.tos == 0xc0,
          "TTL 1: time exceeded from ACES's client address to the client (%s -> %s)" % (e5.ip_src, e5.ip_dst))
    check(e5.inner == sent, "time exceeded quotes the whole packet as received (%d bytes)" % len(e5.inner))
    check(e5.ip_csum_ok and e5.l4_csum_ok, "ACES's own error: checksums valid")
    check(len([p for p in ps if p.proto == 1 and p.icmp_type == 0]) == 1, "the echo request answered")
    d = st["drops"]
    check(st["icmp_errors_forwarded_frag_needed"] == 1 and st["icmp_errors_forwarded_time_exceeded"] == 1 and
          st["icmp_errors_forwarded_unreachable"] == 1 and st["icmp_errors_forwarded_param_problem"] == 1,
          "forwarded errors counted by type (%s)" % {k: v for k, v in st.items() if k.startswith("icmp_errors_fwd")
                                                     or k.startswith("icmp_errors_forwarded")})
    check(d["icmp_error_no_flow"] == 3, "3 errors of no flow dropped as icmp_error_no_flow (%d)"
          % d["icmp_error_no_flow"])
    check(d["ttl_exceeded"] == 2 and st["icmp_errors_sent"] == 1,
          "2 TTL drops, 1 time exceeded sent (none about an error) (%d, %d)" % (d["ttl_exceeded"], st["icmp_errors_sent"]))
    check(d["unsupported_protocol"] == 0, "no ICMP error dropped as unsupported_protocol")


def mtu_and_budget(binary, work):
    """Egress MTU 600: a DF packet longer gets fragmentation needed (the MTU in it, the
    packet quoted as received), within ip.icmp_errors_per_s; one without DF is split."""
    cfg = config(True, True)
    cfg["interfaces"]["client"]["mtu"] = 600
    cfg["ip"] = {"icmp_errors_per_s": 5}
    frames = [frame(c2v_ip(42000, SYN))]
    big = c2v_ip(42000, ACK, payload=b"z" * 1000)
    frames += [frame(big)] * 12             # budget: 5 a second, bursts of 5
    # UDP to the dns endpoint, 1400 bytes, DF clear: split into fragments of <= 600
    payload = bytes(range(256)) * 5 + b"q" * 120
    dgram = ipv4(C, VIP, 17, udp(C, VIP, 5300, 53, payload), frag=0, ident=777)
    frames.append(frame(dgram))
    a, out = on_pcap(binary, work, "icmp-mtu", cfg, frames)
    try:
        st = stats_settled(a, len(frames))
        info_mtu = a.ctl("info")
    finally:
        rc = a.stop()
    check(rc == 0, "mtu: aces exits 0")
    ps = out_ip(out)
    nf = [p for p in ps if p.proto == 1 and p.icmp_type == 3]
    check(len(nf) == 5, "5 of 12 too-big packets answered (the budget), got %d" % len(nf))
    if nf:
        p = nf[0]
        check(p.icmp_code == 4 and p.mtu == 600 and p.ip_src == OWN_C and p.ip_dst == C,
              "fragmentation needed, MTU 600, from ACES to the client (code %d mtu %d %s -> %s)"
              % (p.icmp_code, p.mtu, p.ip_src, p.ip_dst))
        check(p.inner[:len(p.inner)] == big[:len(p.inner)] and len(p.inner) == 548,
              "it quotes the packet as received, 548 bytes (got %d)" % len(p.inner))
        check(len(p.l3) <= 576 and p.ip_csum_ok and p.l4_csum_ok, "within 576 bytes, checksums valid")
    check(st["drops"]["too_big"] == 12 and st["icmp_errors_rate_limited"] == 7,
          "12 too_big drops, 7 errors over the budget (%d, %d)"
          % (st["drops"]["too_big"], st["icmp_errors_rate_limited"]))
    frags = [p for p in ps if p.proto == 17]
    check(len(frags) == 3 and all(len(p.l3) <= 600 for p in frags) and all(p.ip_csum_ok for p in frags),
          "the 1428-byte datagram left as 3 fragments of <= 600 bytes (%s)" % [len(p.l3) for p in frags])
    whole = reassemble(frags)
    if check(whole is not None, "its fragments make a whole datagram"):
        u = Parsed(eth(ORIG_MAC, PORT_MAC[0], 0x0800, whole))
        check(u.ip_src == C and u.ip_dst == ORIG and u.sport == 5300 and u.dport == 5353 and
              u.payload == payload and u.l4_csum_ok,
              "reassembled: rewritten to the backend, payload and UDP checksum right")
    check(st["fragments_sent_extra"] == 2, "2 fragments counted beyond the datagram (%d)" % st["fragments_sent_extra"])
    check(st["forwarded"] == 2, "forwarded: the SYN and the datagram (%d)" % st["forwarded"])
    del info_mtu


def fragments_in(binary, work):
    """A fragmented UDP request (out of order) and its fragmented reply go through whole;
    what cannot be reassembled is given up and counted; a flood of lone fragments is
    bounded by the table."""
    cfg = config(True, True)
    cfg["ip"] = {"reassembly_max": 64, "reassembly_timeout_ms": 200}
    frames = []
    req = bytes((i * 7) & 0xFF for i in range(2600))
    dg = ipv4(C, VIP, 17, udp(C, VIP, 5400, 53, req), frag=0, ident=4242)
    f1, f2 = fragment(dg, [1480, 1480])
    frames += [frame(f2), frame(f1)]                        # the last first
    rep = bytes((i * 13) & 0xFF for i in range(3500))
    rdg = ipv4(ORIG, C, 17, udp(ORIG, C, 5353, 5400, rep), frag=0, ident=999)
    frames += [frame(f, src_mac=ORIG_MAC) for f in fragment(rdg, [1480, 1480, 1480])]
    # overlapping: the second starts inside the first
    ov = ipv4(C, VIP, 17, udp(C, VIP, 5401, 53, b"o" * 2000), frag=0, ident=5000)
    o1, o2 = fragment(ov, [1480, 1480])
    h = bytearray(o2)
    struct.pack_into("!H", h, 6, (1480 - 16) // 8)
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h[:20])))
    frames += [frame(o1), frame(bytes(h))]
    # nine fragments of one datagram: more than ACES reassembles (8)
    nine = ipv4(C, VIP, 17, udp(C, VIP, 5402, 53, b"n" * 1000), frag=0, ident=6000)
    frames += [frame(f) for f in fragment(nine, [112] * 8 + [0])]
    # after the overlap and the nine, one more fragmented request gets through
    late = ipv4(C, VIP, 17, udp(C, VIP, 5403, 53, b"L" * 1600), frag=0, ident=7000)
    frames += [frame(f) for f in fragment(late, [1480, 1480])]
    # a flood of first fragments that never complete: 300 datagrams, table of 64 (the
    # rest refused at once; what is in the table given up after 200 ms)
    for i in range(300):
        fl = ipv4(C, VIP, 17, udp(C, VIP, 6000 + i, 53, b"f" * 100), frag=0, ident=10000 + i)
        frames.append(frame(fragment(fl, [56, 56])[0]))
    # fragments to nobody's address: dropped before they take a slot
    frames.append(frame(fragment(ipv4(C, "10.10.9.9", 17, udp(C, "10.10.9.9", 1, 2, b"x" * 100),
                                      frag=0), [56, 56])[0]))
    a, out = on_pcap(binary, work, "frag-in", cfg, frames)
    try:
        a.wait("telemetry", lambda: a.ctl("info"))
        # given up: the overlap (2), the nine (9), the flood (300); all by 200 ms + sweep
        st = a.wait("everything accounted for", lambda: (lambda s: s if (
            s["port0"]["rx_packets"] == len(frames) and
            s["forwarded"] + s["drops_total"] + s["fragments_merged"] == len(frames)) else None)(a.ctl("stats")),
            limit=20)
    finally:
        rc = a.stop()
    check(rc == 0, "fragments: aces exits 0")
    ps = out_ip(out)
    to_b = [p for p in ps if p.ip_dst == ORIG]
    to_c = [p for p in ps if p.ip_dst == C]
    groups = {}
    for p in to_b:
        groups.setdefault(p.ident, []).append(p)
    dgs = [Parsed(eth(ORIG_MAC, PORT_MAC[0], 0x0800, reassemble(g))) for g in groups.values()
           if reassemble(g) is not None]
    got = sorted((u.sport, len(u.payload)) for u in dgs)
    check(got == [(5400, 2600), (5403, 1600)], "two requests reach the backend whole (%s)" % got)
    for u in dgs:
        check(u.ip_src == C and u.dport == 5353 and u.l4_csum_ok,
              "request %d: rewritten to ORIG:5353, UDP checksum right" % u.sport)
        if u.sport == 5400:
            check(u.payload == req, "the out-of-order request's payload intact")
    rg = reassemble(to_c)
    if check(rg is not None, "the reply reaches the client as fragments of one datagram (%d)" % len(to_c)):
        u = Parsed(eth(CLIENT_MAC, PORT_MAC[0], 0x0800, rg))
        check(u.ip_src == VIP and u.sport == 53 and u.dport == 5400 and u.payload == rep and u.l4_csum_ok,
              "reply rewritten from VIP:53, payload and checksum right")
        check(all(len(p.l3) <= 1500 for p in to_c), "reply fragments within the MTU")
    d = st["drops"]
    check(d["fragment_given_up"] == 2 + 9 + 300,
          "given up: overlap 2 + nine 9 + flood 300 = 311 (%d)" % d["fragment_given_up"])
    check(d["unknown_destination"] == 1, "a fragment to nobody dropped at once (%d)" % d["unknown_destination"])
    check(st["datagrams_reassembled"] == 3 and st["fragments_merged"] == 1 + 2 + 1,
          "3 datagrams reassembled, 4 fragments merged into them (%d, %d)"
          % (st["datagrams_reassembled"], st["fragments_merged"]))


def two_workers_fragments(binary, work):
    """Two workers, two receive queues (two captures): each datagram's first fragment comes
    on one queue and its second on the other, so both workers see parts of it; they meet at
    one worker (picked by addresses, id and protocol), and the datagram goes on to its flow's
    owner (picked by client port): every datagram reaches the backend whole."""
    cfg = config(True, True)
    n = 40
    files = [[], []]
    sent = {}
    for i in range(n):
        cp = 30000 + i
        data = bytes((cp + k) & 0xFF for k in range(1800))
        sent[cp] = data
        f1, f2 = fragment(ipv4(C, VIP, 17, udp(C, VIP, cp, 53, data), frag=0, ident=20000 + i), [1480, 1480])
        files[i % 2].append(frame(f1))
        files[1 - i % 2].append(frame(f2))
    ins = [os.path.join(work, "fw2-in%d.pcap" % q) for q in (0, 1)]
    outs = [os.path.join(work, "fw2-out%d.pcap" % q) for q in (0, 1)]
    for q in (0, 1):
        write_pcap(ins[q], files[q])
    a = Aces(binary, work, "dp-fw2", cfg,
             ["net_pcap0,rx_pcap=%s,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (ins[0], ins[1], outs[0], outs[1])],
             lcores="0@0,1@1,2@0")
    try:
        st = stats_settled(a, 2 * n)
    finally:
        rc = a.stop()
    check(rc == 0, "two workers, fragments: aces exits 0")
    check(st["datagrams_reassembled"] == n and st["fragments_merged"] == n and st["drops_total"] == 0,
          "40 datagrams reassembled from fragments that came on both queues, no drop (%d, %d, %s)"
          % (st["datagrams_reassembled"], st["fragments_merged"],
             {k: v for k, v in st["drops"].items() if v}))
    check(st["handed_to_owner_worker"] > 0, "fragments and datagrams handed between the workers (%d)"
          % st["handed_to_owner_worker"])
    check(min(st["flows_active_per_worker"]) > 0, "the flows spread over both workers (%s)"
          % st["flows_active_per_worker"])
    got = [p for q in (0, 1) for p in out_ip(outs[q]) if p.ip_dst == ORIG]
    groups = {}
    for p in got:
        groups.setdefault(p.ident, []).append(p)
    whole = {}
    for g in groups.values():
        d = reassemble(g)
        if d is not None:
            u = Parsed(eth(ORIG_MAC, PORT_MAC[0], 0x0800, d))
            if u.dport == 5353 and u.l4_csum_ok and sent.get(u.sport) == u.payload:
                whole[u.sport] = True
    check(len(whole) == n, "every datagram reached the backend whole and rewritten (%d of %d)" % (len(whole), n))


def jumbo_frames(binary, work):
    """MTU 9000 (frames longer than an mbuf: the port sends several segments): a 4 KB
    datagram reassembled from 3 fragments leaves as one frame, its header checksum right;
    an 11 KB one from 8 fragments is split into 2 within the MTU (fragments pointing into
    the datagram), whole again at the backend; a fragment with a bad header checksum is
    dropped. Below jumbo MTUs the other scenarios cover the copied fragments."""
    cfg = config(True, True)
    cfg["interfaces"]["client"]["mtu"] = 9000
    cfg["interfaces"]["backend"]["mtu"] = 9000
    mid = bytes((7 * k) & 0xFF for k in range(4000))
    big = bytes((k * 13 + 5) & 0xFF for k in range(11000))
    frames = [frame(f) for f in fragment(ipv4(C, VIP, 17, udp(C, VIP, 5500, 53, mid), frag=0, ident=3100),
                                         [1480, 1480, 0])]
    frames += [frame(f) for f in fragment(ipv4(C, VIP, 17, udp(C, VIP, 5501, 53, big), frag=0, ident=3101),
                                          [1480] * 7 + [0])]
    # a fragment whose header checksum is wrong: ACES gives the datagram a checksum of its
    # own, so it checks the fragments' first
    bad = bytearray(fragment(ipv4(C, VIP, 17, udp(C, VIP, 5502, 53, b"b" * 2000), frag=0, ident=3102),
                             [1480, 0])[0])
    bad[10] ^= 0x5a
    frames.append(frame(bytes(bad)))
    a, out = on_pcap(binary, work, "jumbo", cfg, frames)
    try:
        st = stats_settled(a, len(frames))
    finally:
        rc = a.stop()
    check(rc == 0, "jumbo: aces exits 0")
    check(st["datagrams_reassembled"] == 2 and st["drops_total"] == 1 and st["drops"]["bad_checksum"] == 1,
          "2 datagrams reassembled, the fragment with a bad header checksum dropped as bad_checksum (%d, %s)"
          % (st["datagrams_reassembled"], {k: v for k, v in st["drops"].items() if v}))
    ps = [p for p in out_ip(out) if p.ip_dst == ORIG]
    one = [p for p in ps if p.ident == 3100]
    two = [p for p in ps if p.ident == 3101]
    if check(len(one) == 1 and len(one[0].l3) == 4028, "the 4 KB datagram leaves as one frame of 4028 bytes (%s)"
             % [len(p.l3) for p in one]):
        u = Parsed(eth(ORIG_MAC, PORT_MAC[0], 0x0800, one[0].l3))
        check(u.sport == 5500 and u.dport == 5353 and u.payload == mid and u.l4_csum_ok and one[0].ip_csum_ok,
              "... rewritten to ORIG:5353, payload and checksums right")
    check(len(two) == 2 and all(len(p.l3) <= 9000 and p.ip_csum_ok for p in two),
          "the 11 KB datagram leaves as 2 fragments within MTU 9000 (%s)" % [len(p.l3) for p in two])
    whole = reassemble(two)
    if check(whole is not None, "its fragments make a whole datagram"):
        u = Parsed(eth(ORIG_MAC, PORT_MAC[0], 0x0800, whole))
        check(u.sport == 5501 and u.dport == 5353 and u.payload == big and u.l4_csum_ok,
              "... rewritten to ORIG:5353, payload and UDP checksum right")
    check(st["fragments_sent_extra"] == 1, "1 fragment counted beyond the datagram (%d)" % st["fragments_sent_extra"])


def main():
    return run_scenarios("icmp", "aces-icmp-", (
        icmp_of_flows, mtu_and_budget, fragments_in, two_workers_fragments, jumbo_frames))


if __name__ == "__main__":
    sys.exit(main())
