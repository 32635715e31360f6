#!/usr/bin/python3
"""Runs vsmartcard's card emulator (/usr/bin/vicc) with one fix.

Debian 12's vicc (vsmartcard 0.8) crashes on any SELECT that asks for FCI or FCP
(P2 00 or 04): its BER-TLV packer ends with b"".join() over a bytes object, a
Python 2 leftover, and the exception kills the emulator, so the card vanishes for
every client. Real middleware (OpenSC's card drivers) sends such SELECTs, so the
test bed replaces that packer with a correct one before starting vicc unchanged.
"""
import runpy
import sys

from virtualsmartcard import TLVutils


def _tag_bytes(tag):
    out = bytearray()
    while True:
        out.insert(0, tag & 0xFF)
        tag >>= 8
        if tag == 0:
            return bytes(out)


def _length_bytes(length):
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def pack(tlv_data, recalculate_length=False):
    """(tag, length, value) triples to BER-TLV bytes; nested lists as values are
    packed recursively; tags 00 and FF are single filler bytes."""
    out = bytearray()
    for item in tlv_data:
        tag, length, value = item[:3]
        if tag in (0x00, 0xFF):
            out.append(tag)
            continue
        if not isinstance(value, (bytes, bytearray)):
            value = pack(value, recalculate_length)
        if recalculate_length:
            length = len(value)
        out += _tag_bytes(tag) + _length_bytes(length) + bytes(value)
    return bytes(out)


TLVutils.pack = pack
sys.argv[0] = "/usr/bin/vicc"
runpy.run_path("/usr/bin/vicc", run_name="__main__")
