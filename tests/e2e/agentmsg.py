#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send one MOVE datagram to a backend agent the way ACES does (aces/agentproto.h), with
a chosen secret and clock, to check that the agent refuses what is not authentic.

  agentmsg.py AGENT_IP AGENT_PORT SECRET_FILE|- AGE_MS LOCAL_IP:PORT PEER_IP:PORT DST_IP
      SECRET_FILE "-": a made-up secret. AGE_MS: how old the message claims to be.
      Prints the agent's answer ("status STAGE MESSAGE") or "no answer".
"""
import hashlib
import hmac
import socket
import struct
import sys
import time


def addr(s):
    h, p = s.rsplit(":", 1)
    return socket.inet_aton(h), int(p)


def main(ip, port, secret_file, age_ms, local, peer, dst):
    key = b"made-up secret, not the agents'" if secret_file == "-" else \
        open(secret_file, "rb").read().rstrip(b"\r\n")
    lip, lport = addr(local)
    pip, pport = addr(peer)
    payload = (lip + struct.pack(">HH", lport, pport) + pip + socket.inet_aton(dst) +
               struct.pack(">HHI", int(port), lport, 1000))
    head = struct.pack(">IBBHIQQ", 0x41434150, 1, 1, 0, len(payload), 0x5eed,
                       int(time.time() * 1000) - int(age_ms))
    msg = head + payload + hmac.new(key, head + payload, hashlib.sha256).digest()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(msg, (ip, int(port)))
    try:
        d = s.recv(512)
        st, stage = struct.unpack(">iB", d[28:33])
        print("status %d stage %d %s" % (st, stage, d[40:136].rstrip(b"\0").decode()))
    except socket.timeout:
        print("no answer")


if __name__ == "__main__":
    main(*sys.argv[1:])
