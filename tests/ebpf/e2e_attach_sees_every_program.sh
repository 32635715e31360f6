#!/bin/sh
# sudo pcscspy-top sees every program that talks to a card, with no restart: a
# pyscard program started before the monitor shows its next calls with its pid,
# exe and decoded APDUs; opensc-tool and pkcs11-tool (OpenSC's PKCS#11 module),
# which load libpcsclite with dlopen, and pcsc_scan, linked with it, started
# after it appear too, and are shown as exited when they end.
set -eu
top="$1"
. "$(dirname "$0")/e2e_lib.sh"

$python "$here/pyscard_loop.py" 0.05 > "$dir/loop.out" 2>&1 &
loop=$!
started="$loop"
wait_for "$dir/loop.out" ready || fail "the pyscard loop did not start"

start_monitor top --attach --record "$dir/rec.ndjson"
sleep 1
opensc-tool -r "$reader" -s 00A4040006D27600012401 > "$dir/opensc.out" 2>&1 &
opensc=$!
wait $opensc || fail "opensc-tool failed"
pkcs11-tool --module /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so -L > "$dir/pkcs11.out" 2>&1 &
pkcs11=$!
wait $pkcs11 || fail "pkcs11-tool failed"
pcsc_scan -c > "$dir/pcsc_scan.out" 2>&1 &
scan=$!
wait $scan || fail "pcsc_scan failed"
sleep 0.5
kill $loop
wait $loop 2>/dev/null || true  # ended (its exit seen by the kernel) before the monitor stops
stop_monitor

grep -q "GET CHALLENGE 8-byte challenge → 9000 OK" "$dir/top.out" || fail "no decoded GET CHALLENGE of the running program"
grep -q "SELECT by DF name D27600012401 (OpenPGP card) → 6A82" "$dir/top.out" || fail "no decoded SELECT of opensc-tool"

$python - "$dir/rec.ndjson" "$loop" "$opensc" "$pkcs11" "$scan" <<'PY' || fail "the recording"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
loop, opensc, pkcs11, scan = map(int, sys.argv[2:6])
def of(pid, type_):
    return [e for e in events if e["pid"] == pid and e["type"] == type_]
for pid, exe in ((loop, "python3"), (opensc, "/usr/bin/opensc-tool"), (pkcs11, "/usr/bin/pkcs11-tool"),
                 (scan, "/usr/bin/pcsc_scan")):
    hello = of(pid, "hello")
    assert len(hello) == 1, f"{exe}: {len(hello)} hellos"
    assert hello[0]["via"] == "ebpf", hello[0]
    # Named from /proc/PID/exe while it runs; a short-lived program (pcsc_scan -c)
    # may have ended before the monitor got there (it runs niced, on a busy
    # machine): then its exe is its argv[0] as the probe saw it (pcscspy-top(1), SYSTEM-WIDE CAPTURE).
    assert exe in hello[0]["exe"] or hello[0]["exe"] == exe.rsplit("/", 1)[1], hello[0]
    assert hello[0]["argv"], hello[0]
    calls = of(pid, "call")
    assert calls, f"{exe}: no calls"
    seqs = [c["seq"] for c in calls]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"{exe}: seq {seqs[:20]}"
    assert of(pid, "bye"), f"{exe}: no bye"
# The running program was caught mid-life: its first call seen is not its first.
transmits = [c for c in of(loop, "call") if c["fn"] == "SCardTransmit"]
assert transmits and all(c["in"]["pbSendBuffer"] == "0084000008" for c in transmits)
assert all(len(c["out"]["pbRecvBuffer"]) == 20 and c["out"]["pbRecvBuffer"].endswith("9000") for c in transmits)
assert not any(c["fn"] == "SCardEstablishContext" for c in of(loop, "call"))
# opensc-tool's whole session, from its first call.
fns = [c["fn"] for c in of(opensc, "call")]
assert fns[0] == "SCardEstablishContext" and "SCardConnect" in fns and fns[-1] == "SCardReleaseContext", fns
select = [c for c in of(opensc, "call") if c["fn"] == "SCardTransmit" and c["in"]["pbSendBuffer"] == "00A4040006D27600012401"]
assert select and select[0]["out"]["pbRecvBuffer"] == "6A82", select
assert select[0]["reader"] == "Virtual PCD 00 00", select[0]
assert of(pkcs11, "bye")[0]["calls"] == len(of(pkcs11, "call"))
# pcsc_scan -c: the readers, then the card in the test bed's reader.
fns = [c["fn"] for c in of(scan, "call")]
assert "SCardListReaders" in fns and "SCardGetStatusChange" in fns, fns
states = [s for c in of(scan, "call") if c["fn"] == "SCardGetStatusChange" for s in c["out"].get("rgReaderStates") or []]
assert any(s["szReader"] == "Virtual PCD 00 00" and s["cbAtr"] > 0 for s in states), states[:4]
PY
echo ok
