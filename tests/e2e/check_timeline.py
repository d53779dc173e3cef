#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks the demo's transition picture (acesctl timeline): a well-formed SVG with one row per
endpoint of the config, its recording in order (sample times strictly increasing, events inside
the recording), the weight lines drawn left to right, and the transition's start and end marked,
with every endpoint on the replacement at the end.

Usage: check_timeline.py FILE.svg CONFIG.json    prints ok:/FAIL: lines"""
import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def check(c, m):
    print(("ok: " if c else "FAIL: ") + "timeline: " + m)


def main():
    svg, cfg = sys.argv[1], json.load(open(sys.argv[2]))
    try:
        root = ET.parse(svg).getroot()
    except (OSError, ET.ParseError) as e:
        check(False, "%s is no well-formed SVG: %s" % (svg, e))
        return
    check(root.tag == NS + "svg", "the file is an SVG")
    want = [e["name"] for e in cfg["endpoints"]]
    rows = [g.get("data-endpoint") for g in root.iter(NS + "g") if g.get("class") == "row"]
    check(sorted(rows) == sorted(want), "one row per endpoint (%s, want %s)" % (rows, want))
    d = json.loads(root.find(NS + "metadata").text)
    ts = [s["t"] for s in d["samples"]]
    check(len(ts) >= 5 and all(a < b for a, b in zip(ts, ts[1:])),
          "%d samples, times strictly increasing" % len(ts))
    check(all(0 <= e["t"] <= ts[-1] for e in d["events"]), "every event inside the recording")
    ids = [e["id"] for e in d["events"]]
    check(ids == sorted(ids) and len(set(ids)) == len(ids), "events in journal order, none twice")
    ok = True
    for g in root.iter(NS + "g"):
        for pl in g.iter(NS + "polyline"):
            xs = [float(p.split(",")[0]) for p in pl.get("points").split()]
            ok = ok and all(a < b for a, b in zip(xs, xs[1:]))
    check(ok, "every line drawn left to right")
    marks = {ln.get("class") for ln in root.iter(NS + "line") if ln.get("class")}
    check({"mark-start", "mark-end"} <= marks, "the transition's start and end marked (%s)" % sorted(marks))
    last = {e["name"]: e for e in d["samples"][-1]["endpoints"]}
    check(all(last[n]["weight"] == 100 for n in want) and d["samples"][-1]["state"] == "complete",
          "at the end every endpoint at 100 %% and the transition complete (%s)"
          % {n: (last[n]["weight"], last[n]["phase"]) for n in want})
    first = {e["name"]: e for e in d["samples"][0]["endpoints"]}
    check(all(first[n]["weight"] == 0 for n in want), "at the start every endpoint on the original")


if __name__ == "__main__":
    main()
