"""Helpers of the many-machines tests: a headless pcscspy-top with its start
line, scraping its /metrics, traced workloads on the test bed, bounded waits."""
import json
import os
import re
import signal
import socket
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    sys.exit(1)


def skip(reason):
    print("SKIP:", reason)
    sys.exit(SKIP)


def wait_for(what, condition, timeout=30.0, step=0.1):
    """Polls condition() until it returns something true; fails after timeout."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(args):
    """The monitor's arguments with its scope pinned to the test's own socket:
    as root the system-wide capture would also show the programs of the tests
    running beside this one (ctest -j2)."""
    return args if "--attach" in args or "--no-attach" in args else ["--no-attach", *args]


class Monitor:
    """pcscspy-top --headless ARGS..., its stderr in a file; the start line read."""

    def __init__(self, top, args, workdir, name="monitor"):
        self.err_path = os.path.join(workdir, name + ".err")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([top, "--headless", *pinned(args)], stdout=subprocess.PIPE, stderr=self.err,
                                     stdin=subprocess.DEVNULL)
        self.start_line = wait_for("the start line of pcscspy-top", self._start_line, timeout=20)
        m = re.search(r"metrics at (http://\S+/metrics)", self.start_line)
        self.url = m.group(1) if m else None

    def _start_line(self):
        if self.proc.poll() is not None:
            fail(f"pcscspy-top exited with {self.proc.returncode}: {self.stderr()}")
        text = self.stderr()
        return text.splitlines()[0] if text.endswith("\n") else None

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def scrape_text(self):
        with urllib.request.urlopen(self.url, timeout=10) as r:
            return r.read().decode()

    def scrape(self):
        return parse_metrics(self.scrape_text())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # Where it hangs, when gdb is there to say.
            where = "gdb not installed"
            if shutil.which("gdb"):
                where = subprocess.run(["gdb", "-batch", "-p", str(self.proc.pid), "-ex", "thread apply all bt 8"],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
            self.proc.kill()
            fail(f"pcscspy-top did not end within {timeout} s of signal {sig}; stderr: {self.stderr()}; where: {where}")
        out = self.proc.stdout.read()
        if out:
            fail(f"--headless printed on stdout: {out[:200]!r}")
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def parse_metrics(text):
    """Prometheus text format -> {series: value} (comments skipped)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def total(metrics, name, **labels):
    """Sum of the series of a metric whose labels include `labels`."""
    s = 0.0
    for series, value in metrics.items():
        if series != name and not series.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            s += value
    return s


def traced(run, socket_path, command, **kwargs):
    """Runs command under pcscspy-run on the monitor's socket; fails if it fails."""
    r = subprocess.run([run, "--socket", socket_path, "--", *command], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120, **kwargs)
    if r.returncode != 0:
        fail(f"{' '.join(command)} exited with {r.returncode}: {r.stderr[-500:]}")
    return r.stdout


def workload(*args):
    return [sys.executable, os.path.join(HERE, "workload.py"), *args]


def quiet_session(monitor, settle=0.5, timeout=30):
    """Waits until every traced process has ended and nothing new arrives."""
    last = [None]

    def settled():
        m = monitor.scrape()
        state = (m.get('pcscspy_processes{state="running"}'), m.get("pcscspy_events_total"))
        done = state[0] == 0 and state == last[0]
        last[0] = state
        return m if done else None
    return wait_for("the session to settle", settled, timeout=timeout, step=settle)


def replay_summary(top, files):
    """The statistics table of `pcscspy-top --replay F... --text --summary`."""
    args = [top]
    for f in files:
        args += ["--replay", f]
    r = subprocess.run(args + ["--text", "--summary", "--no-color"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if r.returncode != 0:
        fail(f"replay of {files} exited with {r.returncode}: {r.stderr[-500:]}")
    lines = r.stdout.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("Results sorted")), None)
    if start is None:
        fail(f"no statistics table in the replay of {files}")
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def workdir():
    return tempfile.mkdtemp(prefix="pcscspy-fleet-")
