#!/usr/bin/python3
"""Traced workloads on the test bed's card (run under pcscspy-run):
  workload.py session     a card session a help desk cares about: a transaction
                          with SELECT, a wrong PIN, a retry-counter query, the
                          right PIN, GET CHALLENGE
  workload.py steady N    a steady stream: N SCardStatus calls as fast as pcscd
                          answers (with a GET CHALLENGE every 100)"""
import os
import sys

from smartcard import scard

READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")


def check(rv, what):
    if rv != scard.SCARD_S_SUCCESS:
        sys.exit(f"{what}: {scard.SCardGetErrorMessage(rv)}")


def transmit(card, protocol, apdu):
    rv, response = scard.SCardTransmit(card, protocol, apdu)
    check(rv, "SCardTransmit")
    return response


def main():
    rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    check(rv, "SCardEstablishContext")
    rv, card, protocol = scard.SCardConnect(ctx, READER, scard.SCARD_SHARE_SHARED,
                                            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    check(rv, "SCardConnect")
    if sys.argv[1] == "session":
        check(scard.SCardBeginTransaction(card), "SCardBeginTransaction")
        transmit(card, protocol, [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00])            # SELECT MF
        transmit(card, protocol, [0x00, 0x20, 0x00, 0x00, 0x04, 0x39, 0x39, 0x39, 0x39])  # VERIFY, a wrong PIN
        transmit(card, protocol, [0x00, 0x20, 0x00, 0x00])                                # VERIFY, no data: retries?
        transmit(card, protocol, [0x00, 0x20, 0x00, 0x00, 0x04, 0x31, 0x32, 0x33, 0x34])  # VERIFY, another PIN
        transmit(card, protocol, [0x00, 0x84, 0x00, 0x00, 0x08])                          # GET CHALLENGE
        check(scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD), "SCardEndTransaction")
    elif sys.argv[1] == "steady":
        for i in range(int(sys.argv[2])):
            rv, *_ = scard.SCardStatus(card)
            check(rv, "SCardStatus")
            if i % 100 == 0:
                transmit(card, protocol, [0x00, 0x84, 0x00, 0x00, 0x08])
    else:
        sys.exit(__doc__)
    check(scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD), "SCardDisconnect")
    check(scard.SCardReleaseContext(ctx), "SCardReleaseContext")


if __name__ == "__main__":
    main()
