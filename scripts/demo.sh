#!/bin/sh
# The demo: installs the Debian packages it needs, builds only what it runs
# (pcscspy-top, pcscspy-run, pcscspy-decode and the interposer: no tests, no
# fuzzers, no benchmarks), starts the real PC/SC test bed (pcscd, the vsmartcard
# virtual reader and emulated card) when no card is present, and opens the live
# dashboard on a traced workload (demo/workload.sh: a pyscard card session, a
# reader watcher, opensc-tool from time to time).
# One line per step; the tools' own output goes to build/demo-logs/.
# Quitting the dashboard (q) stops the workload and what this script started.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
logs="$root/build/demo-logs"
mkdir -p "$logs"
jobs=$(nproc)
started=$(date +%s)

say() { printf 'demo: %s\n' "$*"; }
since() {
  s=$(($(date +%s) - $1))
  if [ $s -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' $s; fi
}
fail() {
  say "$1 failed; the end of $2:"
  tail -n 25 "$2" >&2
  exit 1
}

# 1. Debian packages (apt-get, through sudo when not root).
missing=$(scripts/install-deps.sh --missing demo)
if [ -z "$missing" ]; then
  say "1/5 Debian packages: all present"
else
  step=$(date +%s)
  say "1/5 installing $(echo $missing | wc -w) Debian packages with apt-get (log: build/demo-logs/apt.log)"
  scripts/install-deps.sh demo >"$logs/apt.log" 2>&1 || fail "apt-get" "$logs/apt.log"
  say "    installed in $(since $step)"
fi

# 2. Configure. A first configuration leaves the tests out (they need doctest)
# and optimises with -O1: measured on a fresh Debian 12 root, 342 s of CPU
# against 425 s for Release (-O3) and 545 s for RelWithDebInfo (-O2 -g), and a
# build folder of 21 MB instead of 424 MB. An existing build folder keeps its
# settings.
say "2/5 configuring with cmake (build/)"
if [ -f build/CMakeCache.txt ]; then
  cmake -S . -B build >"$logs/cmake.log" 2>&1 || fail "cmake" "$logs/cmake.log"
else
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" -DBUILD_TESTING=OFF -DPCSCSPY_BUILD_BENCHMARKS=OFF \
    >"$logs/cmake.log" 2>&1 || fail "cmake" "$logs/cmake.log"
fi

# 3. Build the four parts the demo runs, with make's progress on one line.
step=$(date +%s)
say "3/5 building pcscspy-top, pcscspy-run, pcscspy-decode and the interposer ($jobs jobs; log: build/demo-logs/build.log)"
cmake --build build -j"$jobs" --target pcscspy-top pcscspy-run pcscspy-decode pcscspy_interposer \
  >"$logs/build.log" 2>&1 &
build_pid=$!
if [ -t 1 ]; then
  while kill -0 $build_pid 2>/dev/null; do
    percent=$(grep -o '^\[ *[0-9]*%\]' "$logs/build.log" | tail -n 1 | tr -dc '0-9')
    printf '\r      %s%%  %s ' "${percent:-0}" "$(since "$step")"
    sleep 1
  done
  printf '\r%30s\r' ''
fi
wait $build_pid || fail "the build" "$logs/build.log"
parts="build/monitor/pcscspy-top build/run/pcscspy-run build/decode/pcscspy-decode build/interposer/libpcscspy-interposer.so"
# shellcheck disable=SC2086
size=$(du -ch $parts | tail -n 1 | cut -f 1)
say "    built in $(since "$step"): the four parts take ${size}B, the build folder $(du -sh build | cut -f 1)B"

# 4. The test bed (only what is missing; stopped again at the end).
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
state="$root/build/demo-testbed"
cleanup() { $SUDO tests/testbed/testbed.sh stop "$state" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
say "4/5 starting the PC/SC test bed: pcscd, virtual reader, emulated card (log: build/demo-logs/testbed.log)"
$SUDO tests/testbed/testbed.sh start "$state" >"$logs/testbed.log" 2>&1 || fail "the test bed" "$logs/testbed.log"

# 5. The dashboard launches the workload under the interposer, on its own
# socket, and stops it when it quits.
say "5/5 ready after $(since "$started"); opening the dashboard (? keys, q quits and stops the demo)"
build/monitor/pcscspy-top -- "$root/demo/workload.sh"
