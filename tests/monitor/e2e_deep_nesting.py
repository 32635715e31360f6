#!/usr/bin/python3
"""One line nested 100,000 deep (about 200 KB, under the line limit) never
crashes pcscspy-top: it is a bad line, counted as such, and the session goes
on, in text mode, in the dashboard (Enter on the last call), with --dump at
exit, and on --replay of a recording or of a dump holding it.

Usage: e2e_deep_nesting.py PCSCSPY_TOP CASE
"""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Fail, TextMonitor, TmuxDashboard, call, check, hello, private_dir, run_case  # noqa: E402

PID = 4242
DEPTH = 100_000


def deep_call(seq, depth=DEPTH):
    # The nesting inside "in", where a peer controls it.
    nested = "[" * depth + "]" * depth
    line = call(PID, seq, "SCardTransmit", {"hCard": 200, "pbSendBuffer": "00A4040000"}, {})
    return line.replace('"pbSendBuffer":"00A4040000"', '"pbSendBuffer":"00A4040000","deep":' + nested)


def session():
    return [hello(PID), call(PID, 1, "SCardEstablishContext", {"dwScope": 2}, {"phContext": 100}),
            deep_call(2), call(PID, 3, "SCardReleaseContext", {"hContext": 100})]


def check_alive_status(status, what):
    if status < 0:
        raise Fail(f"{what}: pcscspy-top was killed by {signal.Signals(-status).name}")


def check_counted(err, what):
    check("too deep" in err, f"{what}: the deep line is not counted as a bad line (too deep):\n{err[-2000:]}")


def case_text_mode(top):
    d = private_dir()
    dump = os.path.join(d, "dump.json")
    m = TextMonitor(top, ["--text", "--dump", dump])
    try:
        m.wait_listening()
        p = m.peer()
        p.send(*session())
        m.wait_output("SCardReleaseContext")  # the line after it
        check(m.alive(), "pcscspy-top died on the deep line")
        status = m.stop()
        check_alive_status(status, "--text")
        check(status == 0, f"exit status {status}: {m.err()}")
        check_counted(m.err(), "--text")
        with open(dump) as f:
            doc = json.load(f)
        check(doc["counters"]["calls"] == 2, f"the dump holds {doc['counters']['calls']} calls, expected 2")
        p.close()
    finally:
        m.close()


def case_dump_at_exit(top):
    # Nothing printed per call (--summary): the dump at exit is the first to
    # touch the kept line.
    d = private_dir()
    dump = os.path.join(d, "dump.json")
    m = TextMonitor(top, ["--text", "--summary", "--dump", dump])
    try:
        m.wait_listening()
        p = m.peer()
        p.send(*session())
        p.close()
        # Wait until the line after it has been read: the statistics count it.
        status = m.stop()
        check_alive_status(status, "--dump at exit")
        check(os.path.exists(dump), f"the dump was not written: {m.err()}")
        with open(dump) as f:
            json.load(f)
    finally:
        m.close()


def case_replay(top):
    d = private_dir()
    recording = os.path.join(d, "deep.ndjson")
    with open(recording, "w") as f:
        f.write("\n".join(session()) + "\n")
    r = subprocess.run([top, "--replay", recording, "--text"], capture_output=True, text=True, timeout=120)
    check_alive_status(r.returncode, "--replay of a recording")
    check("SCardReleaseContext" in r.stdout, f"--replay: the session after the deep line is missing:\n{r.stderr}")
    check("too deep" in r.stderr, f"--replay of a recording: the damage is not reported:\n{r.stderr}")

    # A dump holding the deep event (an older monitor, or a hand-made file).
    clean = os.path.join(d, "clean.ndjson")
    with open(clean, "w") as f:
        f.write("\n".join(session()[:2] + session()[3:]) + "\n")
    dump = os.path.join(d, "dump.json")
    r = subprocess.run([top, "--replay", clean, "--text", "--dump", dump], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"making the dump: {r.stderr}")
    with open(dump) as f:
        text = f.read()
    at = text.index('"events":[') + len('"events":[')
    with open(dump, "w") as f:
        f.write(text[:at] + deep_call(2) + "," + text[at:])
    r = subprocess.run([top, "--replay", dump, "--text"], capture_output=True, text=True, timeout=120)
    check_alive_status(r.returncode, "--replay of a dump")
    check("SCardReleaseContext" in r.stdout, f"--replay of a dump: the other events are missing:\n{r.stderr}")
    check("too deep" in r.stderr, f"--replay of a dump: the damage is not reported:\n{r.stderr}")
    # Summary members too: a deep value where the document has its process list.
    with open(dump, "w") as f:
        f.write(text.replace('"processes":', '"processes":' + "[" * DEPTH + "]" * DEPTH + ',"ignored":', 1))
    r = subprocess.run([top, "--replay", dump, "--text"], capture_output=True, text=True, timeout=120)
    check_alive_status(r.returncode, "--replay of a dump with a deep summary")


def case_dashboard_detail(top):
    dash = TmuxDashboard(top, [])
    try:
        dash.wait_listening()
        p = dash.peer()
        p.send(*session()[:3])
        dash.wait_text("SCardEstablishContext")
        p.send(session()[3])
        dash.wait_text("SCardReleaseContext")
        # The last call selected, its detail opened.
        dash.keys("End", "Enter")
        screen = dash.wait_text("hContext")
        check("PCSCSPY-TOP-EXITED" not in screen, f"the dashboard ended:\n{screen}")
        dash.keys("Escape", "q")
        status = dash.wait_exit()
        check(status == 0, f"exit status {status}: {dash.err()}")
        check_counted(dash.err(), "dashboard")
        p.close()
    finally:
        dash.close()


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv))
