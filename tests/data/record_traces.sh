#!/bin/sh
# Records the traces under tests/data/traces/ that the decoder tests replay: real
# clients (OpenSC's tools, and gpg's scdaemon when installed) run against the
# test bed card under pcscspy-top --record. Run it inside /work/tools/isolated
# (or as root on a machine where no other pcscd runs):
#
#   /work/tools/isolated tests/data/record_traces.sh BUILD_DIR [OUT_DIR]
#
# The card is vsmartcard's ISO 7816 emulator: it answers 6A82 to every SELECT of
# an application it does not have, so each driver goes on probing and the trace
# holds every AID the client tries.
set -eu
build="${1:?usage: record_traces.sh BUILD_DIR [OUT_DIR]}"
here="$(cd "$(dirname "$0")" && pwd)"
out="${2:-$here/traces}"
top="$build/monitor/pcscspy-top"
reader="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
state="$build/traces-testbed"
work=$(mktemp -d /tmp/pcscspy-traces-XXXXXX)
mkdir -p "$out"

"$here/../testbed/testbed.sh" start "$state"
trap '"$here/../testbed/testbed.sh" stop "$state"; rm -rf "$work"' EXIT

# record NAME CMD...: the trace of one command as OUT/NAME.ndjson.
record() {
    name="$1"
    shift
    rm -f "$out/$name.ndjson"
    "$top" --text --no-color --no-attach --socket "$work/socket" --record "$out/$name.ndjson" -- "$@" \
        > "$work/$name.txt" 2>&1 || true
    chmod 644 "$out/$name.ndjson"
    echo "recorded $name: $(grep -c '"fn":"SCardTransmit"' "$out/$name.ndjson" || true) transmits"
}

record opensc_tool_name opensc-tool -r "$reader" -n
record pkcs11_tool_list pkcs11-tool --module /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so -L
record openpgp_tool openpgp-tool -r "$reader"
record piv_tool_name piv-tool -r "$reader" -n
if command -v gpg-connect-agent >/dev/null && [ -x /usr/lib/gnupg/scdaemon ]; then
    export GNUPGHOME="$work/gnupg"
    mkdir -m 700 "$GNUPGHOME"
    echo "disable-ccid" > "$GNUPGHOME/scdaemon.conf"
    record gpg_card_status gpg --card-status
    gpgconf --kill all || true
fi
