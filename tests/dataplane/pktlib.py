# SPDX-License-Identifier: BSD-3-Clause
"""Tiny packet toolkit for the data-plane tests (standard library only):
builders for Ethernet/VLAN/ARP/IPv4/TCP/UDP/ICMP with checksums computed from
scratch, a parser for what ACES sends, and pcap read/write."""
import socket
import struct

PCAP_MAGIC = 0xA1B2C3D4


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def ip(s):
    return socket.inet_aton(s)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload, vlans=()):
    hdr = mac(dst) + mac(src)
    for v in vlans:
        hdr += struct.pack("!HH", 0x8100, v)
    return hdr + struct.pack("!H", etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag=0x4000, options=b"", total=None):
    ihl = 5 + len(options) // 4
    tl = total if total is not None else ihl * 4 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, ident, frag, ttl, proto, 0, ip(src), ip(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_csum(src, dst, proto, seg):
    return csum(ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def tcp(src, dst, sport, dport, flags, seq=1, ack=0, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = l4_csum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload=b"", zero_csum=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if zero_csum:
        return seg
    c = l4_csum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_echo(ident=7, seq=1, payload=b"ping", typ=8):
    msg = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)) + fr)


def read_pcap(path):
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(data[off + 16: off + 16 + incl])
        off += 16 + incl
    return out


class Parsed:
    """What a frame holds, with checksum verdicts computed from scratch."""

    def __init__(self, fr):
        self.raw = fr
        self.dst, self.src = mac_str(fr[0:6]), mac_str(fr[6:12])
        off, self.vlans = 12, []
        et = struct.unpack("!H", fr[off:off + 2])[0]
        while et == 0x8100:
            self.vlans.append(struct.unpack("!H", fr[off + 2:off + 4])[0])
            off += 4
            et = struct.unpack("!H", fr[off:off + 2])[0]
        off += 2
        self.etype = et
        self.l3 = fr[off:]
        if et == 0x0806:
            a = self.l3
            self.arp_op = struct.unpack("!H", a[6:8])[0]
            self.sha, self.spa = mac_str(a[8:14]), socket.inet_ntoa(a[14:18])
            self.tha, self.tpa = mac_str(a[18:24]), socket.inet_ntoa(a[24:28])
            return
        if et != 0x0800:
            return
        h = self.l3
        ihl = (h[0] & 15) * 4
        tl = struct.unpack("!H", h[2:4])[0]
        self.ttl, self.proto = h[8], h[9]
        self.ip_src, self.ip_dst = socket.inet_ntoa(h[12:16]), socket.inet_ntoa(h[16:20])
        self.ip_csum_ok = csum(h[:ihl]) == 0
        self.ident, fr = struct.unpack("!HH", h[4:8])
        self.df, self.mf, self.frag_off = bool(fr & 0x4000), bool(fr & 0x2000), (fr & 0x1FFF) * 8
        self.tos = h[1]
        seg = h[ihl:tl]
        self.seg = seg
        if self.mf or self.frag_off:
            return
        if self.proto in (6, 17):
            self.sport, self.dport = struct.unpack("!HH", seg[:4])
            if self.proto == 17 and struct.unpack("!H", seg[6:8])[0] == 0:
                self.l4_csum_ok = True
            else:
                self.l4_csum_ok = l4_csum(self.ip_src, self.ip_dst, self.proto, seg) == 0
            if self.proto == 6:
                self.flags = seg[13]
                self.seq, self.ack = struct.unpack("!II", seg[4:12])
                self.payload = seg[20:]
            else:
                self.payload = seg[8:]
        elif self.proto == 1:
            self.icmp_type, self.icmp_code = seg[0], seg[1]
            self.l4_csum_ok = csum(seg) == 0
            if self.icmp_type in (3, 11, 12) and len(seg) >= 28:
                self.mtu = struct.unpack("!H", seg[6:8])[0]
                self.inner = seg[8:]


def icmp_error(typ, code, quoted, mtu=0):
    """An ICMP error quoting @quoted (an IPv4 packet's first bytes)."""
    msg = struct.pack("!BBHHH", typ, code, 0, 0, mtu) + quoted
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def fragment(packet, sizes, ident=None):
    """Split IPv4 @packet (no options) into fragments carrying @sizes bytes of its payload
    each (multiples of 8 but the last; the rest goes into the last); returns the IPv4
    fragments in order."""
    ihl = (packet[0] & 15) * 4
    hdr, data = packet[:ihl], packet[ihl:]
    ident = struct.unpack("!H", hdr[4:6])[0] if ident is None else ident
    out, off = [], 0
    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        chunk = data[off:] if last else data[off:off + n]
        flags = (0 if last else 0x2000) | (off // 8)
        h = bytearray(hdr)
        struct.pack_into("!HHH", h, 2, ihl + len(chunk), ident, flags)
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", csum(bytes(h)))
        out.append(bytes(h) + chunk)
        off += len(chunk)
    return out


def reassemble(parsed):
    """The IPv4 datagram the fragments @parsed (Parsed, of one datagram) make, or None."""
    parts = sorted(parsed, key=lambda p: p.frag_off)
    if not parts or parts[0].frag_off != 0 or parts[-1].mf:
        return None
    data = b""
    for p in parts:
        if p.frag_off != len(data):
            return None
        data += p.seg
    h = bytearray(parts[0].l3[:20])
    struct.pack_into("!H", h, 2, 20 + len(data))
    h[6:8] = b"\0\0"
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + data
