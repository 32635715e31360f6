#!/usr/bin/python3
"""The traced workload of the dashboard's end-to-end tests (pyscard, looping):
connect, transaction, SELECT MF, GET CHALLENGE, VERIFY, SELECT of an absent
application (6A82), end of transaction, disconnect, a pause.

It never presents a wrong PIN: the tests stop it at any moment, and wrong
attempts left behind would block the emulated card's PIN for every later test
(vicc has no way to unblock it but a restart).
"""
import os
import sys
import time

from smartcard.scard import (SCardEstablishContext, SCardReleaseContext, SCardConnect, SCardDisconnect,
                             SCardBeginTransaction, SCardEndTransaction, SCardTransmit, SCARD_SCOPE_USER,
                             SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
                             SCARD_S_SUCCESS)

READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")
PAUSE = float(os.environ.get("PCSCSPY_E2E_PAUSE", "0.3"))
APDUS = [
    "00A40000023F00",                # SELECT MF
    "0084000008",                    # GET CHALLENGE
    "002000000431323334",            # VERIFY (the emulated card's PIN, 1234)
    "00A4040009A00000030800001000",  # SELECT PIV: absent on this card
]


def main():
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != SCARD_S_SUCCESS:
        sys.exit(f"SCardEstablishContext failed: {rv:#x}")
    while True:
        rv, card, proto = SCardConnect(ctx, READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
        if rv != SCARD_S_SUCCESS:
            time.sleep(PAUSE)
            continue
        SCardBeginTransaction(card)
        for apdu in APDUS:
            SCardTransmit(card, proto, list(bytes.fromhex(apdu)))
            time.sleep(PAUSE / 4)
        SCardEndTransaction(card, SCARD_LEAVE_CARD)
        SCardDisconnect(card, SCARD_LEAVE_CARD)
        time.sleep(PAUSE)


if __name__ == "__main__":
    main()
