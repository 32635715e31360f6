#!/usr/bin/python3
"""same_calls.py A.ndjson PID_A B.ndjson PID_B: the calls process PID_A made in
recording A and those PID_B made in recording B are the same sequence of
functions, return codes, readers and in/out arguments. What differs from one
run to the next by nature is compared by identity, not value: the handles
pcscd hands out (each becomes its rank of first appearance in its run) and
memory addresses."""
import json
import sys

HANDLE_KEYS = {"hContext", "hCard", "phContext", "phCard", "ctx"}


def is_address(key):
    return key in ("pvMem", "pvReserved1", "pvReserved2") or key.endswith("_alloc")


def normalise(value, handles):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in HANDLE_KEYS and isinstance(v, int):
                out[k] = "handle#%d" % handles.setdefault(v, len(handles) + 1)
            elif is_address(k) and isinstance(v, int):
                out[k] = "address"
            else:
                out[k] = normalise(v, handles)
        return out
    if isinstance(value, list):
        return [normalise(v, handles) for v in value]
    return value


def calls(path, pid):
    handles = {}
    out = []
    for line in open(path):
        e = json.loads(line)
        if e["pid"] != pid or e["type"] != "call":
            continue
        keep = {k: e.get(k) for k in ("fn", "rv", "rv_name", "reader", "ctx", "in", "out", "truncated", "clamped")}
        out.append(normalise(keep, handles))
    return out


a = calls(sys.argv[1], int(sys.argv[2]))
b = calls(sys.argv[3], int(sys.argv[4]))
if not a:
    sys.exit("no calls in the first recording")
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit("call %d differs:\n  %s\n  %s" % (i + 1, json.dumps(x), json.dumps(y)))
if len(a) != len(b):
    sys.exit("%d calls vs %d" % (len(a), len(b)))
print("%d calls alike" % len(a))
