#!/bin/sh
# One process, one stream: a program under pcscspy-run while the monitor is
# attached appears once, through its interposer; the probes' copies of its
# calls are dropped.
set -eu
top="$1"
run="$2"
. "$(dirname "$0")/e2e_lib.sh"

start_monitor top --attach --record "$dir/rec.ndjson"
# While it captures every program it says so to the machine, and pcscspy-run,
# finding no monitor on its own socket, says the command is traced there anyway.
grep -q "@pcscspy-top/system-capture/$monitor\$" /proc/net/unix || fail "the capture is not announced in /proc/net/unix"
"$run" --socket "$dir/none/socket" -- true 2> "$dir/note.err" || fail "pcscspy-run -- true failed"
grep -q "^pcscspy-run: no monitor listens on $dir/none/socket, but pcscspy-top (pid [0-9]*) captures every program on this machine: true is traced there\$" \
    "$dir/note.err" || fail "pcscspy-run's note: $(cat "$dir/note.err")"
"$run" --socket "$dir/top.sock" -- $python "$here/pcsc_client.py" session > "$dir/client.out" 2>&1 &
client=$!
wait $client || fail "the traced client failed"
# A bare run too, for comparison: the probes do see the same client.
$python "$here/pcsc_client.py" session > "$dir/bare.out" 2>&1 &
bare=$!
wait $bare || fail "the bare client failed"
sleep 2.5  # longer than the probes hold a process that has the interposer loaded
stop_monitor
! grep -q "@pcscspy-top/system-capture/$monitor\$" /proc/net/unix || fail "still announced after the monitor ended"

$python - "$dir/rec.ndjson" "$client" "$bare" <<'PY' || fail "the recording"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
client, bare = int(sys.argv[2]), int(sys.argv[3])
def of(pid, t):
    return [e for e in events if e["pid"] == pid and e["type"] == t]
hellos = of(client, "hello")
assert len(hellos) == 1, hellos
assert hellos[0]["via"] != "ebpf", hellos[0]
calls = of(client, "call")
seqs = [c["seq"] for c in calls]
assert len(seqs) == len(set(seqs)), "a call seen twice"
bare_calls = of(bare, "call")
assert of(bare, "hello")[0]["via"] == "ebpf"
assert len(calls) == len(bare_calls), (len(calls), len(bare_calls))
PY
echo ok
