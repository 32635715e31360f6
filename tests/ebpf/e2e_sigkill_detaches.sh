#!/bin/sh
# Clean detach: SIGKILL of an attached monitor removes its probes (they are
# held by its descriptors), the traced program carries on unchanged, and a new
# monitor attaches again and sees it.
set -eu
top="$1"
. "$(dirname "$0")/e2e_lib.sh"

$python "$here/pyscard_loop.py" 0.02 > "$dir/loop.out" 2>&1 &
loop=$!
started="$loop"
wait_for "$dir/loop.out" ready || fail "the pyscard loop did not start"

start_monitor first --attach --pid "$loop"
first=$monitor
wait_for "$dir/first.out" "GET CHALLENGE" || fail "the first monitor saw nothing"
# Its BPF programs, by id, as the kernel numbers them.
progs=$(cat /proc/$first/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
[ -n "$progs" ] || fail "no BPF program among the monitor's descriptors"
kill -KILL $first
wait $first 2>/dev/null || true
for id in $progs; do
    if bpftool prog show id "$id" >/dev/null 2>&1; then
        sleep 3  # removing uprobes takes the kernel a moment
        ! bpftool prog show id "$id" >/dev/null 2>&1 || fail "program $id outlived the monitor"
    fi
done
kill -0 $loop || fail "the traced program did not survive"

start_monitor second --attach --pid "$loop"
wait_for "$dir/second.out" "GET CHALLENGE" || fail "the second monitor saw nothing"
kill -0 $loop || fail "the traced program did not survive"
kill $loop
stop_monitor
grep -q "pyscard_loop.py" "$dir/second.out" || fail "no process table"
echo ok
