#!/bin/sh
# gpg does its card work through gpg-agent's scdaemon. With an agent started
# earlier without the interposer, `pcscspy-run -- gpg --card-status` traces
# nothing of it: pcscspy-run names the agent and says how to stop it, and the
# monitor indeed gets no scdaemon. After `gpgconf --kill gpg-agent`, the same
# line is silent and the monitor sees scdaemon's card calls. On the test bed.
# The monitor runs with --no-attach: the system-wide capture would see the
# untraced scdaemon too (that is its purpose), not what is tested here.
#   e2e_untraced_daemon.sh PCSCSPY_TOP PCSCSPY_RUN
set -eu
top="$1"
run="$2"
for tool in gpg gpgconf gpg-agent; do
  command -v $tool > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
[ -x /usr/lib/gnupg/scdaemon ] || { echo "SKIP: scdaemon is not installed"; exit 77; }
dir=$(mktemp -d /tmp/pcscspy-gpg-XXXXXX)
export GNUPGHOME="$dir/gnupg"
mkdir -m 700 "$GNUPGHOME" "$dir/run"
monitor=""
trap 'gpgconf --kill all 2>/dev/null || true; [ -n "$monitor" ] && kill $monitor 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }
socket="$dir/run/socket"
"$top" --text --no-color --summary --no-attach --socket "$socket" --record "$dir/rec.ndjson" > /dev/null 2> "$dir/monitor.err" &
monitor=$!
i=0
until [ -S "$socket" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no monitor socket"; sleep 0.1; done
# The live gpg-agent of this user (daemons orphaned in a test's PID namespace may
# linger as zombies: those are not running).
live_agent() {
  for p in $(pgrep -u "$(id -u)" -x gpg-agent); do
    [ "$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)" = Z ] || echo "$p"
  done | head -1
}
scdaemon_hellos() { grep -c '"type":"hello".*"exe":"/usr/lib/gnupg/scdaemon"' "$dir/rec.ndjson" || true; }

# An agent and its scdaemon, started untraced.
gpg --card-status > /dev/null 2>&1 || true
agent=$(live_agent)
[ -n "$agent" ] || fail "gpg started no gpg-agent"
"$run" --socket "$socket" -- gpg --card-status > /dev/null 2> "$dir/untraced.err" || true
grep -qF "pcscspy-run: gpg-agent (pid $agent) already runs untraced, and gpg does its card work through it: no card calls will be seen; stop it first with \`gpgconf --kill gpg-agent\`" \
  "$dir/untraced.err" || fail "the untraced agent is not named"
sleep 1
[ "$(scdaemon_hellos)" -eq 0 ] || fail "scdaemon was traced although its agent runs untraced"

# As the note says.
gpgconf --kill gpg-agent
i=0
while [ -n "$(live_agent)" ]; do i=$((i + 1)); [ $i -lt 50 ] || fail "gpg-agent did not stop"; sleep 0.1; done
"$run" --socket "$socket" -- gpg --card-status > /dev/null 2> "$dir/traced.err" || true
if grep -q "already runs untraced" "$dir/traced.err"; then fail "a note although nothing runs untraced"; fi
i=0
until grep -q '"exe":"/usr/lib/gnupg/scdaemon".*' "$dir/rec.ndjson" && grep -q '"fn":"SCardTransmit"' "$dir/rec.ndjson"; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "the traced gpg's scdaemon sent no card calls"
  sleep 0.1
done
echo "ok: the untraced gpg-agent is named; after gpgconf --kill gpg-agent, scdaemon is traced"
