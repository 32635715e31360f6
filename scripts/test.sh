#!/bin/sh
# The test command: installs what is missing, builds, runs every test (unit tests,
# the real PC/SC test bed, bounded fuzzing). Exit status is non-zero if any fails.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
