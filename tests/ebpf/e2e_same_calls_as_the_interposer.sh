#!/bin/sh
# Differential: the same deterministic pyscard client, run once under
# pcscspy-run (the interposer) and once bare under the attached monitor, gives
# the same calls: functions, return codes, readers, in/out arguments (APDUs,
# responses, reader names, states).
set -eu
top="$1"
. "$(dirname "$0")/e2e_lib.sh"

# Through the interposer (launched by the monitor, no system-wide capture).
"$top" --text --no-color --no-attach --socket "$dir/one.sock" --record "$dir/one.ndjson" \
    -- $python "$here/pcsc_client.py" session > "$dir/one.out" 2> "$dir/one.err" || fail "the traced run failed"
traced=$($python -c 'import json,sys; print([e["pid"] for e in map(json.loads, open(sys.argv[1])) if e["type"] == "hello"][0])' \
    "$dir/one.ndjson") || fail "no hello in the traced run"

# Bare, seen by the probes: it waits for the monitor before its first call.
GO="$dir/go" $python "$here/pcsc_client.py" session > "$dir/client.out" 2>&1 &
client=$!
started="$client"
wait_for "$dir/client.out" waiting || fail "the client did not start"
start_monitor two --attach --pid "$client" --record "$dir/two.ndjson"
touch "$dir/go"
wait $client || fail "the bare client failed"
sleep 0.5
stop_monitor

$python "$here/same_calls.py" "$dir/one.ndjson" "$traced" "$dir/two.ndjson" "$client" || fail "the calls differ"
grep -q '"via":"ebpf"' "$dir/two.ndjson" || fail "the bare run was not seen through the probes"
echo ok
