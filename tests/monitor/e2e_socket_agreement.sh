#!/bin/sh
# The monitor and the traced programs agree on the socket, or say why not, on
# the real test bed:
#  1. PCSCSPY_SOCKET alone, exported for both sides: pcscspy-top listens there,
#     says the matching pcscspy-run line, and sees opensc-tool's calls;
#     pcscspy-run says nothing (a monitor listens).
#  2. No monitor: pcscspy-run says once, before the command's own output, which
#     socket it sends to and that nobody listens; the command runs with its
#     exit status; --quiet says nothing.
#  3. Same user, another XDG_RUNTIME_DIR: pcscspy-run names the monitor's real
#     socket, and the line it suggests traces the program.
#  4. A monitor as root through sudo (SUDO_UID set), a program of another uid
#     (setpriv): both sides say that they cannot meet.
# Every monitor here runs with --no-attach: the socket is what is tested (the
# system-wide capture would see the programs whatever their socket).
# pcscspy-run's notes name the monitors it finds in /proc and /proc/net/unix: under
# ctest -j2 another test's monitor would be named instead of this one's (seen
# once). As root, the script runs in PID and network namespaces of its own,
# where those show only its own processes and sockets (pcscd is reached by its
# path, which namespaces do not hide).
#   e2e_socket_agreement.sh PCSCSPY_TOP PCSCSPY_RUN
set -eu
if [ -z "${PCSCSPY_E2E_OWN_NAMESPACES:-}" ] && [ "$(id -u)" -eq 0 ] &&
   unshare --pid --net --fork --mount-proc true 2>/dev/null; then
  PCSCSPY_E2E_OWN_NAMESPACES=1 exec unshare --pid --net --fork --mount-proc "$0" "$@"
fi
top="$1"
run="$2"
reader="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
dir=$(mktemp -d /tmp/pcscspy-sockets-XXXXXX)
monitor=""
stop_monitor() {
  [ -z "$monitor" ] && return 0
  kill "$monitor" 2>/dev/null || true
  wait "$monitor" 2>/dev/null || true
  monitor=""
}
trap 'stop_monitor; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.out "$dir"/*.err; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }
# wait_for FILE TEXT: until FILE contains TEXT (10 s).
wait_for() {
  i=0
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "never saw \"$2\" in $1"
    sleep 0.1
  done
}
unset PCSCSPY_SOCKET XDG_RUNTIME_DIR SUDO_UID

# 1. PCSCSPY_SOCKET for both.
export PCSCSPY_SOCKET="$dir/env/socket"
"$top" --text --no-color --no-attach > "$dir/1.out" 2> "$dir/1.err" &
monitor=$!
wait_for "$dir/1.err" "listening on $PCSCSPY_SOCKET; trace a program with: pcscspy-run --socket $PCSCSPY_SOCKET -- CMD"
"$run" -- opensc-tool -r "$reader" -s 0084000008 > "$dir/1run.out" 2> "$dir/1run.err" || fail "opensc-tool failed"
[ ! -s "$dir/1run.err" ] || fail "pcscspy-run spoke although a monitor listens: $(cat "$dir/1run.err")"
wait_for "$dir/1.out" "APDU: GET CHALLENGE"
stop_monitor
unset PCSCSPY_SOCKET

# 2. Nobody listens.
status=0
"$run" --socket "$dir/none/socket" -- sh -c 'echo "command output" >&2; exit 5' 2> "$dir/2.err" || status=$?
[ "$status" -eq 5 ] || fail "the command's exit status was lost ($status)"
printf '%s\n%s\n' \
  "pcscspy-run: no monitor listens on $dir/none/socket yet; sh runs, and is traced once pcscspy-top listens there" \
  "command output" > "$dir/2.expected"
cmp -s "$dir/2.err" "$dir/2.expected" || fail "no-monitor note: $(cat "$dir/2.err")"
"$run" --quiet --socket "$dir/none/socket" -- true 2> "$dir/2q.err"
[ ! -s "$dir/2q.err" ] || fail "--quiet still spoke: $(cat "$dir/2q.err")"

# 3. Same user, the monitor started without XDG_RUNTIME_DIR, the program with one.
mkdir -m 700 "$dir/xdg-monitor" "$dir/xdg-program"
XDG_RUNTIME_DIR="$dir/xdg-monitor" "$top" --text --no-color --no-attach > "$dir/3.out" 2> "$dir/3.err" &
monitor=$!
wait_for "$dir/3.err" "listening on $dir/xdg-monitor/pcscspy/socket; trace a program with: pcscspy-run -- CMD"
XDG_RUNTIME_DIR="$dir/xdg-program" "$run" -- opensc-tool -r "$reader" -s 0084000008 > /dev/null 2> "$dir/3run.err"
grep -qF "no monitor listens on $dir/xdg-program/pcscspy/socket yet" "$dir/3run.err" || fail "case 3: no note"
hint="pcscspy-top (pid $monitor) listens on $dir/xdg-monitor/pcscspy/socket: pcscspy-run --socket $dir/xdg-monitor/pcscspy/socket -- opensc-tool"
grep -qF "$hint" "$dir/3run.err" || fail "case 3: the monitor's socket is not named: $(cat "$dir/3run.err")"
if grep -q "APDU:" "$dir/3.out"; then fail "case 3: the program reached a monitor on another socket"; fi
# The suggested line works.
XDG_RUNTIME_DIR="$dir/xdg-program" "$run" --socket "$dir/xdg-monitor/pcscspy/socket" -- \
  opensc-tool -r "$reader" -s 0084000008 > /dev/null 2> "$dir/3b.err"
[ ! -s "$dir/3b.err" ] || fail "case 3: the suggested line still gets a note: $(cat "$dir/3b.err")"
wait_for "$dir/3.out" "APDU: GET CHALLENGE"
stop_monitor

# 4. sudo pcscspy-top (root, SUDO_UID) and a user's pcscspy-run.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
  echo "ok (cases 1-3; case 4 needs root and setpriv)"
  exit 0
fi
user=4321
mkdir -m 700 "$dir/xdg-root" "$dir/xdg-user"
chown "$user" "$dir/xdg-user"
chmod 755 "$dir"
SUDO_UID=$user XDG_RUNTIME_DIR="$dir/xdg-root" "$top" --text --no-color --no-attach > "$dir/4.out" 2> "$dir/4.err" &
monitor=$!
wait_for "$dir/4.err" "trace a program with: sudo pcscspy-run -- CMD"
grep -qF "running as root (sudo): programs that uid $user traces with its own pcscspy-run send to a socket of its own" \
  "$dir/4.err" || fail "case 4: the monitor does not say that the user's programs do not reach it"
setpriv --reuid "$user" --regid "$user" --clear-groups env XDG_RUNTIME_DIR="$dir/xdg-user" \
  "$run" -- true 2> "$dir/4run.err" || fail "case 4: the command failed: $(cat "$dir/4run.err")"
grep -qF "no monitor listens on $dir/xdg-user/pcscspy/socket yet" "$dir/4run.err" || fail "case 4: no note"
grep -qF "pcscspy-top (pid $monitor) runs as root, but programs of uid $user only send to a monitor of their own uid: run pcscspy-top as uid $user (without sudo)" \
  "$dir/4run.err" || fail "case 4: the root monitor is not named: $(cat "$dir/4run.err")"
stop_monitor
echo "ok: PCSCSPY_SOCKET on both sides, no monitor, another XDG_RUNTIME_DIR, sudo against a user"
