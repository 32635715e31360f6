#!/usr/bin/python3
"""Watches the readers like a desktop agent does: SCardGetStatusChange with a
long timeout, so the monitor shows a call in flight for seconds at a time."""
import sys

from smartcard.scard import (SCardEstablishContext, SCardReleaseContext, SCardListReaders,
                             SCardGetStatusChange, SCARD_SCOPE_USER, SCARD_STATE_UNAWARE,
                             SCARD_S_SUCCESS, SCARD_E_TIMEOUT)

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 0
TIMEOUT_MS = 15000


def main():
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != SCARD_S_SUCCESS:
        sys.exit(f"SCardEstablishContext failed: {rv:#x}")
    rv, readers = SCardListReaders(ctx, [])
    states = [(r, SCARD_STATE_UNAWARE) for r in readers]
    n = 0
    try:
        while ROUNDS == 0 or n < ROUNDS:
            n += 1
            rv, new = SCardGetStatusChange(ctx, TIMEOUT_MS, states)
            if rv == SCARD_S_SUCCESS:
                states = [(r, s & ~0x2) for r, s, _atr in new]  # clear CHANGED
            elif rv != SCARD_E_TIMEOUT:
                break
    except KeyboardInterrupt:
        pass
    finally:
        SCardReleaseContext(ctx)


if __name__ == "__main__":
    main()
