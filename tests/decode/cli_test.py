#!/usr/bin/python3
"""CLI tests of pcscspy-decode: runs the built binary and asserts on its real
output, exit status and standard error.

Usage: cli_test.py PCSCSPY_DECODE CASE   (CASE: one of the functions below)
"""
import json
import os
import subprocess
import sys
import tempfile

DECODER = None


def run(*args, stdin=None):
    p = subprocess.run([DECODER, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what, out=""):
    if not cond:
        raise AssertionError(what + ("\n--- output ---\n" + out if out else ""))


def expect_in(needle, text):
    expect(needle in text, f"{needle!r} not found", text)


def expect_json(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise AssertionError(f"not JSON ({e})\n{text}")


def one_line_error(rc, out, err):
    expect(rc == 2, f"exit status {rc}, expected 2", out + err)
    expect(out == "", "nothing on stdout", out)
    expect(err.endswith("\n") and err.count("\n") == 1, "exactly one line on stderr", err)


# --- the acceptance examples -------------------------------------------------

def acceptance_atr():
    rc, out, _ = run("atr", "3B9513810180", "73FF01000B")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("Protocols: T=1", out)
    expect_in("Historical bytes (5): 80 73 FF 01 00", out)
    expect_in("TCK = 0B  valid checksum", out)


def acceptance_apdu():
    rc, out, _ = run("apdu", "00A4040007A0000003080000")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("SELECT", out)
    expect_in("by DF name A0000003080000 (PIV)", out)
    expect_in("Application PIV", out)


def acceptance_sw():
    rc, out, _ = run("sw", "63C2")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("SW 63C2", out)
    expect_in("warning: Verification failed, 2 retries left", out)


# --- each sub-command --------------------------------------------------------

def atr():
    # Spaces and colons, several arguments, lower case.
    rc, out, _ = run("atr", "3b:95:13:81", "01 80 73 FF 01 00 0B")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("ATR: 3B 95 13 81 01 80 73 FF 01 00 0B", out)
    expect_in("TA1 = 13  Fi = 372, Di = 4", out)
    # Card names come from the list given (the default one when installed).
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("# test list\n3B 95 13 81 01 80 73 FF 01 .. ..\n\tThe test bed's emulated card\n")
    try:
        rc, out, _ = run("atr", "--card-list", f.name, "3B951381018073FF01000B")
        expect_in("Card (from the card list):\n  The test bed's emulated card", out)
        rc, out, _ = run("atr", "--card-list", f.name, "3B021450")
        expect_in("Card: not in the card list", out)
    finally:
        os.unlink(f.name)
    # A wrong TCK is flagged (exit 1) and the list still searched: as given, then
    # with the TCK corrected (ISO 7816-3 §8.2.5).
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("3B 95 13 81 01 80 73 FF 01 00 0B\n\tRight TCK\n\n3B 95 13 81 01 80 73 FF 01 01 00\n\tWrong TCK as sent\n")
    try:
        rc, out, _ = run("atr", "--card-list", f.name, "3B951381018073FF01000C")
        expect(rc == 1, f"exit status {rc}", out)
        expect_in("Error: invalid TCK 0C, expected 0B", out)
        expect_in("Card (from the card list, with the TCK corrected to 0B):\n  Right TCK", out)
        rc, out, _ = run("atr", "--card-list", f.name, "3B951381018073FF010100")
        expect_in("Card (from the card list):\n  Wrong TCK as sent", out)
        j = expect_json(run("atr", "--json", "--card-list", f.name, "3B951381018073FF01000C")[1])
        expect(j["cards"] == ["Right TCK"] and j["cards_tck_corrected"] == "0B", "TCK corrected", json.dumps(j))
    finally:
        os.unlink(f.name)
    if os.path.exists("/usr/share/pcsc/smartcard_list.txt"):
        rc, out, _ = run("atr", "3B951381018073FF01000B")
        expect_in("vsmartcard - iso7816 (Other)", out)
    # A missing --card-list file is an error; the default one missing is not.
    rc, out, err = run("atr", "--card-list", "/nonexistent/list.txt", "3B00")
    one_line_error(rc, out, err)
    # A malformed ATR is decoded as far as it goes: exit status 1.
    rc, out, _ = run("atr", "3B F0 11")
    expect(rc == 1, f"exit status {rc}", out)
    expect_in("Error: the ATR ends at offset 3: TB1 is missing (announced by T0 = F0)", out)
    rc, out, _ = run("atr", "3B951381018073FF01000C")
    expect(rc == 1, f"exit status {rc}", out)
    expect_in("invalid TCK 0C, expected 0B", out)


def apdu():
    rc, out, _ = run("apdu", "00 20 00 81 08 31 32 33 34 FF FF FF FF")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("VERIFY", out)
    expect_in("Case        3 short: Lc = 8", out)
    expect_in("Data        31 32 33 34 FF FF FF FF", out)  # not masked: the user pasted it
    expect_in("Secret", out)
    # Applet context names INS 87 after PIV.
    rc, out, _ = run("apdu", "--applet", "PIV", "00 87 07 9A 04 7C 02 81 00 00")
    expect_in("GENERAL AUTHENTICATE", out)
    expect_in("BER-TLV     7C", out)
    # --applet selects the applet first: INS 47 is then named by the OpenPGP table.
    j = expect_json(run("apdu", "--json", "--applet", "openpgp", "00 47 81 00 02 B6 00 00")[1])
    expect(j["ins_table"] == "OpenPGP" and j["applet"] == "OpenPGP", "OpenPGP context", json.dumps(j))
    j = expect_json(run("apdu", "--json", "00 47 81 00 02 B6 00 00")[1])
    # Plain ISO commands say which table named them (ISO 7816-4 table 4); an INS
    # no table knows has none.
    expect(j["ins_table"] == "ISO 7816" and j["applet"] is None, "no context", json.dumps(j))
    j = expect_json(run("apdu", "--json", "00 B0 00 00 10")[1])
    expect(j["ins_table"] == "ISO 7816" and j["ins_name"] == "READ BINARY", "READ BINARY", json.dumps(j))
    j = expect_json(run("apdu", "--json", "00 77 00 00")[1])
    expect(j["ins_table"] is None and j["ins_name"] == "INS 77", "unknown INS", json.dumps(j))
    rc, out, _ = run("apdu", "00B0000010")
    expect_in("Case        2 short: Le = 10 (Ne = 16)", out)
    # Inconsistent Lc: decoded, reported, exit 1.
    rc, out, _ = run("apdu", "00A40400FF01")
    expect(rc == 1, f"exit status {rc}", out)
    expect_in("Error", out)
    expect_in("Lc=255", out)
    rc, out, err = run("apdu", "--applet", "nosuchapplet", "00A4040000")
    expect(rc == 2, f"exit status {rc}", out + err)


def response():
    rc, out, _ = run("response", "6F1A840E315041592E5359532E4444463031A5088801025F2D02656E9000")
    expect(rc == 0, f"exit status {rc}", out)
    expect_in("BER-TLV     6F File control information (FCI) (26)", out)
    expect_in('"1PAY.SYS.DDF01"', out)
    expect_in("SW 9000     success", out)
    rc, out, _ = run("response", "6A82")
    expect_in("SW 6A82     error", out)
    rc, out, _ = run("response", "90")
    expect(rc == 1, f"exit status {rc}", out)


def sw():
    for hexsw, words in (("9000", "success"), ("6A82", "error"), ("61 10", "success"), ("6C:20", "")):
        rc, out, _ = run("sw", hexsw)
        expect(rc == 0, f"exit status {rc} for {hexsw}", out)
        expect_in(words, out)
    rc, out, err = run("sw", "900000")
    one_line_error(rc, out, err)
    expect_in("2 bytes", err)


def rv():
    for arg in ("0x80100069", "80100069", "-2146434967", "2148532329", "FFFFFFFF80100069", "SCARD_W_REMOVED_CARD"):
        rc, out, _ = run("rv", arg)
        expect(rc == 0, f"exit status {rc} for {arg}", out)
        expect_in("0x80100069", out)
        expect_in("SCARD_W_REMOVED_CARD", out)
        expect_in("Card was removed.", out)
    rc, out, _ = run("rv", "0")
    expect_in("SCARD_S_SUCCESS", out)
    rc, out, _ = run("rv", "8010001F")
    expect_in("SCARD_E_UNSUPPORTED_FEATURE", out)
    expect_in("Also        SCARD_E_UNEXPECTED", out)
    rc, out, _ = run("rv", "0x1234")
    expect(rc == 1, f"unknown code: exit status {rc}", out)
    expect_in("unknown return code", out)
    for bad in ("zz", "0x1FFFFFFFF"):
        rc, out, err = run("rv", bad)
        one_line_error(rc, out, err)


def json_output():
    cases = [
        ("atr", "3B951381018073FF01000B"),
        ("apdu", "00A4040007A0000003080000"),
        ("response", "6F1A840E315041592E5359532E4444463031A5088801025F2D02656E9000"),
        ("sw", "63C2"),
        ("rv", "0x8010000A"),
    ]
    for cmd, arg in cases:
        rc, out, _ = run(cmd, arg, "--json")
        expect(rc == 0, f"{cmd}: exit status {rc}", out)
        j = expect_json(out)
        expect(isinstance(j, dict), f"{cmd}: not an object", out)
    j = expect_json(run("atr", "--json", "3B951381018073FF01000B")[1])
    expect(j["protocols"] == [1] and j["historical_bytes"] == "8073FF0100", "atr fields", json.dumps(j))
    expect(j["tck"] == {"present": True, "value": "0B", "valid": True, "required": True}, "tck", json.dumps(j))
    j = expect_json(run("apdu", "--json", "00A4040007A0000003080000")[1])
    expect(j["ins_name"] == "SELECT" and j["application"]["kind"] == "PIV", "apdu fields", json.dumps(j))
    j = expect_json(run("sw", "--json", "63C2")[1])
    expect(j == {"sw": "63C2", "class": "warning", "meaning": "Verification failed, 2 retries left"}, "sw", json.dumps(j))
    j = expect_json(run("rv", "--json", "0x8010000A")[1])
    expect(j["name"] == "SCARD_E_TIMEOUT" and j["rv"] == -2146435062, "rv fields", json.dumps(j))
    # Card names from hostile list text stay valid JSON.
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(b"3B 00\n\tbad \xff bytes \x1b[2J and \"quotes\"\n")
    try:
        rc, out, _ = run("atr", "--json", "--card-list", f.name, "3B00")
        j = expect_json(out)
        expect(j["cards"] == ['bad ? bytes ?[2J and "quotes"'], "sanitised names", out)
    finally:
        os.unlink(f.name)


def stdin_batch():
    text = "3B951381018073FF01000B\n\n# a comment\n3B 02 14 50\nzz\n3BF0\n"
    rc, out, err = run("atr", "--json", "-", stdin=text)
    expect(rc == 2, f"exit status {rc} (a bad line)", out + err)
    lines = [expect_json(line) for line in out.splitlines()]
    expect(len(lines) == 4, f"{len(lines)} objects", out)
    expect(lines[0]["protocols"] == [1], "first ATR", out)
    expect(lines[1]["atr"] == "3B021450", "second ATR", out)
    expect(lines[2] == {"input": "zz", "error": "bad hex: invalid hex character 'z' at position 0"}, "bad line", out)
    expect(lines[3]["ok"] is False, "truncated ATR", out)
    expect(err.count("\n") == 1, "one line on stderr for the bad line", err)
    rc, out, _ = run("sw", "-", stdin="9000\n6A82\n")
    expect(rc == 0 and out.count("SW ") == 2 and "\n\n" in out, "human batch, blank line between", out)
    rc, out, _ = run("atr", "-", "3B00")
    expect(rc == 2, "'-' and inputs together", out)


def stdin_session():
    # A batch of APDUs keeps the applet context from line to line, as a session:
    # after the SELECT of OpenPGP (no response given: taken as successful),
    # VERIFY P2=81 is PW1 for signing (OpenPGP card 3.4 §7.2.2), with no --applet.
    batch = ("00A4040006D27600012401\n"
             "00200081 06 313233343536\n"
             "00A4040007A0000003080000 => 6A82\n"    # answered 6A82: selects nothing
             "00 47 81 00 02 B6 00 00\n")
    rc, out, err = run("apdu", "--json", "-", stdin=batch)
    expect(rc == 0, f"exit status {rc}", out + err)
    lines = [expect_json(line) for line in out.splitlines()]
    expect(len(lines) == 4, f"{len(lines)} objects", out)
    expect(lines[0]["application"]["kind"] == "OpenPGP" and lines[0]["applet"] is None, "SELECT", out)
    expect(lines[1]["applet"] == "OpenPGP" and lines[1]["params"].startswith("PW1 (signature) (81)"), "VERIFY", out)
    # The status word in the terms of the application addressed (SP 800-73-4 part 2 §3.1.1).
    expect(lines[2]["sw"] == "6A82" and lines[2]["sw_meaning"] == "Application or data object not found",
           "failed SELECT", out)
    expect(lines[3]["applet"] == "OpenPGP" and lines[3]["ins_table"] == "OpenPGP", "still OpenPGP", out)
    # The same lines one process each: no context.
    rc, out, _ = run("apdu", "--json", "00200081 06 313233343536")
    j = expect_json(out)
    expect(j["applet"] is None and j["params"].startswith("specific reference 1"), "alone: no context", out)
    # Text: the context is shown.
    rc, out, _ = run("apdu", "-", stdin="00A4040006D27600012401\n00200081 06 313233343536\n")
    expect_in("Applet      OpenPGP (selected D27600012401)", out)
    expect_in("Command     VERIFY: PW1 (signature) (81)", out)


def bad_hex():
    for cmd, args in (("atr", ["3BZZ"]), ("apdu", ["00A4", "0"]), ("response", ["90 0"]), ("sw", ["6G00"]),
                      ("atr", [":"]), ("apdu", ["0x"]), ("apdu", ["00A4040000", "=>", "9Z"])):
        rc, out, err = run(cmd, *args)
        one_line_error(rc, out, err)
        expect(err.startswith("pcscspy-decode: "), "prefixed error", err)


def usage():
    for args in ([], ["frobnicate", "00"], ["atr"], ["atr", "--bogus", "3B00"], ["apdu", "--applet"]):
        rc, out, err = run(*args)
        expect(rc == 2, f"{args}: exit status {rc}", out + err)
        expect_in("usage: pcscspy-decode", err)
        expect(out == "", f"{args}: nothing on stdout", out)
    rc, out, err = run("--help")
    expect(rc == 0 and out.startswith("usage: pcscspy-decode") and err == "", "--help", out + err)
    expect_in("exit status", out)
    rc, out, _ = run("atr", "-h")
    expect(rc == 0 and "usage:" in out, "-h after a command", out)


def main():
    global DECODER
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    DECODER = sys.argv[1]
    case = globals().get(sys.argv[2])
    if not callable(case):
        print(f"unknown case {sys.argv[2]}")
        return 2
    try:
        case()
    except AssertionError as e:
        print(f"FAIL {sys.argv[2]}: {e}")
        return 1
    print(f"ok {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
