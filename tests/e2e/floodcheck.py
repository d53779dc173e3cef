#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The SYN-flood test's sampler and checker (tests/e2e/test_flood.sh).

  floodcheck.py sample PREFIX OUT STOPFILE
      /aces/stats every 20 ms on one telemetry connection until STOPFILE exists (at most
      120 s): one JSON line per sample, {"t": unix ms when the answer came, "shed":
      new_flow_shed, "missed": hw_rx_missed summed over the ports}.
  floodcheck.py check GEN_OUT SAMPLES [FIGURES]
      aces-gen's --ticks output (established frames sent and answered, flood frames sent,
      every 100 ms) against the samples: ok/FAIL/info lines; FIGURES: the measured figures
      as JSON, for the benchmark harness.

What is checked (issue #26): the established flows keep >= 80 % of their rate through the
flood; ACES sheds new flows, starting within 200 ms of the first received packets lost,
and stops within a second of the flood's end.
"""
import importlib.machinery
import importlib.util
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def acesctl():
    loader = importlib.machinery.SourceFileLoader("acesctl", os.path.join(ROOT, "tools", "acesctl"))
    spec = importlib.util.spec_from_loader("acesctl", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def sample(prefix, out, stopfile):
    ctl = acesctl()
    c = ctl.Client(prefix)
    end = time.time() + 120
    with open(out, "w") as f:
        while not os.path.exists(stopfile) and time.time() < end:
            st = c.call("/aces/stats")
            missed = sum(v["hw_rx_missed"] for v in st.values()
                         if isinstance(v, dict) and "hw_rx_missed" in v)
            f.write(json.dumps({"t": int(time.time() * 1000), "shed": st["drops"]["new_flow_shed"],
                                "missed": missed}) + "\n")
            f.flush()
            time.sleep(0.02)
    c.close()


def check(gen_out, samples_path, figures_path=None):
    res = []

    def chk(cond, what):
        res.append(("ok: " if cond else "FAIL: ") + what)

    ticks, fstart, fend, summary = [], None, None, None
    with open(gen_out) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "tick" and len(w) == 6:
                ticks.append([int(x) for x in w[1:]])
            elif w[0] == "flood-start":
                fstart = int(w[1])
            elif w[0] == "flood-end":
                fend = int(w[1])
            elif line.startswith("{"):
                summary = json.loads(line)
    samples = []
    with open(samples_path) as f:
        for line in f:
            try:
                samples.append(json.loads(line))
            except ValueError:
                pass        # a line cut short when the sampler was stopped
    if fstart is None or fend is None or len(ticks) < 20 or len(samples) < 20 or summary is None:
        print("FAIL: the flood run gave no result (flood start %s, end %s, %d ticks, %d samples)"
              % (fstart, fend, len(ticks), len(samples)))
        return

    def rate(t0, t1):
        """established answers per second between unix ms t0 and t1 (ticks inside)"""
        inside = [k for k in ticks if t0 <= k[0] <= t1]
        if len(inside) < 2 or inside[-1][0] == inside[0][0]:
            return 0.0, 0.0
        dt = (inside[-1][0] - inside[0][0]) / 1000.0
        return (inside[-1][2] - inside[0][2]) / dt, (inside[-1][1] - inside[0][1]) / dt

    t_first = ticks[0][0]
    before, sent_before = rate(t_first + 1000, fstart)      # the first second is warm-up
    during, sent_during = rate(fstart, fend)
    after, _ = rate(fend + 1000, ticks[-1][0])
    fl = [k for k in ticks if fstart <= k[0] <= fend]
    flood_pps = (fl[-1][3] - fl[0][3]) * 1000.0 / max(1, fl[-1][0] - fl[0][0]) if len(fl) >= 2 else 0
    kept = during / before if before else 0.0

    # loss and shedding, from the samples: an event lies between the sample before the one
    # that shows it and that one; the latency is bounded from above (the earliest loss,
    # the latest start of shedding)
    loss_i = next((i for i in range(1, len(samples)) if samples[i]["missed"] > samples[0]["missed"]), None)
    shed_i = next((i for i in range(1, len(samples)) if samples[i]["shed"] > samples[0]["shed"]), None)
    last_i = None
    for i in range(1, len(samples)):
        if samples[i]["shed"] > samples[i - 1]["shed"]:
            last_i = i
    shed_total = samples[-1]["shed"] - samples[0]["shed"]
    lost_total = samples[-1]["missed"] - samples[0]["missed"]
    gaps = [samples[i]["t"] - samples[i - 1]["t"] for i in range(1, len(samples))]
    fig = {"established_pps_before": round(before), "established_pps_during": round(during),
           "established_pps_after": round(after), "established_sent_pps": round(sent_before),
           "kept_under_flood": round(kept, 3), "flood_pps": round(flood_pps),
           "flood_ms": fend - fstart, "new_flow_shed": shed_total, "rx_lost": lost_total,
           "sample_gap_ms_max": max(gaps)}
    if loss_i is not None and shed_i is not None:
        fig["shed_start_after_loss_ms"] = samples[shed_i]["t"] - samples[loss_i - 1]["t"]
        fig["loss_after_flood_start_ms"] = samples[loss_i]["t"] - fstart
    if last_i is not None:
        fig["shed_end_after_flood_end_ms"] = samples[last_i]["t"] - fend
    print("info: flood %.0f pps for %d ms; established %.0f answers/s before, %.0f during (%.0f %%), "
          "%.0f after; %d received packets lost, %d new flows shed; sampled every <= %d ms"
          % (flood_pps, fend - fstart, before, during, 100 * kept, after, lost_total, shed_total,
             max(gaps)))
    chk(before > 0.9 * sent_before, "before the flood the established flows are answered "
        "(%.0f of %.0f/s)" % (before, sent_before))
    chk(lost_total > 0 and loss_i is not None and samples[loss_i]["t"] >= fstart - 100,
        "the flood overran ACES: received packets lost (%d), first seen after the flood began"
        % lost_total)
    chk(shed_total > 0, "new flows shed under the flood (%d)" % shed_total)
    chk(kept >= 0.8, "established flows kept %.0f %% of their rate through the flood (at least 80 %%)"
        % (100 * kept))
    if loss_i is not None and shed_i is not None:
        chk(fig["shed_start_after_loss_ms"] <= 200,
            "shedding began within 200 ms of the first loss (at most %d ms after it)"
            % fig["shed_start_after_loss_ms"])
        chk(samples[shed_i]["t"] >= fstart, "nothing shed before the flood")
    if last_i is not None:
        chk(fig["shed_end_after_flood_end_ms"] <= 1000,
            "shedding stopped within 1 s of the flood's end (the last shed seen %d ms after it)"
            % fig["shed_end_after_flood_end_ms"])
    chk(after > 0.9 * sent_before, "after the flood the established flows are answered as before "
        "(%.0f/s)" % after)
    for line in res:
        print(line)
    if figures_path:
        with open(figures_path, "w") as f:
            json.dump(fig, f)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "sample":
        sample(*sys.argv[2:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
