# SPDX-License-Identifier: BSD-3-Clause
"""RESP spoken by hand for the Redis test clients (standard library only)."""


def cmd(*args):
    """One command as a RESP array of bulk strings."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_reply(f):
    """One reply from the buffered reader @f: bytes, None, a list; an error raises."""
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b":"):
        return rest
    if t == b"-":
        raise RuntimeError("error reply: %r" % rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        return f.read(n + 2)[:-2]
    if t == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise RuntimeError("unexpected reply %r" % line)
