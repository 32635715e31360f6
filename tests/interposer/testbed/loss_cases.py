#!/usr/bin/python3
"""Makes a known number of PC/SC calls with pyscard's low-level API (one
SCardEstablishContext, then SCardIsValidContext calls), then ends the way the
first argument says. Prints "made PID CALLS" for every process that called,
before it ends, so that a test can compare with what the monitor shows.

  exit N          N calls, then a normal exit
  os_exit N       N calls, then os._exit(0)
  threads T N     T threads making N calls each, then a normal exit
  fork N          a forked child makes its own context and N calls, then os._exit(0)
  kill N          N calls, then SIGKILL to itself
  segv N          N calls, then a NULL dereference (SIGSEGV)
  exec N          N calls, then exec of /bin/true
  wait N          the context, "ready", waits for a line on stdin, N calls, exit
"""
import ctypes
import os
import signal
import sys
import threading

from smartcard.scard import SCARD_SCOPE_USER, SCardEstablishContext, SCardIsValidContext


def context():
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != 0:
        sys.exit(f"SCardEstablishContext: {rv:#x}")
    return ctx


def calls(ctx, n):
    for _ in range(n):
        SCardIsValidContext(ctx)


def made(n):
    print("made", os.getpid(), n, flush=True)


mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
if mode == "fork":
    pid = os.fork()
    if pid == 0:
        ctx = context()
        calls(ctx, args[0])
        made(args[0] + 1)
        os._exit(0)
    os.waitpid(pid, 0)
    sys.exit(0)

ctx = context()
if mode == "threads":
    workers = [threading.Thread(target=calls, args=(ctx, args[1])) for _ in range(args[0])]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    made(args[0] * args[1] + 1)
    sys.exit(0)
if mode == "wait":
    print("ready", flush=True)
    sys.stdin.readline()
calls(ctx, args[0])
made(args[0] + 1)
if mode == "os_exit":
    os._exit(0)
elif mode == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "segv":
    signal.signal(signal.SIGSEGV, signal.SIG_DFL)
    ctypes.string_at(0)
elif mode == "exec":
    os.execv("/bin/true", ["true"])
