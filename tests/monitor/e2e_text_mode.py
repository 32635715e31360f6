#!/usr/bin/python3
"""Text mode on the real test bed (pcscd + vicc), through the real interposer.

    e2e_text_mode.py PCSCSPY_TOP CASE

CASE is one of:
  numbers   a pyscard script that leaves its card handle and context open: every
            line is labelled [pid script.py] (the pid the script itself prints),
            every call has its number and a wall-clock start time within the run,
            the numbers count 1, 2, 3..., and each "call #N" of --check's report
            is a call heading printed before it; the SELECT's FCI is decoded as
            BER-TLV.
  brief     --brief on opensc-tool: exactly one line per call (as many as the
            statistics count), each with number, time, function and summary, the
            SELECT with its FCP; without --brief the same session takes several
            times more lines.
  output    -- CMD in text mode: the command's own output comes through on
            pcscspy-top's stderr (never its stdout, which is the calls), its exit
            status is pcscspy-top's, and no command log is left behind;
            --command-log F still puts it in F.
  missing   a command that does not exist: exit 127, one line on stderr saying
            so, nothing on stdout, no socket and no log left behind.
"""
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
# "[pid name] #seq HH:MM:SS.ffffff Function"
HEADING = re.compile(r"^\[(\d+) ([^\]]+)\] #(\d+) (\d\d):(\d\d):(\d\d)\.(\d{6}) (SCard\w+)")

# Leaves its card handle and context open (the checker reports both, citing the
# calls that opened them) and prints its pid first.
LEAKY_SCRIPT = """
import os, sys
from smartcard.scard import *
print("leaky pid", os.getpid(), flush=True)
rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
rv, card, proto = SCardConnect(ctx, sys.argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
assert rv == 0, rv
rv, answer = SCardTransmit(card, proto, [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00, 0x00])
print("answer", bytes(answer).hex(), flush=True)
os._exit(0)
"""


def fail(message, *texts):
    print("FAIL:", message)
    for name, text in texts:
        print("---", name)
        print(text[-6000:])
    sys.exit(1)


def run_top(top, work, args, command, timeout=120):
    """pcscspy-top --text on a private socket; returns (status, stdout, stderr)."""
    # The launched command's calls only: this monitor's own socket in a private
    # folder, and no system-wide capture (--no-attach).
    r = subprocess.run([top, "--text", "--no-color", "--no-attach", "--socket", os.path.join(work, "run", "socket")] + args +
                       ["--"] + command, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def calls_part(out):
    """The call lines: everything before the statistics table."""
    return out.split("\nResults sorted by total execution time\n")[0].splitlines()


def total_calls(out):
    m = re.search(r"^total time: .* sec in (\d+) calls", out, re.M)
    return int(m.group(1)) if m else -1


def case_numbers(top, work):
    script = os.path.join(work, "leaky.py")
    with open(script, "w") as f:
        f.write(LEAKY_SCRIPT)
    before = datetime.datetime.now() - datetime.timedelta(seconds=1)
    status, out, err = run_top(top, work, ["--check"], [sys.executable, script, READER])
    after = datetime.datetime.now() + datetime.timedelta(seconds=1)
    texts = (("stdout", out), ("stderr", err))
    if status != 0:
        fail(f"pcscspy-top exited with {status}", *texts)
    m = re.search(r"^leaky pid (\d+)$", err, re.M)
    if not m:
        fail("the script's own output did not come through on stderr", *texts)
    pid = m.group(1)
    lines = calls_part(out)
    if not lines or not all(l.startswith(f"[{pid} leaky.py] ") for l in lines):
        fail(f"not every line is labelled [{pid} leaky.py]", *texts)
    headings = [HEADING.match(l) for l in lines if HEADING.match(l)]
    if len(headings) != total_calls(out):
        fail(f"{len(headings)} call headings for {total_calls(out)} calls", *texts)
    seqs = [int(h.group(3)) for h in headings]
    if seqs != list(range(1, len(seqs) + 1)):
        fail(f"call numbers are not 1..{len(seqs)}: {seqs}", *texts)
    for h in headings:
        # On the day the run began or ended (a run across midnight).
        times = [d.replace(hour=int(h.group(4)), minute=int(h.group(5)), second=int(h.group(6)),
                           microsecond=int(h.group(7))) for d in (before, after)]
        if not any(before <= t <= after for t in times):
            fail(f"call #{h.group(3)} started at {times[0].time()}, outside the run "
                 f"({before.time()} to {after.time()})", *texts)
    cited = re.findall(r"^  call #(\d+)  (\S+)", out, re.M)
    by_seq = {int(h.group(3)): h.group(8) for h in headings}
    for seq, kind in cited:
        if int(seq) not in by_seq:
            fail(f"--check cites call #{seq} ({kind}), which the text never numbered", *texts)
    if sorted(by_seq[int(s)] for s, _ in cited) != ["SCardConnect", "SCardEstablishContext"]:
        fail(f"--check's calls are not the connect and the establish: {[(s, by_seq[int(s)]) for s, _ in cited]}",
             *texts)
    for expected in ("APDU: SELECT by file id 3F00 (MF) → 9000 OK (12 bytes)", "   response data:",
                     "     6F File control information (FCI) (10)", "       83 File identifier (2): 3F00"):
        if not any(l.endswith(expected) for l in lines):
            fail(f"no line ending with {expected!r}", *texts)
    print(f"ok: {len(headings)} calls numbered, timed and labelled [{pid} leaky.py]; --check cites "
          f"{', '.join('#' + s for s, _ in cited)}")


def case_brief(top, work):
    command = ["opensc-tool", "-r", READER, "-s", "00A40004023F0000"]
    status, out, err = run_top(top, work, ["--brief"], command)
    texts = (("stdout", out), ("stderr", err))
    if status != 0:
        fail(f"pcscspy-top --brief exited with {status}", *texts)
    lines = calls_part(out)
    calls = total_calls(out)
    if calls < 10 or len(lines) != calls:
        fail(f"{len(lines)} lines for {calls} calls", *texts)
    bad = [l for l in lines if not HEADING.match(l) or not re.search(r" \[\d+\.\d{6}\]$", l)]
    if bad:
        fail(f"lines that are not one call each: {bad[:3]}", *texts)
    # opensc-tool's own SELECT of the MF (no data asked) and ours, with its FCP.
    if not any(" SCardTransmit SELECT by file id 3F00 (MF) → 9000 OK (12 bytes) [" in l for l in lines):
        fail("no one-line SELECT of the MF with its SW", *texts)
    status, verbose, err2 = run_top(top, work, [], command)
    if status != 0 or total_calls(verbose) != calls:
        fail(f"the verbose run differs: status {status}, {total_calls(verbose)} calls", ("stdout", verbose),
             ("stderr", err2))
    if len(calls_part(verbose)) < 4 * len(lines):
        fail(f"--brief takes {len(lines)} lines, the full form {len(calls_part(verbose))}", *texts)
    print(f"ok: --brief {len(lines)} lines for {calls} calls (full form: {len(calls_part(verbose))} lines)")


def case_output(top, work):
    folder = os.path.join(work, "run")
    # opensc-tool prints what it sent and received on its stdout.
    status, out, err = run_top(top, work, [], ["sh", "-c", 'opensc-tool -r "$1" -s 0084000008 && exit 3', "sh",
                                               READER])
    texts = (("stdout", out), ("stderr", err))
    if status != 3:
        fail(f"pcscspy-top exited with {status}, not the command's 3", *texts)
    if "Sending: 00 84 00 00 08" not in err or not re.search(r"Received \(SW1=0x90, SW2=0x00\)", err):
        fail("the command's output did not come through on stderr", *texts)
    if "Sending:" in out or "Received" in out:
        fail("the command's output is mixed into stdout", *texts)
    if "output in" in err:
        fail("a log file is announced although the output comes through", *texts)
    if not re.search(r"APDU: GET CHALLENGE 8-byte challenge → 9000 OK \(8 bytes\)", out):
        fail("the calls are missing from stdout", *texts)
    left = [n for n in os.listdir(folder)] if os.path.isdir(folder) else []
    if left:
        fail(f"left in the socket folder: {left}", *texts)
    log = os.path.join(work, "cmd.log")
    status, out, err = run_top(top, work, ["--command-log", log], ["opensc-tool", "-r", READER, "-s", "0084000008"])
    with open(log) as f:
        logged = f.read()
    if status != 0 or "Sending: 00 84 00 00 08" not in logged or "Sending:" in err or f"output in {log}" not in err:
        fail(f"--command-log: status {status}, log {logged!r}", ("stdout", out), ("stderr", err))
    print("ok: the command's output on stderr, its exit status kept, nothing left behind; --command-log F kept")


def case_missing(top, work):
    start = time.monotonic()
    status, out, err = run_top(top, work, [], ["pcscspy-no-such-command", "-x"], timeout=30)
    texts = (("stdout", out), ("stderr", err))
    if status != 127:
        fail(f"exit status {status}, not 127", *texts)
    if err.splitlines() != ["pcscspy-top: cannot run pcscspy-no-such-command: command not found"]:
        fail("not exactly one line saying the command was not found", *texts)
    if out:
        fail("something on stdout", *texts)
    folder = os.path.join(work, "run")
    if os.path.isdir(folder) and os.listdir(folder):
        fail(f"left behind: {os.listdir(folder)}", *texts)
    print(f"ok: exit 127 and one line, in {time.monotonic() - start:.1f} s")


CASES = {"numbers": case_numbers, "brief": case_brief, "output": case_output, "missing": case_missing}


def main():
    top, case = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="pcscspy-text-") as work:
        CASES[case](top, work)


if __name__ == "__main__":
    main()
