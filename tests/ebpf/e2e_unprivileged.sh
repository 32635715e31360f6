#!/bin/sh
# Without the privilege (another uid, no capabilities): --attach exits with
# status 2 and a one-line reason; without --attach the monitor runs on its
# socket as before and says once how to see every program.
set -eu
top="$1"
. "$(dirname "$0")/e2e_lib.sh"

command -v setpriv >/dev/null || { echo "SKIPPED: setpriv is not installed"; exit 77; }
chmod 755 "$dir"
cp "$top" "$dir/pcscspy-top"
chmod 755 "$dir/pcscspy-top"
mkdir "$dir/home"
chown 65534:65534 "$dir/home"
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --"

status=0
$nobody "$dir/pcscspy-top" --text --attach --socket "$dir/home/run/socket" > "$dir/attach.out" 2> "$dir/attach.err" || status=$?
[ "$status" -eq 2 ] || fail "--attach without privilege exited with $status, not 2"
[ "$(wc -l < "$dir/attach.err")" -eq 1 ] || fail "the reason is not one line"
grep -q "^pcscspy-top: --attach: not permitted" "$dir/attach.err" || fail "the reason does not say it is not permitted"

# Not through a shell function: $! must be the monitor itself (setpriv execs it).
$nobody "$dir/pcscspy-top" --text --socket "$dir/home/run/socket" > "$dir/plain.out" 2> "$dir/plain.err" &
plain=$!
started="$plain"
wait_for "$dir/plain.err" "listening on" || fail "the unprivileged monitor did not start"
[ "$(grep -c "sudo pcscspy-top" "$dir/plain.err")" -eq 1 ] || fail "it does not say once how to see every program"
kill -INT $plain
status=0
wait $plain || status=$?
[ "$status" -eq 0 ] || fail "the unprivileged monitor exited with $status"
[ "$(grep -c "sudo pcscspy-top" "$dir/plain.err")" -eq 1 ] || fail "the hint was repeated"
echo ok
