#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-plane test of moving connections (app/handover/migrate.c), against the real binary on a
net_af_packet port, with this script playing the client, both backends and their agents
over a raw socket on the veth's other end (in a network namespace of its own):

  three established flows of an endpoint with "migrate"; a transition puts it in the moving
  phase; ACES sends authenticated MOVE datagrams (checked here: HMAC, fields); while held,
  the client's data reaches the original as a bare ACK, the original's data still reaches
  the client and its RST does not; one move is answered "moved" (the flow then goes to the
  replacement), one "failed" after a forged answer was refused (it stays on the original),
  one never (resent, timed out, stays); then nothing is left to move and the endpoint drains.

Usage: test_migrate.py --aces BUILD/app/aces   (root: network namespaces, raw sockets)
Prints "N passed, M failed"; exits non-zero when a check fails."""
import argparse
import ctypes
import hashlib
import hmac
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from pktlib import ACK, PSH, RST, SYN, Parsed, eth, ipv4, tcp, udp  # noqa: E402

ACESCTL = os.path.join(ROOT, "tools", "acesctl")
CLIENT_MAC, ORIG_MAC, REPL_MAC = "02:00:00:00:01:02", "02:00:00:00:02:10", "02:00:00:00:02:20"
C, VIP, ORIG, REPL, OWN = "10.10.1.2", "10.10.1.100", "10.10.2.10", "10.10.2.20", "10.10.2.1"
SECRET = b"the agents' shared secret, 40 bytes long"
RESULTS = {"passed": 0, "failed": 0}


def check(cond, what):
    RESULTS["passed" if cond else "failed"] += 1
    if not cond:
        print("FAIL: " + what, flush=True)
    return cond


def seal(typ, mid, payload, key=SECRET, age_ms=0):
    head = struct.pack(">IBBHIQQ", 0x41434150, 1, typ, 0, len(payload), mid,
                       int(time.time() * 1000) - age_ms)
    return head + payload + hmac.new(key, head + payload, hashlib.sha256).digest()


def result(mid, status, stage, msg=b"", key=SECRET):
    p = struct.pack(">iBxxxI", status, stage, 1234) + msg.ljust(96, b"\0")[:96]
    pl = seal(2, mid, p, key)
    return eth(PORT_MAC, ORIG_MAC, 0x0800, ipv4(ORIG, OWN, 17, udp(ORIG, OWN, 7800, 49999, pl)))


PORT_MAC = None   # the ACES port's MAC, learnt from its first frame


def c2v(sport, flags, seq, ack, payload=b""):
    return eth(PORT_MAC, CLIENT_MAC, 0x0800, ipv4(C, VIP, 6, tcp(C, VIP, sport, 7000, flags, seq, ack, payload)))


def b2c(sport, flags, seq, ack, payload=b""):
    return eth(PORT_MAC, ORIG_MAC, 0x0800, ipv4(ORIG, C, 6, tcp(ORIG, C, 7000, sport, flags, seq, ack, payload)))


class Wire:
    """The raw socket on the veth's far end, opened inside the test's namespace."""

    def __init__(self, ns, dev):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        me = os.open("/proc/self/ns/net", os.O_RDONLY)
        there = os.open("/var/run/netns/" + ns, os.O_RDONLY)
        if libc.setns(there, 0x40000000) != 0:      # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
        try:
            self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            self.s.bind((dev, 0))
        finally:
            libc.setns(me, 0x40000000)
            os.close(me)
            os.close(there)
        self.seen = []

    def send(self, fr):
        self.s.send(fr)

    def recv_until(self, pred, limit=5.0):
        """Frames (parsed) until one satisfies @pred; returns it (or None at the deadline)."""
        end = time.time() + limit
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], max(0.0, end - time.time()))
            if not r:
                continue
            p = Parsed(self.s.recv(65535))
            self.seen.append(p)
            if pred(p):
                return p
        return None


def ctl(prefix, *args):
    r = subprocess.run([ACESCTL, "-f", prefix, "--json"] + list(args), capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout)


def wait(what, fn, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (RuntimeError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def is_move(p):
    return (p.etype == 0x0800 and p.proto == 17 and p.ip_src == OWN and p.sport == 49999 and
            p.dport == 7800)


def scenario(binary, work):
    global PORT_MAC
    ns, dev = "dpm%d" % os.getpid(), "dpm%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", dev + "a", "type", "veth", "peer", "name",
                        dev + "b"], check=True)
        for d in (dev + "a", dev + "b"):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.%s.disable_ipv6=1" % d], check=False)
            subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", d, "tx", "off", "rx", "off"],
                           capture_output=True)
            subprocess.run(["ip", "-n", ns, "link", "set", d, "up"], check=True)
        secret = os.path.join(work, "secret")
        with open(secret, "wb") as f:
            f.write(SECRET + b"\n")
        cfg = {
            "interfaces": {"client": {"port": 0, "address": "10.10.1.1/24"},
                           "backend": {"port": 0, "address": "10.10.2.1/24"}},
            "applications": {"original": {"backends": [{"name": "orig-1", "address": ORIG}]},
                             "replacement": {"backends": [{"name": "repl-1", "address": REPL}]}},
            "endpoints": [{"name": "lines", "vip": VIP, "port": 7000, "protocol": "tcp",
                           "statefulness": "session", "migrate": True,
                           "hooks": {"replicate": "true"}}],
            "agents": {"port": 7800, "secret_file": secret, "concurrency": 4,
                       "move_timeout_ms": 400},
            "flows": {"capacity": 4096},
            "neighbors": [{"address": ORIG, "mac": ORIG_MAC}, {"address": REPL, "mac": REPL_MAC}],
            "manager": {"health": {"probe": False, "passive_fall": 0}},
        }
        path = os.path.join(work, "migrate.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        wire = Wire(ns, dev + "b")
        prefix = "dpm%d" % os.getpid()
        log = open(os.path.join(work, "aces.log"), "w")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, binary, "--lcores", "0-1", "--no-pci",
                                 "--no-huge", "-m", "512", "--file-prefix", prefix, "--vdev",
                                 "net_af_packet0,iface=%s" % (dev + "a"), "--", "--config", path,
                                 "--no-state"], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        wait("telemetry", lambda: ctl(prefix, "info"), 30)
        PORT_MAC = ctl(prefix, "info")["client"]["mac"].lower()

        # three established connections on the original
        ports = [41001, 41002, 41003]
        for p in ports:
            wire.send(c2v(p, SYN, 100, 0))
            check(wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.dport == 7000 and
                                  q.sport == p and q.flags == SYN and q.ip_dst == ORIG) is not None,
                  "flow %d: the SYN reaches the original" % p)
            wire.send(b2c(p, SYN | ACK, 500, 101))
            wire.send(c2v(p, ACK, 101, 501))
        wait("3 established flows", lambda: all(ctl(prefix, "flow", "lines", "%s:%d" % (C, p))["state"] ==
                                                "established" for p in ports))
        ctl(prefix, "transition", "start")
        moves = {}
        end = time.time() + 10
        while len(moves) < 3 and time.time() < end:
            m = wire.recv_until(is_move, max(0.0, end - time.time()))
            if m is None:
                break
            pl = m.seg[8:]
            ok = len(pl) == 28 + 24 + 32 and hmac.compare_digest(
                hmac.new(SECRET, pl[:-32], hashlib.sha256).digest(), pl[-32:])
            check(ok, "a MOVE datagram authenticated with the shared secret")
            mid = struct.unpack(">Q", pl[12:20])[0]
            lip, lport, pport, pip, dip, aport, dport, budget = struct.unpack(">4sHH4s4sHHI", pl[28:52])
            check(m.dst == ORIG_MAC and m.ip_dst == ORIG and m.l4_csum_ok and m.ip_csum_ok,
                  "the MOVE goes to the original's agent, checksums valid")
            check((socket.inet_ntoa(lip), lport, socket.inet_ntoa(pip), socket.inet_ntoa(dip), aport,
                   dport, budget) == (ORIG, 7000, C, REPL, 7800, 7000, 400),
                  "MOVE fields: the original's end, the client, the replacement, its agent port, "
                  "the budget (%s)" % ((socket.inet_ntoa(lip), lport, pport, socket.inet_ntoa(dip)),))
            moves.setdefault(pport, mid)
        check(sorted(moves) == ports, "a MOVE for each of the 3 flows (%s)" % sorted(moves))
        p1, p2, p3 = ports
        st0 = ctl(prefix, "stats")

        # held: the client's data reaches the original as a bare ACK; the original's data
        # reaches the client, its RST does not
        wire.send(c2v(p1, ACK | PSH, 101, 501, b"held request\n"))
        bare = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.sport == p1 and
                               q.ip_dst == ORIG)
        check(bare is not None and bare.payload == b"" and bare.flags == ACK and bare.ack == 501 and
              bare.seq == 101 and bare.l4_csum_ok and bare.ip_csum_ok,
              "a held flow's data segment reaches the original as a bare ACK, checksums valid (%s)"
              % ((bare and (bare.flags, bare.payload, bare.seq, bare.ack)),))
        wire.send(b2c(p1, ACK | PSH, 501, 101, b"last reply\n"))
        r = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.dport == p1 and
                            q.ip_dst == C)
        check(r is not None and r.payload == b"last reply\n" and r.ip_src == VIP,
              "the original's data reaches the client while held")
        wire.send(b2c(p1, RST | ACK, 512, 101))
        r = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.dport == p1 and
                            q.flags & RST, 0.5)
        check(r is None, "the original's RST does not reach the client while held")

        # p1 moved; p2 refused once (forged), then failed; p3 never answered
        wire.send(result(moves[p2], 0, 0, b"forged", key=b"not the secret at all!!"))
        wire.send(result(moves[p1], 0, 0, b"moved"))
        wire.send(result(moves[p2], -2, 1, b"no relay or application here has it"))
        # the data sent while held was kept: passed on to the replacement once released
        r = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.sport == p1 and
                            q.payload == b"held request\n")
        check(r is not None and r.ip_dst == REPL and r.dst == REPL_MAC and r.l4_csum_ok and
              r.ip_csum_ok, "the data a client sent while held reaches the replacement once moved (%s)"
              % (r and r.ip_dst))
        wait("p1 re-pointed", lambda: ctl(prefix, "flow", "lines", "%s:%d" % (C, p1))["backend"] == "repl-1")
        wire.send(c2v(p1, ACK | PSH, 101, 512, b"after the move\n"))
        r = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.sport == p1 and
                            q.dport == 7000 and q.payload == b"after the move\n")
        check(r is not None and r.ip_dst == REPL and r.dst == REPL_MAC,
              "after the move the client's data goes to the replacement (%s)" % (r and r.ip_dst))
        wait("p2 released", lambda: not ctl(prefix, "flow", "lines", "%s:%d" % (C, p2))["held"])
        wire.send(c2v(p2, ACK | PSH, 101, 501, b"still here\n"))
        r = wire.recv_until(lambda q: q.etype == 0x0800 and q.proto == 6 and q.sport == p2 and
                            q.payload == b"still here\n")
        check(r is not None and r.ip_dst == ORIG, "a failed move leaves the flow on the original")
        wait("p3 timed out", lambda: not ctl(prefix, "flow", "lines", "%s:%d" % (C, p3))["held"], 5)
        wire.recv_until(lambda q: False, 0.2)     # what came meanwhile
        sent = [q for q in wire.seen if is_move(q) and struct.unpack(">Q", q.seg[20:28])[0] == moves[p3]]
        check(len(sent) >= 3, "an unanswered MOVE is sent again until its time is up (%d times)" % len(sent))
        wire.send(result(moves[p3], 0, 0, b"too late"))
        t = wait("moving over: draining", lambda: (lambda v: v if v["phase"] == "draining" else None)(
            ctl(prefix, "endpoint", "lines")), 10)
        check(t["flows_moved"] == 1 and t["flows_not_moved"] == 2 and t["flows_original"] == 2,
              "endpoint: 1 moved, 2 not, 2 left on the original, draining (%s)" %
              {k: t[k] for k in ("flows_moved", "flows_not_moved", "flows_original", "phase")})
        mv = wait("late answer counted", lambda: (lambda v: v if v["answers_late"] >= 1 else None)(
            ctl(prefix, "transition", "status")["moves"]), 5)
        check((mv["started"], mv["moved"], mv["failed"], mv["timed_out"], mv["in_flight"],
               mv["answers_refused"]) == (3, 1, 1, 1, 0, 1),
              "moves: 3 started, 1 moved, 1 failed, 1 timed out, 1 forged answer refused (%s)" % mv)
        check(mv["freeze_samples"] == 3 and mv["freeze_max_us"] >= 400000,
              "a freeze time for each move, the timed-out one over its budget (%s)" % mv["freeze_max_us"])
        check("no relay or application" in mv["last_error"] or "did not answer" in mv["last_error"],
              "the last failure is told (%s)" % mv["last_error"])
        st = ctl(prefix, "stats")
        check(st["held_data_stripped"] - st0["held_data_stripped"] == 1 and st["drops"]["flow_held"] >= 1,
              "counted: held_data_stripped 1, flow_held %d" % st["drops"]["flow_held"])
        check((st["held_data_kept"], st["held_data_passed_on"], st["held_data_not_kept"]) == (1, 1, 0),
              "counted: held_data_kept 1, held_data_passed_on 1, held_data_not_kept 0 (%s)" %
              ((st["held_data_kept"], st["held_data_passed_on"], st["held_data_not_kept"]),))
        evs = ctl(prefix, "events")
        evs = evs if isinstance(evs, list) else evs.get("events", [])
        check(any("move of %s:%d failed" % (C, p2) in e.get("reason", "") for e in evs),
              "the failed move is an event")
        check(st["flows_repointed"] == 1, "one flow re-pointed")
        proc.terminate()
        rc = proc.wait(20)
        check(rc == 0, "aces exits 0 (%s)" % rc)
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aces", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="aces-dpm-")
    try:
        try:
            scenario(os.path.abspath(args.aces), work)
        except Exception as e:  # a crash of the scenario is a failure, not an abort
            check(False, "scenario: %r\n%s" % (e, open(os.path.join(work, "aces.log")).read()[-3000:]
                                                 if os.path.exists(os.path.join(work, "aces.log")) else ""))
    finally:
        subprocess.run(["rm", "-rf", work])
    print("migrate: %d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
