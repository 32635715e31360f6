#!/bin/sh
# End to end on the real test bed: pcscspy-top launches opensc-tool through
# pcscspy-run and the interposer, and its text mode shows the SELECT by name
# with its AID and the meaning of the status word, and the statistics table.
# --no-attach: the statistics are opensc-tool's alone, not every program's.
set -eu
top="$1"
dir=$(mktemp -d /tmp/pcscspy-e2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
status=0
"$top" --text --no-color --no-attach --socket "$dir/run/socket" --record "$dir/rec.ndjson" --dump "$dir/dump.json" \
    -- opensc-tool -r "${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}" -s 00A4040006D27600012401 -s 0084000008 \
    > "$dir/out.txt" 2> "$dir/err.txt" || status=$?
fail() { echo "FAIL: $*"; echo "--- stdout"; tail -40 "$dir/out.txt"; echo "--- stderr"; cat "$dir/err.txt"; exit 1; }
[ "$status" -eq 0 ] || fail "pcscspy-top exited with $status"
grep -q "APDU: SELECT by DF name D27600012401 (OpenPGP card) → 6A82 File or application not found" "$dir/out.txt" \
    || fail "no decoded SELECT by name"
grep -q "APDU: GET CHALLENGE 8-byte challenge → 9000 OK (8 bytes)" "$dir/out.txt" || fail "no GET CHALLENGE"
grep -q "^Results sorted by total execution time" "$dir/out.txt" || fail "no statistics table"
grep -q "^SCardTransmit " "$dir/out.txt" || fail "no SCardTransmit row in the statistics"
grep -q "Received (SW1=0x90, SW2=0x00)" "$dir/err.txt" || fail "the command's own output does not come through on stderr"
# The recording and the dump replay to the same statistics table.
"$top" --replay "$dir/rec.ndjson" --text --summary > "$dir/rec.txt"
"$top" --replay "$dir/dump.json" --text --summary > "$dir/dump.txt"
sed -n '/^Results sorted/,/^$/p' "$dir/out.txt" > "$dir/live.stats"
sed -n '/^Results sorted/,/^$/p' "$dir/rec.txt" > "$dir/rec.stats"
sed -n '/^Results sorted/,/^$/p' "$dir/dump.txt" > "$dir/dump.stats"
diff "$dir/live.stats" "$dir/rec.stats" || fail "replay of the recording differs"
diff "$dir/live.stats" "$dir/dump.stats" || fail "replay of the dump differs"
[ "$(stat -c %a "$dir/rec.ndjson")" = 600 ] || fail "recording is not 0600"
[ "$(stat -c %a "$dir/dump.json")" = 600 ] || fail "dump is not 0600"
echo "ok"
