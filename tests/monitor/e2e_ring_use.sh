#!/bin/sh
# On the real test bed, through the real interposer: pcscspy-top asks a traced
# program for the stream of its events by default, and reads its shared ring
# itself with --read-rings; both ways every call arrives, and the program's
# interposer says which way was chosen (PCSCSPY_DEBUG=1).
#   e2e_ring_use.sh PCSCSPY_TOP
set -eu
top="$1"
dir=$(mktemp -d /tmp/pcscspy-e2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
reader="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
fail() { echo "FAIL: $*"; echo "--- stdout"; tail -20 "$dir/out.txt"; echo "--- stderr"; cat "$dir/err.txt"; exit 1; }

# check EXPECTED_DEBUG_LINE [OPTIONS]
check() {
  said="$1"
  shift
  rm -rf "$dir/run" "$dir/dump.json"
  status=0
  "$top" --text --summary --no-attach --socket "$dir/run/socket" --dump "$dir/dump.json" "$@" \
      -- env PCSCSPY_DEBUG=1 opensc-tool -r "$reader" -s 0084000008 -s 0084000008 \
      > "$dir/out.txt" 2> "$dir/err.txt" || status=$?
  [ "$status" -eq 0 ] || fail "pcscspy-top $* exited with $status"
  grep -q "pcscspy\[[0-9]*\]: $said" "$dir/err.txt" || fail "pcscspy-top $*: the interposer did not say \"$said\""
  # (Not the fallback for a listener that does not answer.)
  ! grep -q "did not answer" "$dir/err.txt" || fail "pcscspy-top $*: the monitor did not answer for the ring"
  # opensc-tool's calls, its transmits among them: none lost (the monitor
  # counts any seq missing up to the bye's count), no bad line.
  python3 - "$dir/dump.json" <<'PY' || fail "pcscspy-top $*: the dump lacks calls"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["processes"] if p["exe"].endswith("opensc-tool")]
assert len(p) == 1, p
assert d["stats"]["SCardTransmit"]["calls"] >= 2, d["stats"]
assert d["counters"]["lost"] == 0 and d["counters"]["bad_lines"] == 0, d["counters"]
PY
}

check "streaming to the socket"
check "the monitor reads the ring" --read-rings
echo ok
