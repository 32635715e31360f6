#!/bin/sh
# The demo's traced workload: several real PC/SC clients against the test bed,
# started by `pcscspy-top -- demo/workload.sh` so that each of them is traced.
#   - card_session.py: a pyscard program looping over SELECT, GET CHALLENGE,
#     VERIFY (wrong, then right PIN), SELECT PIV, inside a transaction;
#   - reader_watch.py: a reader watcher blocked in SCardGetStatusChange;
#   - opensc-tool every few seconds (ATR, card name), as a desktop would.
# Runs until it is terminated; then stops its clients.
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3

pids=""
cleanup() {
  trap - TERM INT HUP EXIT
  [ -n "$pids" ] && kill $pids 2>/dev/null
  wait 2>/dev/null
  exit 0
}
trap cleanup TERM INT HUP EXIT

$PY "$HERE/reader_watch.py" & pids="$pids $!"
$PY "$HERE/card_session.py" & pids="$pids $!"
sleep 2
while :; do
  opensc-tool --reader 0 --atr >/dev/null 2>&1
  sleep 4
  opensc-tool --reader 0 --name >/dev/null 2>&1
  sleep 6
done
