#!/usr/bin/python3
"""The test bed answers like a card: pyscard connects to the emulated card,
reads its ATR and gets a status word back for GET CHALLENGE."""
import os
import sys

from smartcard.System import readers

name = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
reader = next((r for r in readers() if str(r) == name), None)
if reader is None:
    sys.exit(f"no reader '{name}' among {readers()}")
conn = reader.createConnection()
conn.connect()
atr = conn.getATR()
assert len(atr) >= 2 and atr[0] in (0x3B, 0x3F), f"bad ATR {atr}"
data, sw1, sw2 = conn.transmit([0x00, 0x84, 0x00, 0x00, 0x08])
assert (sw1, sw2) == (0x90, 0x00), f"GET CHALLENGE answered {sw1:02X}{sw2:02X}"
assert len(data) == 8, f"GET CHALLENGE returned {len(data)} bytes"
conn.disconnect()
print("ATR", " ".join(f"{b:02X}" for b in atr), "challenge", bytes(data).hex())
