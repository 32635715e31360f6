#!/bin/sh
# The test command: installs what is missing, builds, runs every test (unit tests,
# the real PC/SC test bed, bounded fuzzing). Exit status is non-zero if any fails.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Everything, also in a build folder the demo configured without the tests.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DPCSCSPY_BUILD_FUZZERS=ON \
  -DPCSCSPY_BUILD_BENCHMARKS=ON
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
