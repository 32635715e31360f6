#!/usr/bin/python3
"""Waits, with a bound, for the PC/SC test bed to reach a state.

  probe.py reader NAME TIMEOUT   the reader NAME is known to pcscd
  probe.py card NAME TIMEOUT     a card is present in reader NAME
  probe.py nocard NAME TIMEOUT   no card is present in reader NAME

Exit status 0 when reached, 1 when the bound expired, 2 when pyscard or pcscd
could not be used at all. Uses pyscard, so it exercises the real client stack.
"""
import sys
import time


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("reader", "card", "nocard"):
        print(__doc__, file=sys.stderr)
        return 2
    what, name, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    try:
        from smartcard.scard import (SCardEstablishContext, SCardListReaders,
                                     SCardGetStatusChange, SCardReleaseContext,
                                     SCARD_SCOPE_USER, SCARD_S_SUCCESS,
                                     SCARD_STATE_UNAWARE, SCARD_STATE_PRESENT)
    except ImportError as e:
        print(f"probe: pyscard is missing ({e})", file=sys.stderr)
        return 2

    deadline = time.monotonic() + timeout
    last = "pcscd not reachable"
    while time.monotonic() < deadline:
        hresult, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
        if hresult == SCARD_S_SUCCESS:
            try:
                hresult, readers = SCardListReaders(ctx, [])
                readers = readers if hresult == SCARD_S_SUCCESS else []
                if name not in readers:
                    last = f"reader '{name}' not listed (readers: {readers})"
                elif what == "reader":
                    return 0
                else:
                    hresult, states = SCardGetStatusChange(ctx, 0, [(name, SCARD_STATE_UNAWARE)])
                    present = hresult == SCARD_S_SUCCESS and bool(states[0][1] & SCARD_STATE_PRESENT)
                    if present == (what == "card"):
                        return 0
                    last = f"card {'absent from' if not present else 'still in'} '{name}'"
            finally:
                SCardReleaseContext(ctx)
        time.sleep(0.2)
    print(f"probe: gave up after {timeout:g}s waiting for {what} in '{name}': {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
