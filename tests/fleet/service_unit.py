#!/usr/bin/python3
"""The systemd unit, without systemd (CI has none): installed into a staging
prefix, it passes `systemd-analyze verify` without a single warning (its
executable and its manual pages exist, every key is known); then its ExecStart
line is run by hand, with the folders systemd would create (RuntimeDirectory,
LogsDirectory, mode 0700) moved into a temporary folder: it starts, says what it
listens to, serves /metrics, records a traced opensc-tool in a 0600 file, and
ends with status 0 on SIGTERM.
  service_unit.py BUILD_DIR PCSCSPY_RUN"""
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys

import fleet

build, run = sys.argv[1], sys.argv[2]
if not shutil.which("systemd-analyze"):
    fleet.skip("systemd-analyze is not installed (Debian package systemd; scripts/install-deps.sh)")
d = fleet.workdir()
prefix = os.path.join(d, "prefix")
r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True)
if r.returncode != 0:
    fleet.fail(f"cmake --install: {r.stdout[-800:]}")
unit = os.path.join(prefix, "lib", "systemd", "system", "pcscspy-top.service")
if not os.path.isfile(unit):
    fleet.fail(f"no unit installed at {unit}")

env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"))
verify = subprocess.run(["systemd-analyze", "verify", unit], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, env=env)
if verify.returncode != 0 or verify.stdout.strip():
    fleet.fail(f"systemd-analyze verify (status {verify.returncode}): {verify.stdout}")
print("ok: systemd-analyze verify: no warning")

text = open(unit).read()
exec_start = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
args = shlex.split(exec_start)
if args[0] != os.path.join(prefix, "bin", "pcscspy-top"):
    fleet.fail(f"ExecStart runs {args[0]}, not the installed pcscspy-top")
for key in ("NoNewPrivileges=yes", "ProtectSystem=strict", "LogsDirectory=pcscspy", "CapabilityBoundingSet="):
    if key not in text:
        fleet.fail(f"the unit lacks {key}")

# By hand: the folders systemd would make, and a free port in place of the unit's.
runtime, logs = os.path.join(d, "run", "pcscspy"), os.path.join(d, "log", "pcscspy")
for folder in (runtime, logs):
    os.makedirs(folder, mode=0o700)
port = fleet.free_port()
args = [a.replace("/run/pcscspy", runtime).replace("/var/log/pcscspy", logs) for a in args]
args = [re.sub(r"^127\.0\.0\.1:\d+$", f"127.0.0.1:{port}", a) for a in args]
os.umask(0o077)
monitor = fleet.Monitor(args[0], [a for a in args[1:] if a != "--headless"], d)
try:
    for part in (f"listening on {runtime}/socket", f"recording to {logs}/events.ndjson", f"metrics at http://127.0.0.1:{port}/metrics"):
        if part not in monitor.start_line:
            fleet.fail(f"the start line does not say {part!r}: {monitor.start_line}")
    reader = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
    fleet.traced(run, os.path.join(runtime, "socket"), ["opensc-tool", "-r", reader, "-a"])
    metrics = fleet.quiet_session(monitor)
    if fleet.total(metrics, "pcscspy_calls_total", function="SCardConnect") < 1:
        fleet.fail("the traced opensc-tool's calls are not in the metrics")
    status = monitor.stop()
finally:
    monitor.kill()
if status != 0:
    fleet.fail(f"the service's command exited with {status} after SIGTERM: {monitor.stderr()}")
record = os.path.join(logs, "events.ndjson")
if stat.S_IMODE(os.stat(record).st_mode) != 0o600:
    fleet.fail(f"{record} is not 0600")
if '"exe":"/usr/bin/opensc-tool"' not in open(record).read():
    fleet.fail("the recording does not hold opensc-tool's hello")
if monitor.stderr().strip() != monitor.start_line.strip():
    fleet.fail(f"the service printed more than its start line: {monitor.stderr()!r}")
print("ok: ExecStart by hand:", monitor.start_line)
shutil.rmtree(d, ignore_errors=True)
