"""What the end-to-end monitor tests share: pcscspy-top started on a private
socket (text mode with its output in files, or the dashboard in a detached
tmux), a peer that speaks the event protocol over that socket as a traced
program (or a hostile one of the same user) would, and event lines.

Every wait is bounded and polls; nothing relies on a fixed sleep.
"""
import itertools
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

WAIT = 30.0  # generous: a 2-core machine shared with other tests
SKIP = 77    # CTest's skip code (SKIP_RETURN_CODE)


class Fail(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Fail(message)


def wait_until(predicate, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise Fail(f"timed out waiting for {what}")


def private_dir():
    d = tempfile.mkdtemp(prefix="pcscspy-e2e-")
    os.chmod(d, 0o700)
    return d


# Event lines (pcscspy-events(5)). Values are given as Python objects and
# written by json.dumps, except `raw` pieces that tests want byte-exact.
TS = 1764030000000000


def event(kind, pid, **fields):
    e = {"v": 1, "type": kind, "pid": pid, "tid": fields.pop("tid", pid), "ts_us": fields.pop("ts_us", TS)}
    e.update(fields)
    return json.dumps(e, separators=(",", ":"))


def hello(pid, exe="/usr/bin/opensc-tool", argv=("opensc-tool", "-a"), **fields):
    values = dict(ppid=1, uid=os.getuid(), exe=exe, argv=list(argv), via="preload",
                  backend="/usr/lib/x86_64-linux-gnu/libpcsclite_real.so.1", spy="0.1.0")
    values.update(fields)  # a test's own values win
    return event("hello", pid, **values)


def call(pid, seq, fn, arguments_in=None, arguments_out=None, rv=0, rv_name="SCARD_S_SUCCESS", dur_ns=100000,
         **fields):
    return event("call", pid, seq=seq, fn=fn, dur_ns=dur_ns, rv=rv, rv_name=rv_name, **{"in": arguments_in or {}},
                 out=arguments_out or {}, **fields)


def bye(pid, calls, lost=0):
    return event("bye", pid, calls=calls, lost=lost)


class Peer:
    """A client of the monitor's socket, one traced process as far as the monitor knows."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def send(self, *lines):
        self.sock.sendall("".join(line + "\n" for line in lines).encode())

    def send_bytes(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


class TextMonitor:
    """pcscspy-top (by default --text) on a private socket; stdout and stderr
    collected from pipes (so that a file size limit given to it applies to its
    own files only)."""

    def __init__(self, top, args=("--text",), env=None, preexec=None, socket_path=None):
        self.dir = private_dir()
        self.socket = socket_path or os.path.join(self.dir, "sock", "socket")
        environment = dict(os.environ)
        environment.pop("PCSCSPY_SOCKET", None)
        environment.update(env or {})
        # --no-attach: only its own peers, not other tests' programs (as root the
        # monitor would capture every program on the machine).
        self.proc = subprocess.Popen([top, "--no-attach", "--socket", self.socket, *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment,
                                     preexec_fn=preexec)
        self.buffers = {"out": bytearray(), "err": bytearray()}
        self.lock = threading.Lock()
        self.readers = [threading.Thread(target=self._collect, args=(self.proc.stdout, "out"), daemon=True),
                        threading.Thread(target=self._collect, args=(self.proc.stderr, "err"), daemon=True)]
        for t in self.readers:
            t.start()

    def _collect(self, pipe, name):
        for chunk in iter(lambda: pipe.read1(65536), b""):
            with self.lock:
                self.buffers[name] += chunk

    def _text(self, name):
        with self.lock:
            return bytes(self.buffers[name]).decode("utf-8", "replace")

    def wait_listening(self, timeout=WAIT):
        def ready():
            if self.proc.poll() is not None:
                raise Fail(f"pcscspy-top exited with {self.proc.returncode} before listening:\n{self.err()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return True
            except OSError:
                return False
        wait_until(ready, "pcscspy-top to listen", timeout)

    def peer(self):
        return Peer(self.socket)

    def out(self):
        return self._text("out")

    def err(self):
        return self._text("err")

    def raw_output(self):
        """Everything it wrote, once it has ended."""
        for t in self.readers:
            t.join(WAIT)
        with self.lock:
            return bytes(self.buffers["out"]) + bytes(self.buffers["err"])

    def wait_count(self, needle, count, timeout=WAIT):
        def seen():
            if self.out().count(needle) >= count:
                return True
            if self.proc.poll() is not None:
                raise Fail(f"pcscspy-top exited with {self.proc.returncode}; {needle!r} seen "
                           f"{self.out().count(needle)} of {count} times:\n{self.err()}")
            return False
        wait_until(seen, f"{count} x {needle!r} on stdout", timeout)

    def wait_output(self, needle, timeout=WAIT):
        def seen():
            if needle in self.out():
                return True
            if self.proc.poll() is not None:
                raise Fail(f"pcscspy-top exited with {self.proc.returncode} before printing {needle!r}:\n"
                           f"{self.err()}")
            return False
        wait_until(seen, f"{needle!r} on stdout", timeout)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=WAIT):
        """Sends sig, returns the exit status (negative: killed by that signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail(f"pcscspy-top did not end within {timeout} s of {signal.Signals(sig).name}")

    def wait(self, timeout=WAIT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail(f"pcscspy-top did not end by itself within {timeout} s; stderr:\n{self.err()}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class TmuxDashboard:
    """The dashboard in a detached tmux of fixed size (its own tmux server);
    stderr goes to a file, the exit status is written when it ends."""

    servers = itertools.count(1)

    def __init__(self, top, args, width=120, height=40, shell_prefix=""):
        self.dir = private_dir()
        self.socket = os.path.join(self.dir, "sock", "socket")
        self.err_path = os.path.join(self.dir, "stderr")
        self.exit_path = os.path.join(self.dir, "exit")
        self.pid_path = os.path.join(self.dir, "pid")
        # Its own tmux server: one closing never races the next one starting.
        self.tmux = ["tmux", "-L", f"pcscspy-e2e-{os.getpid()}-{next(TmuxDashboard.servers)}", "-f", "/dev/null"]
        command = " ".join(shlex.quote(c) for c in [top, "--no-attach", "--socket", self.socket, *args])
        shell = (f"cd {self.dir}; {shell_prefix} echo $$ > {self.pid_path}; "
                 f"env TERM=xterm-256color LANG=C.UTF-8 {command} 2> {self.err_path}; "
                 f"echo $? > {self.exit_path}; echo PCSCSPY-TOP-EXITED; exec sleep 600")
        self.tmux_cmd("new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", shell)

    def tmux_cmd(self, *args):
        p = subprocess.run(self.tmux + list(args), capture_output=True, text=True, timeout=20)
        if p.returncode != 0:
            raise Fail(f"tmux {' '.join(args)}: {p.stderr}")
        return p.stdout

    def screen(self):
        return self.tmux_cmd("capture-pane", "-p", "-t", "0")

    def keys(self, *keys):
        for k in keys:
            self.tmux_cmd("send-keys", "-t", "0", *(["-l", k] if len(k) == 1 else [k]))

    def wait_text(self, *needles, timeout=WAIT):
        last = [""]

        def seen():
            last[0] = self.screen()
            if all(n in last[0] for n in needles):
                return last[0]
            if "PCSCSPY-TOP-EXITED" in last[0]:
                raise Fail(f"pcscspy-top exited while waiting for {needles}:\n{last[0]}\n{self.err()}")
            return None
        try:
            return wait_until(seen, " and ".join(map(repr, needles)), timeout)
        except Fail as e:
            raise Fail(f"{e}\n--- screen ---\n{last[0]}")

    def wait_listening(self):
        def ready():
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return True
            except OSError:
                return False
        wait_until(ready, "the dashboard to listen")

    def peer(self):
        return Peer(self.socket)

    def wait_exit(self, timeout=WAIT):
        def ended():
            if os.path.exists(self.exit_path) and os.path.getsize(self.exit_path) > 0:
                return True
            return False
        wait_until(ended, "pcscspy-top to exit", timeout)
        with open(self.exit_path) as f:
            return int(f.read().strip())

    def err(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        subprocess.run(self.tmux + ["kill-server"], capture_output=True, timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_case(cases, argv):
    """main(): argv = [script, PCSCSPY_TOP, CASE]; runs cases[CASE](top)."""
    if len(argv) != 3 or argv[2] not in cases:
        print(f"usage: {argv[0]} PCSCSPY_TOP CASE  (CASE: {', '.join(sorted(cases))})")
        return 2
    try:
        result = cases[argv[2]](argv[1])
    except Fail as e:
        print(f"FAIL {argv[2]}: {e}")
        return 1
    if result == SKIP:
        return SKIP
    print(f"ok {argv[2]}")
    return 0
