#!/bin/sh
# The live monitor's own work runs nicer than it was started (--nice, default
# 10), so that it yields the CPU to the programs it watches; a command it
# launches keeps the priority the monitor was started with.
#   e2e_nice.sh PCSCSPY_TOP
set -eu
top="$1"
dir=$(mktemp -d)
monitor=""
trap '[ -z "$monitor" ] || kill $monitor 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Field 19 of /proc/PID/stat, counted after the ")" that ends the name.
niceness() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f17; }
base=$(niceness $$)

# run_monitor EXPECTED [OPTIONS]: the monitor's niceness and its command's.
run_monitor() {
  expected="$1"
  shift
  rm -f "$dir/cmd.pid"
  "$top" --text --no-attach --socket "$dir/sock/socket" "$@" -- \
    sh -c 'echo $$ > "$1/cmd.pid"; exec sleep 300' sh "$dir" >"$dir/out" 2>&1 &
  monitor=$!
  i=0
  # The priority is lowered once the command is launched, before text mode says
  # "running": after that line it must be exactly the one expected.
  until [ -s "$dir/cmd.pid" ] && grep -q "^pcscspy-top: running " "$dir/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 600 ] || fail "the command did not start: $(cat "$dir/out")"
    sleep 0.1
  done
  got=$(niceness $monitor)
  [ "$got" -eq "$expected" ] || fail "pcscspy-top $*: niceness $got, expected $expected"
  cmd=$(niceness "$(cat "$dir/cmd.pid")")
  [ "$cmd" -eq "$base" ] || fail "pcscspy-top $*: its command runs at niceness $cmd, not $base"
  kill -TERM $monitor
  wait $monitor 2>/dev/null || true
  monitor=""
}

want=$((base + 10)); [ $want -le 19 ] || want=19
run_monitor $want
want=$((base + 3)); [ $want -le 19 ] || want=19
run_monitor $want --nice 3
run_monitor $base --nice 0

# A bad value: one line and exit 2, before anything starts.
for bad in 20 -1 x ""; do
  status=0
  "$top" --text --no-attach --socket "$dir/sock/socket" --nice "$bad" >"$dir/out" 2>&1 || status=$?
  [ $status -eq 2 ] || fail "--nice '$bad' exits $status, not 2"
  grep -q "^pcscspy-top: --nice needs" "$dir/out" || grep -q "^pcscspy-top: --nice needs a non-empty" "$dir/out" ||
    fail "--nice '$bad': $(cat "$dir/out")"
done
echo ok
