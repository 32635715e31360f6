#!/bin/sh
# The demo: installs what is missing, builds, starts the real PC/SC test bed
# (pcscd, the vsmartcard virtual reader and emulated card) when no card is
# present, and opens the live dashboard on a traced workload (demo/workload.sh:
# a pyscard card session, a reader watcher, opensc-tool from time to time).
# Quitting the dashboard (q) stops the workload and what this script started.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
state="$root/build/demo-testbed"
cleanup() { $SUDO tests/testbed/testbed.sh stop "$state" >/dev/null || true; }
trap cleanup EXIT INT TERM
$SUDO tests/testbed/testbed.sh start "$state"

# The dashboard launches the workload under the interposer, on its own socket,
# and stops it when it quits.
build/monitor/pcscspy-top -- "$root/demo/workload.sh"
