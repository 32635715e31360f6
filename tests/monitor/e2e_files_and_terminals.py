#!/usr/bin/python3
"""pcscspy-top's files and terminal, end to end: the real binary on a private
socket, fed by a peer that speaks the event protocol (a traced program, or a
hostile one of the same user).

- --dump to a folder that cannot take it is refused at start, not after the session;
- --record to a FIFO never hangs and SIGINT/SIGTERM always end the monitor;
- a recording that fails later is said once, the session goes on, the exit
  status is 1 (text mode and dashboard);
- every string a peer sends reaches the terminal through the sanitiser;
- a multibyte character at a pane's right edge is never cut into U+FFFD.

Usage: e2e_files_and_terminals.py PCSCSPY_TOP CASE
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (SKIP, Fail, TextMonitor, TmuxDashboard, bye, call, check, event, hello,  # noqa: E402
                         private_dir, wait_until)

PID = 4242


def a_session(pid=PID, calls=3, reader="Virtual PCD 00 00"):
    lines = [hello(pid), call(pid, 1, "SCardEstablishContext", {"dwScope": 2}, {"phContext": 100})]
    seq = 1
    for _ in range(calls):
        seq += 1
        lines.append(call(pid, seq, "SCardIsValidContext", {"hContext": 100}))
    return lines


# --- --dump ------------------------------------------------------------------

def refused_at_start(top, target, extra=(), wrap=None):
    """pcscspy-top --dump TARGET must say why and exit 1 before listening."""
    args = ["--text", "--dump", target, *extra]
    m = TextMonitor(top, args) if wrap is None else None
    if wrap is not None:
        d = private_dir()
        sock = os.path.join(d, "sock", "socket")
        p = subprocess.run([*wrap, top, "--no-attach", "--socket", sock, *args], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 1, f"exit status {p.returncode}, expected 1; stderr: {p.stderr}")
        check(target in p.stderr and "dump" in p.stderr, f"the message names neither the dump nor {target}: {p.stderr}")
        return
    try:
        try:
            status = m.wait(10)
        except Fail as e:
            raise Fail(f"--dump {target}: still running 10 s after start (the target is only checked at exit?): {e}")
        check(status == 1, f"--dump {target}: exit status {status}, expected 1")
        check(target in m.err() and "dump" in m.err(), f"--dump {target}: the message names neither: {m.err()}")
        check(not os.path.exists(m.socket), f"--dump {target}: it listened before refusing")
    finally:
        m.close()


def case_dump_target_checked_at_start(top):
    d = private_dir()
    os.mkdir(os.path.join(d, "a-folder"))
    for target in [os.path.join(d, "a-folder"), os.path.join(d, "missing", "dump.json")]:
        refused_at_start(top, target)
    # Replaying with a dump: refused before reading the file as well.
    recording = os.path.join(d, "session.ndjson")
    with open(recording, "w") as f:
        f.write("\n".join(a_session()) + "\n")
    p = subprocess.run([top, "--replay", recording, "--text", "--dump", os.path.join(d, "missing", "x.json")],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1, f"replay: exit status {p.returncode}, expected 1")
    check("SCardIsValidContext" not in p.stdout, "replay: the session was printed before the dump target was refused")
    # A good target still works, and is not left behind when nothing was dumped yet.
    good = os.path.join(d, "dump.json")
    p = subprocess.run([top, "--replay", recording, "--text", "--dump", good], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, f"a good dump target: exit {p.returncode}: {p.stderr}")
    with open(good) as f:
        check(json.load(f)["type"] == "session", "the dump is not a session document")
    check(sorted(os.listdir(d)) == ["a-folder", "dump.json", "session.ndjson"],
          f"the check at start left something behind: {os.listdir(d)}")


def case_dump_target_on_read_only_file_system(top):
    d = private_dir()
    ro = os.path.join(d, "ro")
    os.mkdir(ro)
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o ro tmpfs {ro}"], capture_output=True)
    if probe.returncode != 0:
        print(f"skipped: cannot mount a read-only tmpfs here (needs root): {probe.stderr.decode().strip()}")
        return SKIP
    target = os.path.join(ro, "dump.json")
    refused_at_start(top, target, wrap=["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o ro tmpfs {ro} && exec "$@"',
                                        "sh"])


# --- --record -----------------------------------------------------------------

def case_record_to_a_fifo_without_reader(top):
    d = private_dir()
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo, 0o600)
    m = TextMonitor(top, ["--text", "--record", fifo])
    try:
        try:
            status = m.wait(10)
        except Fail as e:
            raise Fail(f"--record to a FIFO nobody reads hangs: {e}")
        check(status == 1, f"exit status {status}, expected 1")
        check(fifo in m.err() and "reader" in m.err(), f"the message does not say what is wrong: {m.err()}")
    finally:
        m.close()


def stalled_reader(fifo):
    """Opens the FIFO for reading and never reads: the pipe fills up."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    return fd


def case_record_to_a_stalled_fifo_honours_signals(top):
    for sig in (signal.SIGTERM, signal.SIGINT):
        d = private_dir()
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo, 0o600)
        reader = stalled_reader(fifo)
        m = TextMonitor(top, ["--text", "--record", fifo])
        try:
            m.wait_listening()
            # Far more than a pipe holds (64 KiB): the recording cannot go anywhere.
            p = m.peer()
            filler = "A" * 4000
            lines = [hello(PID)] + [call(PID, i, "SCardIsValidContext", {"hContext": 100, "pad": filler})
                                    for i in range(1, 201)]
            p.send(*lines)
            m.wait_output("SCardIsValidContext")
            # Still serving: another process's calls are shown.
            q = m.peer()
            q.send(hello(PID + 1), call(PID + 1, 1, "SCardReleaseContext", {"hContext": 5}))
            m.wait_output("SCardReleaseContext")
            status = m.stop(sig, timeout=15)
            check(status == 1, f"{sig.name}: exit status {status}, expected 1 (the recording is incomplete)")
            check(fifo in m.err(), f"{sig.name}: nothing said about the recording: {m.err()}")
            p.close()
            q.close()
        finally:
            os.close(reader)
            m.close()


def limit_file_size(limit):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def record_error_lines(text, path):
    return [line for line in text.splitlines() if path in line and "record" in line]


def case_record_failing_later_text_mode(top):
    d = private_dir()
    record = os.path.join(d, "session.ndjson")
    m = TextMonitor(top, ["--text", "--record", record], preexec=limit_file_size(16384))
    try:
        m.wait_listening()
        p = m.peer()
        p.send(hello(PID))
        # Batches with pauses in between: many flushes, each of which fails.
        for batch in range(10):
            p.send(*[call(PID, batch * 20 + i + 1, "SCardIsValidContext", {"hContext": 100, "pad": "B" * 200})
                     for i in range(20)])
            m.wait_count("SCardIsValidContext", (batch + 1) * 20)
        p.send(call(PID, 201, "SCardReleaseContext", {"hContext": 100}))
        m.wait_output("SCardReleaseContext")  # the session went on
        check(m.alive(), "the monitor ended when the recording failed")
        status = m.stop()
        check(status == 1, f"exit status {status}, expected 1")
        said = record_error_lines(m.err(), record)
        check(len(said) == 1, f"the recording's failure said {len(said)} times, expected once:\n{m.err()}")
        # What was recorded is whole lines, which replay without damage.
        r = subprocess.run([top, "--replay", record, "--text"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and "damaged" not in r.stderr, f"the partial recording is damaged: {r.stderr}")
        p.close()
    finally:
        m.close()


def case_record_failing_later_dashboard(top):
    d = private_dir()
    record = os.path.join(d, "session.ndjson")
    dash = TmuxDashboard(top, ["--record", record], shell_prefix="ulimit -f 16;")
    try:
        dash.wait_listening()
        p = dash.peer()
        p.send(hello(PID))
        for batch in range(10):
            p.send(*[call(PID, batch * 20 + i + 1, "SCardIsValidContext", {"hContext": 100, "pad": "C" * 200})
                     for i in range(20)])
            time.sleep(0.05)
        screen = dash.wait_text(record)  # said on the status line
        p.send(call(PID, 201, "SCardReleaseContext", {"hContext": 100}))
        dash.wait_text("SCardReleaseContext")  # the session went on
        dash.keys("q")
        status = dash.wait_exit()
        check(status == 1, f"exit status {status}, expected 1; stderr: {dash.err()}")
        said = record_error_lines(dash.err(), record)
        check(len(said) == 1, f"after the dashboard, the failure said {len(said)} times, expected once:\n"
                              f"{dash.err()}\n--- screen ---\n{screen}")
        p.close()
    finally:
        dash.close()


# --- the terminal sanitiser -----------------------------------------------------

ESC = "\x1b[2J\x1b]0;owned\x07"  # clear screen, set the window title
C1 = "\u009b31m"                 # CSI as a C1 control
BIDI = "\u202e"                  # right-to-left override


def hostile(tag):
    return f"{tag}{ESC}{C1}{BIDI}"


def hostile_session():
    """The lines of two processes, each for a connection of its own."""
    pid, other = PID, PID + 1
    reader = hostile("Reader")
    lines = [
        hello(pid, exe="/usr/bin/" + hostile("exe"), argv=[hostile("argv0"), hostile("argv1")], via=hostile("via"),
              backend=hostile("backend"), spy=hostile("spy")),
        call(pid, 1, "SCardEstablishContext", {"dwScope": 2}, {"phContext": 100}),
        call(pid, 2, "SCardListReaders", {"hContext": 100, "mszGroups": None},
             {"mszReaders": [reader, hostile("Second")]}, ctx=100),
        call(pid, 3, "SCardGetStatusChange",
             {"hContext": 100, "dwTimeout": 0, "rgReaderStates": [{"szReader": reader, "dwCurrentState": 0}]},
             {"rgReaderStates": [{"szReader": reader, "dwCurrentState": 0, "dwEventState": 34, "cbAtr": 2,
                                  "rgbAtr": "3B00"}]}, ctx=100),
        call(pid, 4, "SCardConnect", {"hContext": 100, "szReader": reader, "dwShareMode": 2,
                                      "dwPreferredProtocols": 3}, {"phCard": 200, "pdwActiveProtocol": 2}, ctx=100),
        call(pid, 5, "SCardTransmit", {"hCard": 200, "pbSendBuffer": hostile("notHex")},
             {"pbRecvBuffer": hostile("notHexEither")}, reader=hostile("CallReader")),
        call(pid, 6, "SCardStatus", {"hCard": 200}, {"szReaderName": hostile("StatusName"), "pbAtr": "3B00",
                                                    hostile("outKey"): hostile("outValue")}, reader=reader),
        call(pid, 7, "SCardControl", {"hCard": 200, "dwControlCode": 1, hostile("inKey"): hostile("inValue")}, {},
             rv=0x8010002F, rv_name=hostile("rvName"), reader=reader),
        call(pid, 8, "SCardTransmit" + hostile("fn"), {"hCard": 200, "pbSendBuffer": "00A4040000"}, {}),
        call(pid, 9, hostile("unknownFn"), {hostile("arg"): [hostile("deep1"), {"k": hostile("deep2")}]},
             {"x": hostile("outDeep")}, rv=0x1234, rv_name=hostile("rv2")),
        event("begin", pid, seq=10, fn=hostile("beginFn")),
        event(hostile("type"), pid),
        event("lost", pid, count=3),
        bye(pid, 9),
    ]
    other_lines = [hello(other, exe="/usr/bin/" + hostile("other")),
                   call(other, 1, "SCardEstablishContext", {"dwScope": 2}, {"phContext": 7})]
    return lines, other_lines


# What must show, visibly escaped, somewhere in the output: the fields text
# mode prints (calls, arguments, statistics, readers, processes, --check).
# (A known return code is named by the monitor, not by the peer's rv_name:
# "rv2", of an unknown code, is the peer's text that shows.)
VISIBLE = ["fn", "unknownFn", "rv2", "Reader", "notHex", "notHexEither", "StatusName", "inKey", "inValue",
           "outKey", "outValue", "deep1", "deep2", "exe", "other"]


def check_no_control(data, where):
    text = data.decode("utf-8", "replace")
    for bad, name in [("\x1b", "ESC"), ("\x07", "BEL"), ("\u009b", "C1 CSI"), ("\u202e", "RLO"), ("\r", "CR")]:
        check(bad not in text, f"{where}: a raw {name} reached the terminal:\n{text[:3000]}")
    for ch in text:
        check(ch in "\n\t" or ord(ch) >= 0x20, f"{where}: control U+{ord(ch):04X} reached the terminal")
    for tag in VISIBLE:
        # As the sanitiser shows it, or inside a JSON value (nested arguments
        # are printed as JSON: controls \u-escaped, then the sanitiser's \u009b, \u202e).
        shown = f"{tag}\\x1b[2J\\x1b]0;owned\\x07\\u009b31m\\u202e"
        as_json = f"{tag}\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m\\u202e"
        check(shown in text or as_json in text,
              f"{where}: {tag!r} is not shown with its escapes made visible:\n{text[:6000]}")


def case_every_peer_string_is_sanitised(top):
    d = private_dir()
    record = os.path.join(d, "hostile.ndjson")
    m = TextMonitor(top, ["--text", "--check", "--record", record])
    try:
        m.wait_listening()
        lines, other_lines = hostile_session()
        p, q = m.peer(), m.peer()
        p.send(*lines)
        q.send(*other_lines)
        m.wait_output("unknownFn")
        status = m.stop()
        check(status == 0, f"exit status {status}: {m.err()}")
        check_no_control(m.raw_output(), "live --text --check")
        p.close()
        q.close()
    finally:
        m.close()
    r = subprocess.run([top, "--replay", record, "--text", "--check"], capture_output=True, timeout=60)
    check_no_control(r.stdout + r.stderr, "--replay --text --check")


# --- the dashboard's panes ------------------------------------------------------

def case_multibyte_character_at_a_pane_edge(top):
    # Reader names of wide (CJK, 2 columns) and accented characters, of every
    # length around the readers pane's width: one of them ends exactly where
    # the pane does, with half a wide character left over.
    d = private_dir()
    recording = os.path.join(d, "readers.ndjson")
    lines = [hello(PID), call(PID, 1, "SCardEstablishContext", {"dwScope": 2}, {"phContext": 100})]
    seq = 1
    for n in range(8, 70):
        for name in ("読取装置" * 20)[:n // 2], ("é" * n):
            seq += 1
            lines.append(call(PID, seq, "SCardConnect", {"hContext": 100, "szReader": name, "dwShareMode": 2,
                                                         "dwPreferredProtocols": 3},
                              {"phCard": 1000 + seq, "pdwActiveProtocol": 2}, ctx=100))
    with open(recording, "w") as f:
        f.write("\n".join(lines) + "\n")
    for width in (80, 100, 101, 120, 133):
        dash = TmuxDashboard(top, ["--replay", recording], width=width, height=60)
        try:
            screen = dash.wait_text("SCardConnect")
            check("\ufffd" not in screen, f"width {width}: a character was cut into U+FFFD:\n{screen}")
            check("読" in screen and "é" in screen, f"width {width}: the names are not shown:\n{screen}")
            dash.keys("q")
            dash.wait_exit()
        finally:
            dash.close()


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    from e2e_support import run_case
    sys.exit(run_case(CASES, sys.argv))
