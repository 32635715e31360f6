#!/usr/bin/python3
"""pyscard (which dlopens libpcsclite.so.1) sends SELECT of an absent applet and
GET CHALLENGE to the test bed's card. Prints only what does not change from run
to run: the ATR, status words and answer lengths."""
import os
import sys

from smartcard.System import readers

name = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
reader = next((r for r in readers() if str(r) == name), None)
if reader is None:
    sys.exit(f"no reader '{name}'")
conn = reader.createConnection()
conn.connect()
print("ATR", bytes(conn.getATR()).hex())
for apdu in ([0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x08, 0x00], [0x00, 0x84, 0x00, 0x00, 0x08]):
    data, sw1, sw2 = conn.transmit(apdu)
    print(bytes(apdu).hex(), len(data), f"{sw1:02X}{sw2:02X}")
conn.disconnect()
