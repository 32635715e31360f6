#!/usr/bin/python3
"""What a service meets on a bad day:
- the metrics port is taken: a clear error and exit status 2, nothing started;
- the recording's folder is read-only: a clear error at start;
- the recording's file system fills up while traced programs stream: the
  monitor keeps running and serving metrics, says so once, counts every line it
  could not write (files + unwritten = events), keeps every file whole, and
  exits non-zero after SIGTERM.
The last two need a private mount namespace (unshare -m, as root) for a small
tmpfs; without it they are skipped.
  bad_conditions.py PCSCSPY_TOP PCSCSPY_RUN"""
import os
import shutil
import signal
import subprocess
import sys
import time

import fleet

top, run = sys.argv[1], sys.argv[2]
d = fleet.workdir()

# 1. The port is taken (by another pcscspy-top here; any listener does the same).
first = fleet.Monitor(top, ["--socket", os.path.join(d, "a", "socket"), "--metrics", "127.0.0.1:0"], d, "first")
try:
    port = first.url.split(":")[2].split("/")[0]
    second = subprocess.run([top, "--headless", "--no-attach", "--socket", os.path.join(d, "b", "socket"), "--metrics", port],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if second.returncode != 2:
        fleet.fail(f"a taken metrics port: exit status {second.returncode}, not 2 ({second.stderr})")
    if f"127.0.0.1:{port}" not in second.stderr or "Address already in use" not in second.stderr:
        fleet.fail(f"a taken metrics port: unclear error {second.stderr!r}")
    if os.path.exists(os.path.join(d, "b", "socket")):
        fleet.fail("a monitor that could not start left its socket behind")
    if "pcscspy_build_info" not in first.scrape_text():
        fleet.fail("the first monitor's endpoint stopped answering")
    print("ok: a taken port:", second.stderr.strip())
finally:
    first.kill()

if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode != 0:
    fleet.skip("a private mount namespace (unshare -m) needs root: read-only and full file systems not tested")

# 2. A read-only folder for the recording.
ro = os.path.join(d, "ro")
os.makedirs(ro)
r = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o ro,size=64k tmpfs "$1" && exec "$2" --headless --no-attach '
                    '--socket "$3" --record "$1/events.ndjson" --record-rotate 16K,10', "sh", ro, top,
                    os.path.join(d, "ro-run", "socket")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                   timeout=30)
if r.returncode == 0 or "Read-only file system" not in r.stderr or "events.ndjson" not in r.stderr:
    fleet.fail(f"a read-only record folder: exit {r.returncode}, {r.stderr!r}")
print("ok: a read-only record folder:", r.stderr.strip())

# 3. The file system fills up under a steady stream.
full, copied, sock = os.path.join(d, "full"), os.path.join(d, "copied"), os.path.join(d, "full-run", "socket")
os.makedirs(full)
os.makedirs(copied)
err_path = os.path.join(d, "full.err")
# The tmpfs exists only in the monitor's mount namespace: the shell there copies
# the files out once the monitor has ended.
script = '''mount -t tmpfs -o size=64k,mode=700 tmpfs "$1" || exit 99
"$2" --headless --no-attach --socket "$3" --record "$1/events.ndjson" --record-rotate 16K,100 --metrics 127.0.0.1:0 &
echo $! > "$4/pid"
wait $!
echo $? > "$4/status"
cp -p "$1"/events.ndjson* "$4/"'''
shell = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", full, top, sock, copied],
                         stdout=subprocess.PIPE, stderr=open(err_path, "w"))


def stderr_text():
    return open(err_path).read()


fleet.wait_for("the monitor to start", lambda: "metrics at" in stderr_text(), timeout=20)
url = stderr_text().split("metrics at ")[1].split(";")[0]
pid = int(open(os.path.join(copied, "pid")).read())


class Endpoint(fleet.Monitor):
    def __init__(self, url):
        self.url = url


endpoint = Endpoint(url)
try:
    fleet.traced(run, sock, fleet.workload("steady", "3000"))
    fleet.traced(run, sock, fleet.workload("session"))  # after the disk filled: still traced, still counted
    metrics = fleet.quiet_session(endpoint)
    os.kill(pid, 0)  # still running (raises if it is gone)
    unwritten = metrics["pcscspy_record_unwritten_lines_total"]
    events = metrics["pcscspy_events_total"]
    said = [l for l in stderr_text().splitlines() if "No space left" in l]
    if len(said) != 1:
        fleet.fail(f"the full disk was reported {len(said)} times while running, not once: {stderr_text()!r}")
    if unwritten <= 0:
        fleet.fail("no unwritten line counted although the file system is full")
    os.kill(pid, signal.SIGTERM)
    shell.wait(60)
finally:
    if shell.poll() is None:
        os.kill(pid, signal.SIGKILL)
        shell.wait(30)
status = int(open(os.path.join(copied, "status")).read())
if status == 0:
    fleet.fail("the monitor exited 0 although lines could not be recorded")
lines = 0
for name in os.listdir(copied):
    if not name.startswith("events.ndjson"):
        continue
    data = open(os.path.join(copied, name), "rb").read()
    if data and not data.endswith(b"\n"):
        fleet.fail(f"{name} ends in the middle of a line after the disk filled up")
    lines += data.count(b"\n")
if lines + unwritten != events:
    fleet.fail(f"{lines} lines recorded + {unwritten:.0f} counted as unwritten != {events:.0f} events received")
tail = stderr_text().strip().splitlines()[-1]
if "could not be written" not in tail:
    fleet.fail(f"the exit does not say how many lines were not recorded: {tail!r}")
print(f"ok: disk full: kept running, said so once, {lines} lines recorded + {unwritten:.0f} counted = {events:.0f} "
      f"events; exit status {status}; {tail}")
shutil.rmtree(d, ignore_errors=True)
