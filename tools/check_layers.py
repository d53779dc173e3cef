#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rooms of app/ depend downward only (README "Layout").

Every C file of app/<room>/ may include the headers of its own room and of the rooms below
it, named with the room: #include "datapath/worker.h". It fails when a file includes a
header of a room above its own, a header of app/ without its room, or one that does not
exist. app/main.c, at the top, may include every room; app/agent is a program of its own and
includes none. A header that says "Private to app/ROOM" is included by that room's files
only; one that says "Included only by ROOM/FILE" by that file and by headers that say the
same (the worker's stages: only datapath/worker.c compiles them). Prints each violation;
exit status 1 when there is any.

  tools/check_layers.py [APP_DIR]
"""
import os
import re
import sys

ORDER = ("common", "net", "datapath", "health", "handover", "manager", "routing", "lifecycle",
         "control", "telemetry")
TOP = len(ORDER)            # app/main.c
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PRIVATE = re.compile(r"Private to app/([a-z_]+)")
ONLY_BY = re.compile(r"Included only by ([a-z_]+/[a-z_]+\.c)")


def visibility(app, inc, cache={}):
    """(room it is private to, or None; file it is included only by, or None)."""
    if inc not in cache:
        with open(os.path.join(app, inc), errors="replace") as f:
            head = f.read(4096)
        p, o = PRIVATE.search(head), ONLY_BY.search(head)
        cache[inc] = (p.group(1) if p else None, o.group(1) if o else None)
    return cache[inc]


def main():
    app = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app")
    bad, files = [], 0
    rooms_seen = set()
    for dirpath, _, names in os.walk(app):
        rel = os.path.relpath(dirpath, app)
        room = rel.split(os.sep)[0]
        for n in sorted(names):
            if not n.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, n)
            where = os.path.relpath(path, app)
            if rel == ".":
                rank = TOP
            elif room == "agent":
                rank = None
            elif room in ORDER and rel == room:
                rank = ORDER.index(room)
                rooms_seen.add(room)
            else:
                bad.append("app/%s: in no room (rooms: %s)" % (where, ", ".join(ORDER)))
                continue
            files += 1
            with open(path, errors="replace") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                head = inc.split("/")[0]
                if head == "aces" or (rank is None and head != "agent"):
                    continue        # include/aces (lib/), or the agent's own headers
                if head not in ORDER:
                    bad.append('app/%s: #include "%s": an app header without its room' % (where, inc))
                elif not os.path.isfile(os.path.join(app, inc)):
                    bad.append('app/%s: #include "%s": no such header' % (where, inc))
                elif rank is None:
                    bad.append('app/%s: #include "%s": app/agent includes no room' % (where, inc))
                elif ORDER.index(head) > rank:
                    bad.append('app/%s: #include "%s": %s is above %s' % (
                        where, inc, head, "main.c" if rank == TOP else ORDER[rank]))
                else:
                    private, only = visibility(app, inc)
                    if private is not None and private != room:
                        bad.append('app/%s: #include "%s": private to app/%s' % (
                            where, inc, private))
                    elif only is not None and where != only and not (
                            where.endswith(".h") and visibility(app, where)[1] == only):
                        bad.append('app/%s: #include "%s": included only by app/%s' % (
                            where, inc, only))
    missing = [r for r in ORDER if r not in rooms_seen]
    for r in missing:
        bad.append("app/%s: a room of the order has no files" % r)
    for b in bad:
        print("check_layers: " + b)
    print("check_layers: %d files, rooms %s: %s" % (files, " < ".join(ORDER),
                                                      "%d violations" % len(bad) if bad else "ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
