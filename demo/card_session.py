#!/usr/bin/python3
"""A realistic card session for the demo, looping with pauses (pyscard, dlopen).

Each round: connect, transaction, SELECT MF, GET CHALLENGE, VERIFY with a wrong
PIN then the right one (the emulated card's PIN is 1234), SELECT the PIV
application (absent on this card: 6A82), end transaction, disconnect.

SIGTERM (the dashboard quitting) ends the session after the current round, at
full speed: stopping between the wrong and the right PIN would leave the card's
retry counter one lower each time, until the emulated card blocks the PIN.
"""
import os
import signal
import sys
import time

from smartcard.scard import (SCardEstablishContext, SCardReleaseContext, SCardConnect,
                             SCardDisconnect, SCardBeginTransaction, SCardEndTransaction,
                             SCardTransmit, SCARD_SCOPE_USER, SCARD_SHARE_SHARED,
                             SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
                             SCARD_S_SUCCESS)

READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 0  # 0: forever
PAUSE = float(os.environ.get("PCSCSPY_DEMO_PAUSE", "1.5"))

APDUS = [
    "00A40000023F00",            # SELECT MF by file id
    "0084000008",                # GET CHALLENGE
    "002000000430303030",        # VERIFY wrong PIN
    "002000000431323334",        # VERIFY right PIN
    "00A4040009A00000030800001000",  # SELECT PIV
]


stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def pause(seconds):
    if not stopping:
        time.sleep(seconds)


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != SCARD_S_SUCCESS:
        sys.exit(f"SCardEstablishContext failed: {rv:#x}")
    n = 0
    try:
        while (ROUNDS == 0 or n < ROUNDS) and not stopping:
            n += 1
            rv, card, proto = SCardConnect(ctx, READER, SCARD_SHARE_SHARED,
                                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
            if rv != SCARD_S_SUCCESS:
                pause(PAUSE)
                continue
            SCardBeginTransaction(card)
            for apdu in APDUS:
                SCardTransmit(card, proto, list(bytes.fromhex(apdu)))
                pause(PAUSE / 5)
            SCardEndTransaction(card, SCARD_LEAVE_CARD)
            SCardDisconnect(card, SCARD_LEAVE_CARD)
            pause(PAUSE)
    finally:
        SCardReleaseContext(ctx)


if __name__ == "__main__":
    main()
