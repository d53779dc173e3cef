#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Prometheus exporter (issue #14) against a real Prometheus server (Debian's
`prometheus`): ACES on net_pcap reads crafted frames (three of them malformed), `acesctl
exporter` serves its metrics, Prometheus scrapes them every second; a drop counter and an
endpoint's replacement weight (set by hand while it runs) are read back through
Prometheus's query API. Also checks the exposition itself: names, types and labels.

Usage: test_exporter.py --aces BUILD/app/aces"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from pktlib import ACK, SYN, eth, ipv4, tcp, write_pcap  # noqa: E402
from test_pcap import C, CLIENT_MAC, PORT_MAC, RESULTS, VIP, Aces, b2c, check, config  # noqa: E402

ACESCTL = os.path.join(ROOT, "tools", "acesctl")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait(what, pred, limit=30.0, procs=()):
    end = time.time() + limit
    while time.time() < end:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError("%s exited (%s) while waiting for %s" % (p.args[0], p.returncode, what))
        try:
            v = pred()
            if v:
                return v
        except (OSError, ValueError, KeyError, IndexError):
            pass
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for " + what)


def stop(p):
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aces", required=True)
    args = ap.parse_args()
    prom = shutil.which("prometheus")
    if prom is None:
        print("FAIL: prometheus is not installed (tools/setup.sh installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="aces-exp-")
    a = exp = srv = None
    try:
        frames = [eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 6, tcp(C, VIP, 41000 + i, 80, SYN)))
                  for i in range(5)]
        frames += [b2c(41000 + i, SYN | ACK, 100, 2) for i in range(5)]    # 5 handshakes
        frames += [eth(PORT_MAC[0], CLIENT_MAC, 0x0800, ipv4(C, VIP, 6, tcp(C, VIP, 1, 80, SYN)))[:30]] * 3
        inp = os.path.join(work, "in.pcap")
        write_pcap(inp, frames)
        a = Aces(os.path.abspath(args.aces), work, "dp-exp", config(True, True),
                 ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(work, "out.pcap"))])
        a.wait("frames received", lambda: a.ctl("stats")["port0"]["rx_packets"] == len(frames))
        a.wait("handshakes counted", lambda: a.ctl("endpoint", "web")["handshake_hist_original"][0] == 5)
        # every counter family from one list: what /aces/counters names is what the commands show
        names = a.ctl("counters")
        check(sorted(names) == sorted(["stats", "drops", "control", "port", "flow_table", "endpoint",
                                       "backend_health", "moves", "reload", "restart", "routing"]) and
              all(isinstance(h, str) and h for fam in names.values() for h in fam.values()),
              "/aces/counters: eleven families, every counter with a meaning")
        st = a.ctl("stats")
        not_listed = [k for k, v in st.items() if isinstance(v, int) and k not in names["stats"] and
                      k not in ("drops_total", "tsc_hz", "flow_capacity")]
        check(not not_listed, "/aces/stats: every counter is in the listing (not listed: %s)" % not_listed)
        check(sorted(st["drops"]) == sorted(names["drops"]) and
              sorted(st["control"]) == sorted(names["control"]) and
              sorted(st["flow_table"]) == sorted(names["flow_table"]) and
              sorted(k for k in st["port0"] if k not in ("port", "role")) == sorted(names["port"]),
              "/aces/stats: drops, control, flow_table and a port's counters are exactly their listed families")
        be = [v for v in a.ctl("backends").values() if isinstance(v, dict)]
        ep = a.ctl("endpoint", "web")
        cf = a.ctl("config")
        check(be and all(k in b for b in be for k in names["backend_health"]) and
              all(k in ep for k in names["endpoint"]) and all(k in cf for k in names["reload"]),
              "/aces/backends, /aces/endpoint and /aces/config show their listed counters")
        eport, pport = free_port(), free_port()
        exp = subprocess.Popen([sys.executable, ACESCTL, "-f", "dp-exp", "exporter", "--listen",
                                "127.0.0.1:%d" % eport], stdout=open(os.path.join(work, "exp.log"), "w"),
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        text = wait("the exporter", lambda: get("http://127.0.0.1:%d/metrics" % eport), procs=[exp])
        lines = text.splitlines()
        check('aces_drops_total{reason="malformed_ip"} 3.0' in lines,
              "exposition: the 3 truncated frames as aces_drops_total{reason=\"malformed_ip\"} 3")
        check("# TYPE aces_drops_total counter" in lines and
              "# TYPE aces_endpoint_replacement_weight_percent gauge" in lines,
              "exposition: counters and gauges typed by Prometheus conventions")
        check('aces_endpoint_phase{endpoint="web",phase="original"} 1.0' in lines and
              'aces_endpoint_phase{endpoint="web",phase="migrating"} 0.0' in lines,
              "exposition: the phase as a state set")
        check('aces_port_receive_packets_total{port="port0",role="client+backend"} 13.0' in lines,
              "exposition: per-port packet counters")
        check('aces_backend_up{backend="orig-1",side="original"} 1.0' in lines and
              'aces_flows_created_total 5.0' in lines and "aces_up 1.0" in lines,
              "exposition: backends, worker counters, aces_up")
        check('aces_endpoint_handshake_seconds_bucket{endpoint="web",le="0.001",side="original"} 5.0' in lines
              and 'aces_endpoint_handshake_seconds_bucket{endpoint="web",le="+Inf",side="original"} 5.0' in lines
              and "# TYPE aces_endpoint_handshake_seconds histogram" in lines,
              "exposition: the handshake-time histogram (5 handshakes under 1 ms)")
        check("# HELP aces_forwarded_total %s" % names["stats"]["forwarded"] in lines and
              "# HELP aces_backend_syn_rescued_total passive health: %s" % names["backend_health"]["syn_rescued"]
              in lines, "exposition: help texts and passive counter names from /aces/counters")
        check(not [l for l in lines if l.startswith("process_") or l.startswith("python_")],
              "exposition: only ACES's metrics")

        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: aces\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % eport)
        srv = subprocess.Popen([prom, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                                "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"],
                               stdout=open(os.path.join(work, "prom.log"), "w"), stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)

        def query(q):
            r = json.loads(get("http://127.0.0.1:%d/api/v1/query?%s"
                               % (pport, urllib.parse.urlencode({"query": q}))))
            res = r["data"]["result"]
            return float(res[0]["value"][1]) if res else None

        v = wait("Prometheus to scrape the drop counter",
                 lambda: query('aces_drops_total{reason="malformed_ip",job="aces"}') is not None and
                 query('aces_drops_total{reason="malformed_ip",job="aces"}'), limit=60, procs=[srv, exp])
        check(v == 3.0, "Prometheus reads aces_drops_total{reason=\"malformed_ip\"} = 3 (%s)" % v)
        a.ctl("assign", "web", "42")
        v = wait("the new weight in Prometheus",
                 lambda: query('aces_endpoint_replacement_weight_percent{endpoint="web"}') == 42.0,
                 limit=30, procs=[srv, exp])
        check(v, "Prometheus reads web's replacement weight 42 after the change")
        v = query('histogram_quantile(0.95, aces_endpoint_handshake_seconds_bucket{endpoint="web",side="original"})')
        check(v is not None and 0 < v <= 0.001, "Prometheus: web's handshake p95 from the histogram <= 1 ms (%s)" % v)
        v = query('sum(aces_endpoint_flows{endpoint="web"})')
        check(v == 5.0, "Prometheus: web's open flows summed over the sides = 5 (%s)" % v)
        # the appliance gone: the exporter says so instead of failing the scrape
        a.stop()
        text = wait("aces_up 0", lambda: "aces_up 0.0" in get("http://127.0.0.1:%d/metrics" % eport)
                    and "yes", procs=[exp])
        check(bool(text), "with ACES stopped the exporter answers aces_up 0")
    except Exception as e:  # a crash of the scenario is a failure, not an abort
        check(False, "exporter: %s" % e)
        for log in ("exp.log", "prom.log"):
            path = os.path.join(work, log)
            if os.path.exists(path):
                print("---- %s\n%s" % (log, open(path).read()[-2000:]))
    finally:
        stop(srv)
        stop(exp)
        if a is not None:
            a.stop()
        subprocess.run(["rm", "-rf", work])
    print("exporter: %d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
