#!/usr/bin/python3
"""A real Prometheus server scrapes a headless pcscspy-top every second while
traced programs use the test bed's card; afterwards Prometheus's HTTP query API
gives the same call counts (per function), APDU counts and PIN failures as the
session document that pcscspy-top writes at exit (--dump), and a scrape passes
`promtool check metrics`.
  prometheus_counts.py PCSCSPY_TOP PCSCSPY_RUN"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import fleet

top, run = sys.argv[1], sys.argv[2]
for tool in ("prometheus", "promtool", "opensc-tool"):
    if not shutil.which(tool):
        fleet.skip(f"{tool} is not installed (scripts/install-deps.sh)")
reader = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
d = fleet.workdir()
sock = os.path.join(d, "run", "socket")
monitor = fleet.Monitor(top, ["--socket", sock, "--metrics", "127.0.0.1:0", "--dump", os.path.join(d, "dump.json")], d)
prometheus = None
try:
    if not monitor.url:
        fleet.fail(f"the start line names no metrics URL: {monitor.start_line}")
    target = monitor.url.split("//")[1].split("/")[0]
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: pcscspy\n    static_configs:\n"
                f"      - targets: ['{target}']\n")
    port = fleet.free_port()
    api = f"http://127.0.0.1:{port}/api/v1/query"
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/tsdb",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=open(os.path.join(d, "prometheus.log"), "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def query(promql):
        url = api + "?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                answer = json.load(r)
        except OSError:
            return None
        if answer.get("status") != "success":
            fleet.fail(f"Prometheus refused {promql}: {answer}")
        return answer["data"]["result"]

    def up():
        if prometheus.poll() is not None:
            fleet.fail(f"prometheus exited with {prometheus.returncode}: {open(d + '/prometheus.log').read()[-800:]}")
        r = query('up{job="pcscspy"}')
        return r and r[0]["value"][1] == "1"
    fleet.wait_for("Prometheus to scrape pcscspy-top", up, timeout=60, step=0.5)

    # The traced workload: pyscard's card session (wrong PIN included), opensc-tool twice.
    fleet.traced(run, sock, fleet.workload("session"))
    fleet.traced(run, sock, ["opensc-tool", "-r", reader, "-s", "00A4040006D27600012401", "-s", "0084000008"])
    fleet.traced(run, sock, ["opensc-tool", "-r", reader, "-a"])
    final = fleet.quiet_session(monitor)
    events = final["pcscspy_events_total"]

    # Prometheus has the final values once a scrape after the last event went in.
    def caught_up():
        r = query("pcscspy_events_total")
        return r and float(r[0]["value"][1]) == events
    fleet.wait_for(f"Prometheus to see all {events:.0f} events", caught_up, timeout=30, step=0.5)
    by_function = {r["metric"]["function"]: float(r["value"][1])
                   for r in query("sum by (function) (pcscspy_calls_total)")}
    apdus = float(query("sum(pcscspy_apdus_total)")[0]["value"][1])
    pin_failures = float(query("sum(pcscspy_pin_verify_failures_total)")[0]["value"][1])
    verify_apdus = float(query('sum(pcscspy_apdus_total{ins="VERIFY"})')[0]["value"][1])

    scrape = os.path.join(d, "scrape.txt")
    with open(scrape, "w") as f:
        f.write(monitor.scrape_text())
    check = subprocess.run(["promtool", "check", "metrics"], stdin=open(scrape), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if check.returncode != 0:
        fleet.fail(f"promtool check metrics: {check.stdout}")

    status = monitor.stop()
    if status != 0:
        fleet.fail(f"pcscspy-top exited with {status} after SIGTERM: {monitor.stderr()}")
    with open(os.path.join(d, "dump.json")) as f:
        dump = json.load(f)
    stats = {name: row["calls"] for name, row in dump["stats"].items()}
    if by_function != {k: float(v) for k, v in stats.items()}:
        fleet.fail(f"calls per function: Prometheus {by_function} != --dump {stats}")
    dump_apdus = sum(r.get("apdus", 0) for r in dump["readers"])
    if apdus != dump_apdus or apdus < 9:
        fleet.fail(f"APDUs: Prometheus {apdus} != --dump {dump_apdus}")
    # The card session's wrong PIN and the other refused one (the emulated card knows no PIN: it refuses both).
    if pin_failures < 1 or pin_failures > verify_apdus - 1:
        fleet.fail(f"PIN failures {pin_failures} out of {verify_apdus} VERIFY (one of which only asks the counter)")
    print(f"ok: Prometheus and --dump agree: {sum(by_function.values()):.0f} calls in {len(by_function)} functions, "
          f"{apdus:.0f} APDUs, {pin_failures:.0f} PIN failures; promtool check metrics passes")
finally:
    monitor.kill()
    if prometheus and prometheus.poll() is None:
        prometheus.terminate()
        prometheus.wait(30)
    shutil.rmtree(d, ignore_errors=True)
