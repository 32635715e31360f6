#!/bin/sh
# pcscspy-top -- CMD: the command runs with the default signal mask (not the
# monitor's blocked SIGTERM/SIGINT), and when the monitor is told to stop, the
# command it launched, and that command's children, stop with it.
#   e2e_launcher.sh PCSCSPY_TOP [SIGNAL]   SIGNAL: TERM (default), INT or HUP
set -eu
top="$1"
sig="${2:-TERM}"
dir=$(mktemp -d)
trap 'kill $monitor 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$top" --text --no-attach --socket "$dir/sock/socket" -- \
  sh -c 'sleep 300 & echo $! > "$1/child.pid"; echo $$ > "$1/cmd.pid"; wait' sh "$dir" \
  >"$dir/out" 2>&1 &
monitor=$!

i=0
while [ ! -s "$dir/child.pid" ] || [ ! -s "$dir/cmd.pid" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "the command never started: $(cat "$dir/out")"
  sleep 0.1
done
cmd=$(cat "$dir/cmd.pid"); child=$(cat "$dir/child.pid")

blocked=$(awk '/^SigBlk:/ {print $2}' "/proc/$cmd/status")
[ "$blocked" = "0000000000000000" ] || fail "the command starts with signals blocked: SigBlk $blocked"

kill -$sig $monitor
i=0
while kill -0 $monitor 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "pcscspy-top did not end within 10 s of SIG$sig"
  sleep 0.1
done
for p in $cmd $child; do
  i=0
  while kill -0 $p 2>/dev/null && [ "$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)" != Z ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "process $p of the launched command outlived the monitor"
    sleep 0.1
  done
done
[ ! -e "$dir/sock/socket" ] || fail "the monitor left its socket behind after SIG$sig"
echo "ok: after SIG$sig, the command and its child ended with the monitor"
