#!/bin/sh
# The kernel half alone: a pyscard program already running before the probes
# are loaded has its next calls seen, with its pid, the APDU it sends and the
# card's answer (8 random bytes and 9000), each call as an entry and a return
# record with the same sequence number.
set -eu
probe_dump="$1"
here="$(cd "$(dirname "$0")" && pwd)"
dir=$(mktemp -d /tmp/pcscspy-ebpf-XXXXXX)
/usr/bin/python3 "$here/pyscard_loop.py" 0.02 > "$dir/loop.out" 2>&1 &
loop=$!
trap 'kill $loop 2>/dev/null; rm -rf "$dir"' EXIT
i=0
until grep -q ready "$dir/loop.out"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "FAIL: the pyscard loop did not start"; cat "$dir/loop.out"; exit 1; }
    sleep 0.1
done
status=0
"$probe_dump" --seconds 20 --pid "$loop" --calls 3 > "$dir/records" 2> "$dir/err" || status=$?
if [ $status -eq 77 ]; then cat "$dir/err"; exit 77; fi
fail() { echo "FAIL: $*"; echo "--- records"; head -20 "$dir/records"; echo "--- stderr"; cat "$dir/err"; exit 1; }
[ $status -eq 0 ] || fail "probe_dump exited with $status"
grep -q "^first pid=$loop .*\[0.comm=python3" "$dir/records" || fail "no first record with the program's comm"
grep -q "^entry pid=$loop .* fn=SCardTransmit .*\[2.bytes=0084000008\]" "$dir/records" || fail "no GET CHALLENGE at entry"
grep -Eq "^return pid=$loop .* fn=SCardTransmit rv=0x0 \[5.bytes=[0-9A-F]{16}9000\] \[6.value=10\]" "$dir/records" \
    || fail "no answer of 8 bytes and 9000 at return"
# Entries and returns pair up by sequence number.
entry=$(sed -n "s/^entry pid=$loop .* seq=\([0-9]*\) fn=SCardTransmit.*/\1/p" "$dir/records" | head -1)
grep -q "^return pid=$loop .* seq=$entry fn=SCardTransmit" "$dir/records" || fail "entry $entry has no return"
echo ok
