#!/bin/sh
# Never lose silently: three processes in tight loops (100 000 calls each,
# while the monitor is stopped, so that the kernel's ring buffer overflows):
# for each, the calls shown plus the calls counted as lost are exactly the
# calls made, in the dump as in the stream.
set -eu
top="$1"
. "$(dirname "$0")/e2e_lib.sh"
n=100000

start_monitor top --attach --summary --dump "$dir/dump.json" --record "$dir/rec.ndjson"
kill -STOP "$monitor"
pids=""
for i in 1 2 3; do
    $python "$here/pcsc_client.py" valid $n > "$dir/client$i.out" 2>&1 &
    pids="$pids $!"
done
started="$started $pids"
for pid in $pids; do wait $pid || { kill -CONT "$monitor"; fail "a client failed"; }; done
kill -CONT "$monitor"
sleep 2  # the monitor reads what the ring buffer holds, then finds the clients gone
stop_monitor

$python - "$dir/dump.json" "$dir/rec.ndjson" $((n + 2)) $pids <<'PY' || fail "the counts"
import json, sys
dump = json.load(open(sys.argv[1]))
events = [json.loads(l) for l in open(sys.argv[2])]
made = int(sys.argv[3])
lost_somewhere = 0
for pid in map(int, sys.argv[4:]):
    p = [x for x in dump["processes"] if x["pid"] == pid]
    assert len(p) == 1, f"pid {pid}: {len(p)} processes in the dump"
    shown, lost = p[0]["stats"]["calls"], p[0]["lost_events"]
    assert shown + lost == made, f"pid {pid}: {shown} shown + {lost} lost != {made} made"
    # The monitor's own count from the probes' seq numbers finds no more than
    # the kernel counted (the calls before the first one shown are not its to count).
    assert p[0]["missing_calls"] <= lost and p[0]["lost"] == lost, p[0]
    calls = sum(1 for e in events if e["pid"] == pid and e["type"] == "call")
    said = sum(e["count"] for e in events if e["pid"] == pid and e["type"] == "lost")
    bye = [e for e in events if e["pid"] == pid and e["type"] == "bye"]
    assert len(bye) == 1 and bye[0]["calls"] == made, bye
    assert calls + max(said, bye[0]["lost"]) == made, (calls, said, bye)
    assert p[0]["state"] == "exited", p[0]["state"]
    lost_somewhere += lost
    print(f"pid {pid}: {shown} shown, {lost} lost")
assert lost_somewhere > 0, "nothing overflowed: the test did not test anything"
PY
grep -q "events were lost" "$dir/top.err" || fail "the losses are not reported at the end"
echo ok
