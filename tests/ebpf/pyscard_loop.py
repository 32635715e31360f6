#!/usr/bin/python3
"""A pyscard program that keeps talking to the test bed's card: GET CHALLENGE
every PERIOD seconds (default 0.05) until killed, or COUNT times. Prints
"ready" once connected, so that tests can start watching it."""
import os
import sys
import time

from smartcard.System import readers

period = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
count = int(sys.argv[2]) if len(sys.argv) > 2 else -1
name = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
reader = next((r for r in readers() if str(r) == name), None)
if reader is None:
    sys.exit(f"no reader '{name}'")
conn = reader.createConnection()
conn.connect()
print("ready", flush=True)
while count != 0:
    data, sw1, sw2 = conn.transmit([0x00, 0x84, 0x00, 0x00, 0x08])
    assert (sw1, sw2) == (0x90, 0x00)
    count -= 1
    time.sleep(period)
conn.disconnect()
