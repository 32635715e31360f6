#!/usr/bin/python3
"""--record F --record-rotate SIZE,KEEP under a steady stream of traced calls on
the test bed: no line lost or split across files, every file 0600 and within
SIZE, KEEP respected, and the shipper's view (the files concatenated oldest
first, or given as several --replay) replays to the statistics of the live
session (its --dump); also when SIGTERM arrives while the files are rotating.
  rotation_stream.py PCSCSPY_TOP PCSCSPY_RUN"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys

import fleet

top, run = sys.argv[1], sys.argv[2]
d = fleet.workdir()


def rotated(path):
    """F.n ... F.1 F, oldest first, and a check that nothing else was left."""
    folder, base = os.path.split(path)
    numbers = sorted((int(m.group(1)) for n in os.listdir(folder) if (m := re.fullmatch(re.escape(base) + r"\.(\d+)", n))),
                     reverse=True)
    strays = [n for n in os.listdir(folder) if n.startswith(base) and n != base and not re.fullmatch(re.escape(base) + r"\.\d+", n)]
    if strays:
        fleet.fail(f"files left beside the recording: {strays}")
    if numbers and numbers != list(range(numbers[0], 0, -1)):
        fleet.fail(f"rotated files are not numbered 1..N without gaps: {numbers}")
    return [f"{path}.{n}" for n in numbers] + [path]


def check_files(files, max_bytes):
    lines = 0
    for f in files:
        st = os.stat(f)
        if stat.S_IMODE(st.st_mode) != 0o600:
            fleet.fail(f"{f} has mode {stat.S_IMODE(st.st_mode):o}, not 600")
        if st.st_size > max_bytes:
            fleet.fail(f"{f} is {st.st_size} bytes, over the {max_bytes} of --record-rotate")
        with open(f, "rb") as fh:
            data = fh.read()
        if data and not data.endswith(b"\n"):
            fleet.fail(f"{f} ends in the middle of a line")
        for n, line in enumerate(data.splitlines(), 1):
            try:
                event = json.loads(line)
            except ValueError:
                fleet.fail(f"{f}:{n} is not a whole event: {line[:80]!r}")
            if event.get("v") != 1 or "type" not in event:
                fleet.fail(f"{f}:{n} is not a schema v1 event")
            lines += 1
    return lines


def recording_run(name, rotate, calls, sigterm_while_streaming=False):
    rec = os.path.join(d, name, "events.ndjson")
    dump = os.path.join(d, name, "dump.json")
    sock = os.path.join(d, name, "run", "socket")
    os.makedirs(os.path.dirname(rec))
    monitor = fleet.Monitor(top, ["--socket", sock, "--record", rec, "--record-rotate", rotate, "--dump", dump,
                                  "--metrics", "127.0.0.1:0"], os.path.dirname(rec))
    try:
        if sigterm_while_streaming:
            work = subprocess.Popen([run, "--socket", sock, "--", *fleet.workload("steady", str(calls))],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Stop it while the events pour in and the files turn over.
            fleet.wait_for("events to stream", lambda: sum(1 for f in os.listdir(os.path.dirname(rec))
                                                           if f.startswith("events.ndjson.")) >= 20, timeout=60, step=0.02)
            status = monitor.stop()
            if work.wait(120) != 0:
                fleet.fail("the traced workload failed when its monitor went away")
        else:
            fleet.traced(run, sock, fleet.workload("steady", str(calls)))
            fleet.quiet_session(monitor)
            status = monitor.stop()
    finally:
        monitor.kill()
    if status != 0:
        fleet.fail(f"{name}: pcscspy-top exited with {status}: {monitor.stderr()}")
    return rec, dump


max_bytes = 16 * 1024

# 1. KEEP large enough: every line is in the files, the files replay to the live statistics.
rec, dump = recording_run("all_kept", "16K,1000", 3000)
files = rotated(rec)
if len(files) < 10:
    fleet.fail(f"only {len(files)} files: the recording did not rotate under the stream")
lines = check_files(files, max_bytes)
live = fleet.replay_summary(top, [dump])
if fleet.replay_summary(top, files) != live:
    fleet.fail("the rotated files, replayed in order, do not give the live session's statistics")
concatenated = os.path.join(d, "all_kept.ndjson")
with open(concatenated, "wb") as out:
    for f in files:
        out.write(open(f, "rb").read())
if fleet.replay_summary(top, [concatenated]) != live:
    fleet.fail("the concatenated files do not replay to the live session's statistics")
print(f"ok: {lines} lines in {len(files)} files of at most {max_bytes} bytes replay to the live statistics")

# 2. KEEP=3: exactly F and F.1..F.3 remain, each whole.
rec, _ = recording_run("keep3", "16K,3", 3000)
files = rotated(rec)
if [os.path.basename(f) for f in files] != ["events.ndjson.3", "events.ndjson.2", "events.ndjson.1", "events.ndjson"]:
    fleet.fail(f"KEEP=3 left {[os.path.basename(f) for f in files]}")
check_files(files, max_bytes)
print("ok: KEEP=3 keeps F.1..F.3 and F")

# 3. SIGTERM while rotating every 4 KiB: the files are whole and replay to what the monitor had.
# 5,000 calls make about 2.5 MB of lines, within what 1,000 files of 4 KiB keep: a monitor
# that lags behind the stream (a loaded machine) and reads the whole backlog as it ends
# must not rotate its first lines away (with 20,000 calls, 10 MB, it did, and the files
# then held only the last 8,000 calls).
rec, dump = recording_run("sigterm", "4K,1000", 5000, sigterm_while_streaming=True)
files = rotated(rec)
lines = check_files(files, 4096)
# The calls must agree exactly. The elapsed span may not: it runs to the last
# event of any kind, and at SIGTERM the recording can end on an event that is not
# a completed call (a call's begin), which the session document does not keep.
def calls_only(summary):
    return re.sub(r"^total time: [0-9.]+ sec elapsed, ", "total time: ", summary, flags=re.M)


from_files, from_dump = calls_only(fleet.replay_summary(top, files)), calls_only(fleet.replay_summary(top, [dump]))
if from_files != from_dump:
    import difflib
    fleet.fail("after SIGTERM during rotation, the files do not replay to the statistics of the dump:\n" +
               "\n".join(difflib.unified_diff(from_dump.splitlines(), from_files.splitlines(), "dump", "files", lineterm="")))
print(f"ok: SIGTERM in the middle of the stream: {lines} whole lines in {len(files)} files, same statistics as the dump")
shutil.rmtree(d, ignore_errors=True)
