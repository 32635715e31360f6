#!/usr/bin/python3
"""Cross-check of pcscspy-decode's ATR parser with pyscard's smartcard.ATR.

Every ATR of pcsc-tools' smartcard_list.txt written without wildcards (no "..",
"[", "*") that pyscard can parse is decoded by both, in one pcscspy-decode
process (`pcscspy-decode atr --json -`). Compared: the offered protocols, the
historical bytes, whether there is a TCK and whether it is valid. Any
disagreement fails the test and is printed.

Usage: atr_vs_pyscard.py PCSCSPY_DECODE [SMARTCARD_LIST]
Exit status 77 (skipped) when the list or pyscard is not installed.
"""
import json
import os
import re
import subprocess
import sys

SKIP = 77


def concrete_atrs(path):
    """The ATR lines of the list that are plain hex bytes."""
    atrs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n").rstrip()
            if not line or line[0] in "#\t ":
                continue
            if re.fullmatch(r"[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*", line):
                atrs.append(line.upper())
    return atrs


def pyscard_view(ATR, atr_hex):
    """pyscard's reading of the ATR, or None when pyscard cannot parse it."""
    data = list(bytes.fromhex(atr_hex))
    try:
        a = ATR(data)
        protocols = sorted(int(p[2:]) for p in a.getSupportedProtocols())
        return {
            "protocols": protocols,
            "historical": bytes(a.getHistoricalBytes()).hex().upper(),
            "tck_present": bool(a.hasChecksum),
            "tck_valid": bool(a.checksumOK) if a.hasChecksum else None,
        }
    except Exception:  # IndexError on missing bytes, SmartcardException on TS
        return None


def our_view(j):
    return {
        "protocols": sorted(j["protocols"]),
        "historical": j["historical_bytes"],
        "tck_present": j["tck"]["present"],
        "tck_valid": j["tck"]["valid"],
    }


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    decoder = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/pcsc/smartcard_list.txt"
    if not os.path.exists(path):
        print(f"SKIP: {path} is not installed (pcsc-tools)")
        return SKIP
    try:
        from smartcard.ATR import ATR
    except ImportError:
        print("SKIP: pyscard (python3-pyscard) is not installed")
        return SKIP

    atrs = concrete_atrs(path)
    theirs = {a: pyscard_view(ATR, a) for a in atrs}
    checked = [a for a in atrs if theirs[a] is not None]
    proc = subprocess.run([decoder, "atr", "--json", "--card-list", "/dev/null", "-"],
                          input="\n".join(checked) + "\n", capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        print(f"pcscspy-decode failed with status {proc.returncode}: {proc.stderr.strip()}")
        return 1
    ours = [json.loads(line) for line in proc.stdout.splitlines()]
    if len(ours) != len(checked):
        print(f"expected {len(checked)} JSON objects, got {len(ours)}")
        return 1

    disagreements = []
    excluded = []
    for atr_hex, j in zip(checked, ours):
        assert j["atr"] == atr_hex.replace(" ", ""), (j["atr"], atr_hex)
        mine, py = our_view(j), theirs[atr_hex]
        if j["extra"]:
            # pyscard only sees a TCK when it is the very last byte: with bytes
            # after the end of the ATR it reports none. Both readings of the
            # protocols and historical bytes are still compared.
            excluded.append(atr_hex)
            mine = dict(mine, tck_present=None, tck_valid=None)
            py = dict(py, tck_present=None, tck_valid=None)
        if mine != py:
            disagreements.append((atr_hex, mine, py))

    print(f"{len(atrs)} wildcard-free ATRs in {path}; {len(checked)} parse for pyscard "
          f"({len(atrs) - len(checked)} do not); {len(excluded)} with trailing bytes "
          f"compared without their TCK")
    for atr_hex in excluded:
        print(f"  trailing bytes: {atr_hex}")
    if disagreements:
        print(f"{len(disagreements)} disagreement(s):")
        for atr_hex, mine, py in disagreements:
            print(f"  {atr_hex}\n    pcscspy: {mine}\n    pyscard: {py}")
        return 1
    print("no disagreement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
