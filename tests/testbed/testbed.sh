#!/bin/sh
# The real PC/SC test bed: pcscd with the vsmartcard vpcd reader driver, and the
# vpicc emulator (`vicc -t iso7816`, through vicc_fixed.py which mends a crash of
# Debian 12's vicc on SELECT with FCI) as the card in "Virtual PCD 00 00".
#
#   testbed.sh start STATE_DIR   start what is missing, wait for the card
#   testbed.sh stop STATE_DIR    stop only what `start` started (by PID)
#   testbed.sh env               print the environment vicc needs (for scripts)
#
# `start` is idempotent: an already running pcscd or emulator is used as is and
# never stopped by `stop`. Waits are bounded; failures say what is missing.
set -eu

READER="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
WAIT="${PCSCSPY_TESTBED_WAIT:-20}"
HERE="$(cd "$(dirname "$0")" && pwd)"
PROBE="/usr/bin/python3 $HERE/probe.py"

die() { echo "testbed: $*" >&2; exit 1; }

# Debian 12 ships vicc's package under site-packages (not on sys.path) and names
# pycryptodome "Cryptodome" where vicc imports "Crypto": give it both.
vicc_env() {
  shim="$1/pyshim"
  mkdir -p "$shim"
  [ -e "$shim/Crypto" ] || ln -s /usr/lib/python3/dist-packages/Cryptodome "$shim/Crypto"
  echo "PYTHONPATH=/usr/lib/python3/site-packages/virtualsmartcard:$shim"
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop_pid() {  # name pidfile
  [ -f "$2" ] || return 0
  pid=$(cat "$2")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "testbed: stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}

start() {
  state="$1"
  mkdir -p "$state"
  for tool in pcscd vicc; do
    command -v $tool >/dev/null || die "$tool not installed (run scripts/install-deps.sh)"
  done
  [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || die "vsmartcard-vpcd driver missing (run scripts/install-deps.sh)"

  if $PROBE card "$READER" 0.5 2>/dev/null; then
    echo "testbed: card already present in '$READER'"
    return 0
  fi

  if pidof pcscd >/dev/null 2>&1; then
    echo "testbed: using the running pcscd (pid $(pidof pcscd))"
  else
    pcscd --foreground >"$state/pcscd.log" 2>&1 &
    echo $! >"$state/pcscd.pid"
    echo "testbed: started pcscd (pid $!)"
  fi
  if ! $PROBE reader "$READER" "$WAIT"; then
    alive "$(cat "$state/pcscd.pid" 2>/dev/null)" || [ ! -f "$state/pcscd.pid" ] ||
      die "pcscd exited at start; its log: $(tail -5 "$state/pcscd.log")"
    die "no reader '$READER': is pcscd running without the vpcd driver? (restart it after installing vsmartcard-vpcd)"
  fi

  env_line=$(vicc_env "$state")
  # 127.0.0.1, not vicc's default "localhost": a minimal root (debootstrap,
  # some containers) has no /etc/hosts, and vicc then exits. -v: its errors
  # reach its log, which a failed start shows.
  env "$env_line" /usr/bin/python3 "$HERE/vicc_fixed.py" -t iso7816 --hostname 127.0.0.1 -v >"$state/vicc.log" 2>&1 &
  echo $! >"$state/vicc.pid"
  echo "testbed: started vicc (pid $!)"
  if ! $PROBE card "$READER" "$WAIT"; then
    alive "$(cat "$state/vicc.pid")" || die "vicc exited at start; its log: $(tail -5 "$state/vicc.log")"
    die "vicc runs but no card appeared in '$READER' within ${WAIT}s"
  fi
  echo "testbed: card present in '$READER'"
}

stop() {
  state="$1"
  stop_pid vicc "$state/vicc.pid"
  stop_pid pcscd "$state/pcscd.pid"
}

case "${1:-}" in
  start) start "${2:?state dir}" ;;
  stop) stop "${2:?state dir}" ;;
  env) vicc_env "${2:?state dir}" ;;
  *) echo "usage: $0 {start|stop|env} STATE_DIR" >&2; exit 2 ;;
esac
