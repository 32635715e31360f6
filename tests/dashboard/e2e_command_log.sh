#!/bin/sh
# The dashboard's log of a command launched with -- (command.log next to the
# socket): removed at the end when the command wrote nothing; kept, and named on
# stderr, when it wrote something. pcscspy-top runs in a detached tmux of its own.
#   e2e_command_log.sh PCSCSPY_TOP
set -eu
top="$1"
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
dir=$(mktemp -d)
chmod 700 "$dir"
tmux="tmux -L pcscspy-cmdlog-$$ -f /dev/null"
trap '$tmux kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }
wait_until() {  # what, test...
  what=$1; shift
  i=0
  until "$@"; do i=$((i + 1)); [ $i -lt 200 ] || fail "timed out waiting for $what"; sleep 0.1; done
}

echo 'exit 0' > "$dir/quiet.sh"
echo 'echo hello-from-the-command' > "$dir/chatty.sh"

# run_case NAME: the dashboard with `-- /bin/sh NAME.sh`, quit with q once the
# command has done its part; sets $log.
run_case() {
  name=$1
  log="$dir/$name/command.log"
  $tmux new-session -d -s "$name" -x 120 -y 30 \
    "TERM=xterm-256color LANG=C.UTF-8 '$top' --no-attach --socket '$dir/$name/socket' -- /bin/sh '$dir/$name.sh' 2> '$dir/$name.err'; echo \$? > '$dir/$name.exit'; sleep 600"
  wait_until "the command log of $name" test -e "$log"
  if [ "$name" = chatty ]; then wait_until "the command's output" grep -q hello-from-the-command "$log"; fi
  $tmux send-keys -t "$name" q
  wait_until "pcscspy-top to quit ($name)" test -s "$dir/$name.exit"
  [ "$(cat "$dir/$name.exit")" = 0 ] || fail "$name: pcscspy-top exited with $(cat "$dir/$name.exit")"
}

run_case quiet
[ ! -e "$log" ] || fail "the empty command log was left behind: $log"
if grep -q "output of" "$dir/quiet.err"; then fail "a log is named although none was kept"; fi

run_case chatty
[ -e "$log" ] || fail "the command's log was removed although it holds its output"
grep -qx hello-from-the-command "$log" || fail "the log does not hold the command's output"
grep -qxF "pcscspy-top: the output of /bin/sh $dir/chatty.sh is in $log" "$dir/chatty.err" ||
  fail "stderr does not name the kept log"
echo "ok: an empty command log is removed, a log with output is kept and named"
