#!/usr/bin/python3
"""--pcap on the real test bed, read back by the real tshark.

pcscspy-top launches opensc-tool (SELECT by name, GET CHALLENGE, a VERIFY with
a PIN) through the interposer with --record and --pcap. Every SCardTransmit of
the recording, taken from the raw events (not from pcscspy-top's decoding),
must come out of tshark as an ISO 7816 command with its INS followed by the
ISO 7816 response with its SW1 SW2, paired by Wireshark's own dissector, on the
interface named after the reader, with the process and call number in the
packet comment; the PIN is masked. Replaying the recording with --pcap gives
the same capture, byte for byte.

    e2e_pcap.py PCSCSPY_TOP
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def fail(message, *files):
    print("FAIL:", message)
    for f in files:
        if os.path.exists(f):
            print("---", f)
            with open(f, errors="replace") as fh:
                print(fh.read()[-4000:])
    sys.exit(1)


def tshark_fields(capture, fields):
    out = subprocess.run(
        ["tshark", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
        + [a for f in fields for a in ("-e", f)],
        capture_output=True, text=True, check=True).stdout
    return [dict(zip(fields, line.split("\t"))) for line in out.splitlines()]


def main():
    top = sys.argv[1]
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (scripts/install-deps.sh installs it)")
        sys.exit(SKIP)
    reader = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
    work = tempfile.mkdtemp(prefix="pcscspy-pcap-")
    try:
        rec, live, replayed = (os.path.join(work, n) for n in ("rec.ndjson", "live.pcapng", "replay.pcapng"))
        out, err = os.path.join(work, "out.txt"), os.path.join(work, "err.txt")
        with open(out, "w") as o, open(err, "w") as e:
            status = subprocess.run(
                [top, "--text", "--no-color", "--no-attach", "--socket", os.path.join(work, "run", "socket"), "--record", rec,
                 "--pcap", live, "--", "opensc-tool", "-r", reader, "-s", "00A4040006D27600012401",
                 "-s", "0084000008", "-s", "0020008106313233343536"],
                stdout=o, stderr=e, timeout=120).returncode
        if status != 0:
            fail(f"pcscspy-top exited with {status}", err)
        if os.stat(live).st_mode & 0o777 != 0o600:
            fail("the capture is not private (0600)")

        # What was exchanged, from the raw events.
        transmits = []
        with open(rec) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("type") == "call" and ev.get("fn") == "SCardTransmit" and ev.get("rv") == 0:
                    transmits.append((ev["pid"], ev["in"]["pbSendBuffer"], ev["out"]["pbRecvBuffer"], ev.get("reader")))
        if len(transmits) < 3:
            fail(f"the recording holds {len(transmits)} successful transmits, expected at least 3", rec)

        packets = tshark_fields(live, ["frame.number", "frame.interface_name", "frame.comment", "_ws.col.Protocol",
                                       "iso7816.apdu.ins", "iso7816.apdu.sw1", "iso7816.apdu.sw2",
                                       "iso7816.resp_to", "iso7816.apdu.body", "frame.p2p_dir"])
        if len(packets) != 2 * len(transmits):
            fail(f"tshark reads {len(packets)} packets for {len(transmits)} exchanges")
        for i, (pid, command, response, rec_reader) in enumerate(transmits):
            cmd, rsp = packets[2 * i], packets[2 * i + 1]
            where = f"exchange {i + 1} ({command} -> {response})"
            if cmd["_ws.col.Protocol"] != "ISO 7816" or rsp["_ws.col.Protocol"] != "ISO 7816":
                fail(f"{where}: not decoded as ISO 7816: {cmd['_ws.col.Protocol']!r}, {rsp['_ws.col.Protocol']!r}")
            if int(cmd["iso7816.apdu.ins"], 16) != int(command[2:4], 16):
                fail(f"{where}: tshark's INS is {cmd['iso7816.apdu.ins']}")
            sw1, sw2 = int(response[-4:-2], 16), int(response[-2:], 16)
            if (int(rsp["iso7816.apdu.sw1"], 16), int(rsp["iso7816.apdu.sw2"], 16)) != (sw1, sw2):
                fail(f"{where}: tshark's SW is {rsp['iso7816.apdu.sw1']} {rsp['iso7816.apdu.sw2']}")
            if rsp["iso7816.resp_to"] != cmd["frame.number"]:
                fail(f"{where}: the response is paired with frame {rsp['iso7816.resp_to']!r}, "
                     f"not its command (frame {cmd['frame.number']})")
            for p in (cmd, rsp):
                if p["frame.interface_name"] != (rec_reader or reader):
                    fail(f"{where}: interface {p['frame.interface_name']!r}, not the reader {rec_reader!r}")
                if not p["frame.comment"].startswith(f"pid {pid} opensc-tool, call #"):
                    fail(f"{where}: comment {p['frame.comment']!r} does not name the process and call")
            if command.startswith("00200081"):
                if cmd["iso7816.apdu.body"] != "2a2a2a2a2a2a":
                    fail(f"{where}: the PIN is not masked in the capture: {cmd['iso7816.apdu.body']!r}")
        with open(live, "rb") as f:
            if bytes.fromhex("313233343536") in f.read():
                fail("the PIN's bytes are in the capture")

        # The same session replayed gives the same capture.
        subprocess.run([top, "--replay", rec, "--text", "--summary", "--pcap", replayed], check=True,
                       stdout=subprocess.DEVNULL, timeout=60)
        with open(live, "rb") as a, open(replayed, "rb") as b:
            if a.read() != b.read():
                fail("--replay --pcap does not give the live capture")
        print(f"ok: {len(transmits)} exchanges decoded by tshark as ISO 7816 commands and responses")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
