#!/usr/bin/python3
"""End-to-end tests of the pcscspy-top dashboard: the real binary in a detached
tmux of fixed size, a real traced workload against the real test bed (pcscd,
vpcd, the emulated card), keys sent with send-keys and the screen read back
with capture-pane.

Usage: e2e_dashboard.py PCSCSPY_TOP PCSCSPY_RUN SOURCE_DIR CASE
(CASE: one of the functions named case_* below, without the prefix)

Each case uses its own tmux server (-L pcscspy-test-<pid>), so it never
touches another tmux, and its own socket folder. Waits poll the screen with a
bound; nothing relies on a fixed sleep.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = RUN = SOURCE = None
READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
WAIT = 30.0  # generous: a 2-core shared machine, 45 ms per APDU on the emulated card


class Fail(AssertionError):
    pass


class Dashboard:
    """pcscspy-top in a detached tmux session, with a traced workload."""

    def __init__(self, width=120, height=40, env=None, args=(), workload=True, attach=False):
        self.dir = tempfile.mkdtemp(prefix="pcscspy-e2e-")
        os.chmod(self.dir, 0o700)
        self.socket = os.path.join(self.dir, "sock", "socket")
        self.tmux = ["tmux", "-L", f"pcscspy-test-{os.getpid()}", "-f", "/dev/null"]
        self.pidfile = os.path.join(self.dir, "top.pid")
        self.workload_pidfile = os.path.join(self.dir, "workload.pid")
        self.exitfile = os.path.join(self.dir, "exit")
        self.sttyfile = os.path.join(self.dir, "stty")
        environment = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "PCSCSPY_E2E_PAUSE": "0.3",
                       "PCSCSPY_TESTBED_READER": READER, "XDG_STATE_HOME": os.path.join(self.dir, "state")}
        environment.update(env or {})
        # --no-attach: only the workload (the socket), not other tests' programs
        # (except for the cases about the system-wide capture itself).
        command = [TOP, *(() if attach else ("--no-attach",)), "--socket", self.socket, *args]
        if workload:
            # The workload records its pid (exec keeps it) so that it is stopped
            # at the end even when pcscspy-top is gone.
            script = os.path.join(SOURCE, "tests", "dashboard", "e2e_workload.py")
            command += ["--", "/bin/sh", "-c", f"echo $$ > {self.workload_pidfile}; exec /usr/bin/python3 {script}"]
        quoted = " ".join(shlex_quote(c) for c in command)
        envs = " ".join(f"{k}={shlex_quote(v)}" for k, v in environment.items())
        # After pcscspy-top: its exit status and the terminal's modes, then the
        # shell waits (the pane must stay readable).
        shell = (f"cd {self.dir}; echo $$ > {self.pidfile}; env {envs} {quoted}; "
                 f"echo $? > {self.exitfile}; echo PCSCSPY-TOP-EXITED; stty -a > {self.sttyfile} 2>&1; "
                 f"exec sleep 600")
        self.tmux_cmd("new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", shell)

    def tmux_cmd(self, *args, check=True):
        p = subprocess.run(self.tmux + list(args), capture_output=True, text=True, timeout=20)
        if check and p.returncode != 0:
            raise Fail(f"tmux {' '.join(args)}: {p.stderr}")
        return p.stdout

    def screen(self, escapes=False):
        return self.tmux_cmd("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "0")

    def keys(self, *keys):
        for k in keys:
            # One character: sent literally; otherwise a tmux key name (Enter, Escape, Space...).
            self.tmux_cmd("send-keys", "-t", "0", *(["-l", k] if len(k) == 1 else [k]))

    def type(self, text):
        self.tmux_cmd("send-keys", "-t", "0", "-l", text)

    def wait_for(self, predicate, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            if "PCSCSPY-TOP-EXITED" in screen:
                break  # it will not come
            time.sleep(0.1)
        raise Fail(f"timed out waiting for {what}\n--- screen ---\n{screen}")

    def wait_text(self, *needles, timeout=WAIT):
        return self.wait_for(lambda s: all(n in s for n in needles), " and ".join(repr(n) for n in needles), timeout)

    def wait_gone(self, *needles, timeout=WAIT):
        return self.wait_for(lambda s: not any(n in s for n in needles), "no " + " nor ".join(map(repr, needles)),
                             timeout)

    def top_pid(self):
        # The shell's child is pcscspy-top (env execs it).
        shell = int(open(self.pidfile).read())
        children = open(f"/proc/{shell}/task/{shell}/children").read().split()
        for c in children:
            if os.path.basename(os.readlink(f"/proc/{c}/exe")) == "pcscspy-top":
                return int(c)
        raise Fail(f"pcscspy-top is not running under the shell {shell}")

    def alternate_screen(self):
        return self.tmux_cmd("display-message", "-p", "-t", "0", "#{alternate_on}").strip() == "1"

    def wait_exit(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.exitfile) and os.path.getsize(self.exitfile) > 0:
                return int(open(self.exitfile).read().strip())
            time.sleep(0.05)
        raise Fail("pcscspy-top did not exit\n--- screen ---\n" + self.screen())

    def close(self):
        try:
            pid = int(open(self.workload_pidfile).read())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not alive(pid):
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        self.tmux_cmd("kill-server", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def alive(pid):
    """Running (a zombie has ended: only its parent has not looked yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


def expect(cond, what, screen=""):
    if not cond:
        raise Fail(what + ("\n--- screen ---\n" + screen if screen else ""))


def top_line(screen):
    return screen.splitlines()[0] if screen else ""


def calls_count(screen):
    m = re.search(r"calls (\d+)", top_line(screen))
    return int(m.group(1)) if m else -1


def running_workload(d):
    """Waits until the workload's APDUs are on screen."""
    return d.wait_text("SCardTransmit", "GET CHALLENGE", "VERIFY", "e2e_workload.py")


# ---------------------------------------------------------------- the cases

def case_panes(d):
    """Every pane shows the live workload: processes, readers, decoded APDUs, statistics."""
    s = running_workload(d)
    s = d.wait_text("SELECT by file", "→", "Virtual PCD 00 00", "present", "Time by function")
    expect("LIVE" in top_line(s), "LIVE in the top bar", s)
    expect(re.search(r"procs [1-9]", s) is not None, "processes counted", s)
    proc = next((l for l in s.splitlines() if "e2e_workload.py" in l and "python" not in l.split()[0]), "")
    expect(proc.startswith(("●", "*", "+", "!", ".")), "a light starts the process row", s)
    expect(re.search(r"Virtual PCD 00 00\s+present\s+\d+", s) is not None, "reader with card and APDU count", s)
    # Decoded INS names with their SW.
    # (The VERIFY's answer depends on the emulated card's PIN state: not checked.)
    s = d.wait_text("VERIFY", "→ 9000 OK", "→ 6A82")
    expect(re.search(r"SCardTransmit\s+\d+\s+\d+\.\d+%", s) is not None or "SCardTransmit" in s, "stats row", s)


def case_filters(d):
    """p cycles the process filter, r the reader filter, c clears them."""
    running_workload(d)
    # A second traced process on the same monitor.
    subprocess.run([RUN, "--socket", d.socket, "--", "opensc-tool", "--reader", "0", "--atr"],
                   capture_output=True, timeout=60)
    d.wait_text("opensc-tool")
    d.keys("p")
    s = d.wait_text("filter: pid")
    first = re.search(r"filter: pid (\d+)", s).group(1)
    d.keys("p")
    s = d.wait_for(lambda s: re.search(r"filter: pid (\d+)", s) and
                   re.search(r"filter: pid (\d+)", s).group(1) != first, "the second process's filter")
    second = re.search(r"filter: pid (\d+)", s).group(1)
    # Only the filtered process's calls are listed.
    pids = {l.split()[1] for l in s.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} +\d+ ", l)}
    expect(pids == {second}, f"only pid {second} in the call list, saw {pids}", s)
    d.keys("p")
    d.wait_gone("filter: pid")
    d.keys("r")
    d.wait_text("filter: reader Virtual PCD 00 00")
    d.keys("c")
    d.wait_gone("filter:")


def case_search(d):
    """/ finds calls by INS name and by hex; n moves to an older match."""
    running_workload(d)
    d.wait_text("GET CHALLENGE 8-byte challenge")
    d.keys("/")
    d.wait_text("/_")
    d.type("GET CHALLENGE")
    d.keys("Enter")
    # The title and the bottom line's message may come in two screen updates.
    d.wait_text("/GET CHALLENGE (")
    d.wait_for(lambda s: re.search(r"\d+ calls match \"GET CHALLENGE\"", s), "matches counted")
    d.keys("/")
    d.type("00 20 00 00")  # VERIFY, by its header bytes (its PIN is masked)
    d.keys("Enter")
    d.wait_text("/00 20 00 00 (")
    d.keys("Enter")
    # The match is a VERIFY (waited for with the overlay: a capture can catch it half drawn).
    d.wait_text("Call detail", "INS 20", "VERIFY")
    d.keys("Escape")
    d.wait_gone("Call detail")


def case_pause(d):
    """space freezes the call list while the calls keep being counted."""
    running_workload(d)
    d.keys("Space")
    s = d.wait_text("PAUSED")
    before = calls_count(s)
    s = d.wait_for(lambda s: calls_count(s) > before + 2 and "new" in s, "calls counted while paused")
    d.keys("Space")
    d.wait_text(" LIVE ")
    d.wait_gone("PAUSED")
    # Home goes to the oldest call (the list stops following), End follows again.
    d.keys("Home")
    s = d.wait_text("End follows")
    first_call = next(l for l in s.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", l))
    expect("SCardEstablishContext" in first_call, "the oldest call first", s)
    d.keys("End")
    d.wait_gone("End follows")


def case_dump(d):
    """d writes the session into $XDG_STATE_HOME/pcscspy/, shows the full path; --replay reads it."""
    running_workload(d)
    d.wait_text("GET CHALLENGE")
    d.keys("d")
    s = d.wait_text("session dumped to ")
    m = re.search(r"session dumped to (\S+\.json)", s.replace("\n", " "))
    expect(m is not None, "the dump's file name on the status line", s)
    path = m.group(1)
    folder = os.path.join(d.dir, "state", "pcscspy")
    expect(os.path.dirname(path) == folder, f"{path} is in {folder} (XDG_STATE_HOME/pcscspy)", s)
    expect(os.path.exists(path), f"{path} exists", s)
    expect(os.stat(folder).st_mode & 0o777 == 0o700, "the dump folder is private")
    expect(not any(n.startswith("pcscspy-dump-") for n in os.listdir(d.dir)), "nothing in the current folder")
    p = subprocess.run([TOP, "--replay", path, "--text", "--no-color"], capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, f"replay exit status {p.returncode}: {p.stderr}")
    expect("SCardTransmit" in p.stdout and "GET CHALLENGE" in p.stdout, "the replay shows the calls", p.stdout[-2000:])


def case_detail(d):
    """Enter on a call opens its detail with the APDU breakdown."""
    running_workload(d)
    d.wait_text("GET CHALLENGE 8-byte challenge → 9000")
    d.keys("/")
    d.type("GET CHALLENGE")
    d.keys("Enter")
    d.wait_text("/GET CHALLENGE (")
    d.keys("Enter")
    s = d.wait_text("Call detail", "Arguments", "Command APDU", "Response APDU")
    for needle in ("SCardTransmit", "pbSendBuffer", "INS 84", "GET CHALLENGE", "CLA 00", "case 2 short", "SW 9000"):
        expect(needle in s, f"{needle!r} in the detail", s)
    d.keys("PageDown")
    d.keys("q")  # closes the detail, does not quit
    s = d.wait_gone("Call detail")
    expect("Processes" in s, "back to the panes", s)


def case_help(d):
    """? lists every key; Esc closes it."""
    d.wait_text("Processes")
    d.keys("?")
    # Every key's line, waited for together: a capture can catch the overlay half drawn.
    d.wait_text("pcscspy-top keys", "process filter", "reader filter", "dump the session", "search calls",
                "pause / resume", "statistics per function", "correctness findings", "quit")
    d.keys("Escape")
    d.wait_gone("pcscspy-top keys")
    d.keys("k")
    d.wait_text("Correctness findings")
    d.keys("Escape")
    d.wait_gone("Correctness findings")


def case_resize(d):
    """The dashboard redraws on resize; below 80x24 it says the terminal is too small."""
    running_workload(d)
    d.tmux_cmd("resize-window", "-t", "0", "-x", "90", "-y", "28")
    s = d.wait_for(lambda s: len(s.splitlines()) <= 28 and "Processes" in s and
                   max(len(l) for l in s.splitlines()) <= 90, "a 90x28 layout")
    d.tmux_cmd("resize-window", "-t", "0", "-x", "70", "-y", "20")
    d.wait_text("terminal too small: 70x20")
    d.tmux_cmd("resize-window", "-t", "0", "-x", "160", "-y", "45")
    s = d.wait_text("Processes", "Time by function")
    expect("too small" not in s, "the panes are back", s)
    # At 160 columns the call text has the width; the statistics are below.
    row = next(l for l in s.splitlines() if "Time by function" in l)
    expect(row.startswith("Time by function"), "statistics below the call list at 160 columns", s)
    # Very wide: beside it, the call list keeping 160 columns.
    d.tmux_cmd("resize-window", "-t", "0", "-x", "240", "-y", "45")
    s = d.wait_for(lambda s: any("Time by function" in l and l.index("Time by function") >= 160
                                 for l in s.splitlines()), "statistics on the right at 240 columns")
    # S hides them.
    d.keys("S")
    d.wait_gone("Time by function")


def case_quit(d):
    """q exits within a second and gives the terminal back."""
    running_workload(d)
    expect(d.alternate_screen(), "the dashboard is on the alternate screen")
    start = time.monotonic()
    d.keys("q")
    status = d.wait_exit(timeout=5)
    elapsed = time.monotonic() - start
    expect(status == 0, f"exit status {status}")
    expect(elapsed < 1.0, f"q took {elapsed:.2f} s")
    d.wait_text("PCSCSPY-TOP-EXITED")
    expect(not d.alternate_screen(), "alternate screen left")
    terminal_is_sane(d)


def case_sigterm(d):
    """SIGTERM ends the dashboard cleanly and restores the terminal."""
    running_workload(d)
    os.kill(d.top_pid(), signal.SIGTERM)
    status = d.wait_exit(timeout=10)
    expect(status == 0, f"exit status {status} after SIGTERM")
    d.wait_text("PCSCSPY-TOP-EXITED")
    expect(not d.alternate_screen(), "alternate screen left")
    terminal_is_sane(d)


def case_crash(d):
    """A crash signal restores the terminal before the process dies of it."""
    d.wait_text("Processes")
    os.kill(d.top_pid(), signal.SIGSEGV)
    status = d.wait_exit(timeout=10)
    expect(status == 128 + signal.SIGSEGV, f"exit status {status}, expected death by SIGSEGV")
    d.wait_text("PCSCSPY-TOP-EXITED")
    expect(not d.alternate_screen(), "alternate screen left")
    terminal_is_sane(d)


def case_vt100(d):
    """TERM=vt100, no colour (NO_COLOR), C locale: plain ASCII, lights as characters."""
    running_workload(d)
    s = d.wait_text("VERIFY", "->")
    escapes = d.screen(escapes=True)
    expect(re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7]|9[0-7]|38;|48;)", escapes) is None, "no colour sequences", escapes)
    expect(all(ord(c) < 128 for c in s), "only ASCII on screen", s)
    lights = [l[0] for l in s.splitlines() if "e2e_workload.py" in l[:25] or "Virtual PCD 00 00" in l[:25]]
    expect(lights and all(c in ".*+!" for c in lights), f"lights as characters, got {lights}", s)
    d.keys("q")
    expect(d.wait_exit(timeout=5) == 0, "clean exit")


def case_no_color(d):
    """--no-color in an xterm: no colour, emphasis by bold and reverse."""
    running_workload(d)
    escapes = d.screen(escapes=True)
    expect(re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7]|9[0-7]|38;|48;)", escapes) is None, "no colour sequences", escapes)
    expect("\x1b[7m" in escapes or ";7m" in escapes, "reverse video for the bars", escapes)
    s = d.screen()
    lights = [l[0] for l in s.splitlines() if "e2e_workload.py" in l[:25]]
    expect(lights and all(c in ".*+!" for c in lights), f"lights as characters, got {lights}", s)


def case_filter(d):
    """f filters by an expression: the list, "Calls N of M" and the statistics follow; a bad one says why."""
    running_workload(d)
    d.wait_text("GET CHALLENGE 8-byte challenge")
    d.keys("f")
    d.wait_text("filter: _")
    d.type("dur>50")
    d.wait_text("column 5: dur needs a unit")
    # Enter refuses it: the prompt stays open with the text and the reason.
    d.keys("Enter")
    d.wait_text("filter: dur>50_", "column 5: dur needs a unit")
    for _ in range(len("dur>50")):
        d.keys("BSpace")
    d.wait_text("filter: _")
    d.type("ins==84 && sw==9000")
    s = d.wait_text("Enter apply")
    d.keys("Enter")
    s = d.wait_text("filter: ins==84 && sw==9000", "filtered")
    m = re.search(r"Calls (\d+) of (\d+)", s)
    expect(m is not None and 0 < int(m.group(1)) < int(m.group(2)), "Calls N of M", s)
    rows = [l for l in s.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} +\d+ ", l)]
    expect(rows and all("GET CHALLENGE" in l and "9000" in l for l in rows), "only GET CHALLENGEs answered 9000", s)
    stats = s[s.index("Time by function"):]
    expect("SCardTransmit" in stats and "SCardConnect" not in stats, "statistics of the filtered calls only", s)
    d.keys("c")
    d.wait_gone("filtered", "filter:")


def case_pick(d):
    """Tab to the process pane, a row, Enter: the calls of that process only; Enter again: all."""
    running_workload(d)
    subprocess.run([RUN, "--socket", d.socket, "--", "opensc-tool", "--reader", "0", "--atr"],
                   capture_output=True, timeout=60)
    d.wait_text("opensc-tool")
    d.keys("Tab")
    d.wait_text("▶ Processes")
    # Each row in turn: Enter filters by it; the opensc-tool row is the one wanted.
    for _ in range(10):
        d.keys("Enter")
        s = d.wait_text("filter: pid")
        if "opensc-tool" in top_line(s):
            break
        d.keys("Enter")
        d.wait_gone("filter: pid")
        d.keys("Down")
    expect("opensc-tool" in top_line(s), "the opensc-tool row picked", s)
    pid = re.search(r"filter: pid (\d+)", s).group(1)
    pids = {l.split()[1] for l in s.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} +\d+ ", l)}
    expect(pids == {pid}, f"only pid {pid} listed, saw {pids}", s)
    d.keys("Enter")
    d.wait_gone("filter: pid")
    d.keys("Escape")
    d.wait_gone("▶ Processes")


def testbed_state():
    """The test bed's state folder, when the fixture started pcscd and vicc (else skip)."""
    state = os.environ.get("PCSCSPY_TESTBED_STATE", "")
    for name in ("vicc.pid", "pcscd.pid"):
        if not os.path.exists(os.path.join(state, name)):
            print(f"the test bed did not start {name[:-4]} here (no {name}): skipped")
            sys.exit(77)
    return state


def stop_pidfile(path):
    pid = int(open(path).read())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def restart_testbed(state):
    p = subprocess.run([os.path.join(SOURCE, "tests", "testbed", "testbed.sh"), "start", state],
                       capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, f"testbed.sh start: {p.stdout}{p.stderr}")


def reader_row(s):
    return next((l for l in s.splitlines() if READER in l[:30]), "")


def case_readers(d):
    """Nothing traced: the dashboard sees the reader and vicc's card go and come, as pcsc_scan does."""
    state = testbed_state()
    s = d.wait_for(lambda s: "present" in reader_row(s) and "3B" in reader_row(s), "the card, with nothing traced")
    expect("Processes 0" in s, "nobody traced", s)
    expect(calls_count(s) == 0, "no call counted (the watcher's own are not calls)", s)
    try:
        stop_pidfile(os.path.join(state, "vicc.pid"))
        s = d.wait_for(lambda s: "empty" in reader_row(s), "the card gone")
        expect(calls_count(s) == 0 and "Processes 0" in s, "still no call, no process", s)
    finally:
        restart_testbed(state)
    s = d.wait_for(lambda s: "present" in reader_row(s), "the card back")
    expect("vsmartcard" in reader_row(s) or "3B" in reader_row(s), "with its ATR or name", s)
    expect(calls_count(s) == 0, "no call counted", s)


def case_readers_pcscd(d):
    """pcscd stops: the dashboard says so; started again, its readers and card come back."""
    state = testbed_state()
    d.wait_for(lambda s: "present" in reader_row(s), "the card")
    try:
        stop_pidfile(os.path.join(state, "vicc.pid"))
        stop_pidfile(os.path.join(state, "pcscd.pid"))
        d.wait_for(lambda s: "pcscd is not running" in s and "gone" in reader_row(s),
                   "pcscd said to be gone, and the reader with it")
    finally:
        restart_testbed(state)
    s = d.wait_for(lambda s: "present" in reader_row(s) and "pcscd is not running" not in s, "pcscd and the card back")
    expect(calls_count(s) == 0, "no call counted", s)


def case_readers_attached(d):
    """With the system-wide capture on (no --pid), the reader watcher still sees the
    card go and come, and its own PC/SC calls are never shown as a traced process."""
    state = testbed_state()
    deadline = time.monotonic() + WAIT
    while not os.path.exists(d.exitfile) and "watching every program" not in d.screen():
        if time.monotonic() > deadline:
            raise Fail("the capture did not start\n--- screen ---\n" + d.screen())
        time.sleep(0.1)
    if os.path.exists(d.exitfile):
        screen = d.screen()
        expect("--attach:" in screen and "no libpcsclite" not in screen, "an attach refused, said why", screen)
        print("the kernel or the privileges refuse the probes: skipped\n" + screen)
        sys.exit(77)
    top = d.top_pid()
    d.wait_for(lambda s: "present" in reader_row(s) and "3B" in reader_row(s), "the card")
    try:
        stop_pidfile(os.path.join(state, "vicc.pid"))
        d.wait_for(lambda s: "empty" in reader_row(s), "the card gone")
    finally:
        restart_testbed(state)
    d.wait_for(lambda s: "present" in reader_row(s), "the card back")
    d.keys("q")
    expect(d.wait_exit() == 0, "pcscspy-top exits 0", d.screen())
    with open(os.path.join(d.dir, "session.json")) as f:
        doc = json.load(f)
    pids = [p.get("pid") for p in doc.get("processes", [])]
    expect(top not in pids, f"the monitor's own pid {top} is not a traced process: {pids}")


def terminal_is_sane(d):
    d.wait_for(lambda s: os.path.exists(d.sttyfile) and os.path.getsize(d.sttyfile) > 0, "stty -a", timeout=10)
    modes = open(d.sttyfile).read().split()
    for mode in ("icanon", "echo", "isig", "icrnl", "opost"):
        expect(mode in modes, f"{mode} restored (stty -a: {' '.join(modes)})")


CASES = {
    "panes": ({}, ()), "filters": ({}, ()), "search": ({}, ()), "pause": ({}, ()), "dump": ({}, ()),
    "detail": ({}, ()), "help": ({}, ()), "resize": ({}, ()), "quit": ({}, ()), "sigterm": ({}, ()),
    "crash": ({}, ()),
    "vt100": ({"TERM": "vt100", "NO_COLOR": "1", "LANG": "C", "LC_ALL": "C"}, ()),
    "no_color": ({}, ("--no-color",)),
    "filter": ({}, ()), "pick": ({}, ()),
    "readers": ({}, (), False), "readers_pcscd": ({}, (), False),
    # Relative to the dashboard's folder, where it runs.
    "readers_attached": ({}, ("--attach", "--dump", "session.json"), False, True),
}


def main():
    global TOP, RUN, SOURCE
    if len(sys.argv) != 5 or sys.argv[4] not in CASES:
        sys.exit(f"usage: {sys.argv[0]} PCSCSPY_TOP PCSCSPY_RUN SOURCE_DIR {{{','.join(CASES)}}}")
    TOP, RUN, SOURCE, case = sys.argv[1:]
    if shutil.which("tmux") is None:
        print("tmux is not installed: skipped")
        sys.exit(77)
    env, args, *more = CASES[case]
    workload = more[0] if more else True
    attach = more[1] if len(more) > 1 else False
    d = Dashboard(env=env, args=args, workload=workload, attach=attach)
    try:
        globals()["case_" + case](d)
    except Fail as e:
        print(f"FAIL {case}: {e}")
        sys.exit(1)
    finally:
        d.close()
    print(f"ok {case}")


if __name__ == "__main__":
    main()
