#!/usr/bin/python3
"""A deterministic PC/SC client (pyscard's scard module, one call per line):
the same calls with the same arguments every run, against the test bed's card.

  pcsc_client.py session      a whole session: context, readers, status
                              change, connect, status, attribute, transaction,
                              APDUs with fixed answers, disconnect, release
  pcsc_client.py valid N      SCardIsValidContext N times (no pcscd round trip)

With GO=PATH in the environment it first waits until PATH exists, so that a
test can start a monitor on its pid before it makes any call."""
import os
import sys
import time

from smartcard import scard

READER = os.environ.get("PCSCSPY_TESTBED_READER", "Virtual PCD 00 00")


def wait_for_go():
    go = os.environ.get("GO")
    if not go:
        return
    print("waiting", flush=True)
    deadline = time.time() + 60
    while not os.path.exists(go):
        if time.time() > deadline:
            sys.exit("no go")
        time.sleep(0.01)


def check(rv, what):
    if rv != scard.SCARD_S_SUCCESS:
        sys.exit(f"{what}: {scard.SCardGetErrorMessage(rv)}")


def session():
    rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    check(rv, "establish")
    rv, readers = scard.SCardListReaders(ctx, [])
    check(rv, "list")
    rv, states = scard.SCardGetStatusChange(ctx, 0, [(READER, scard.SCARD_STATE_UNAWARE)])
    check(rv, "status change")
    rv, card, proto = scard.SCardConnect(ctx, READER, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1)
    check(rv, "connect")
    rv, name, state, proto2, atr = scard.SCardStatus(card)
    check(rv, "status")
    scard.SCardGetAttrib(card, scard.SCARD_ATTR_ATR_STRING)
    check(scard.SCardBeginTransaction(card), "begin")
    for apdu in ([0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01],  # absent applet: 6A82
                 [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00],                          # MF: 9000
                 [0x00, 0xB0, 0x00, 0x00, 0x10]):
        rv, resp = scard.SCardTransmit(card, scard.SCARD_PCI_T1, apdu)
        check(rv, "transmit")
        print(bytes(apdu).hex(), bytes(resp).hex(), flush=True)
    check(scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD), "end")
    check(scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD), "disconnect")
    check(scard.SCardReleaseContext(ctx), "release")


def valid(n):
    rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    check(rv, "establish")
    for _ in range(n):
        scard.SCardIsValidContext(ctx)
    check(scard.SCardReleaseContext(ctx), "release")


wait_for_go()
if sys.argv[1] == "session":
    session()
elif sys.argv[1] == "valid":
    valid(int(sys.argv[2]))
else:
    sys.exit(f"unknown scenario {sys.argv[1]}")
