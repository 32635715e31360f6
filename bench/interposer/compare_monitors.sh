#!/bin/bash
# Which of two (or more) builds of pcscspy-top costs a traced program less on the
# pcscd round trip. The pcscd figures of bench_interposer move by several points
# from run to run on a shared 2-core machine; comparing builds in separate runs
# says little. This alternates them in one run: each round, for each monitor, a
# fresh `MONITOR --text --summary --no-attach` on a socket of its own, one worker
# making CALLS SCardStatus calls untraced (bare), then one making them traced
# through BUILD's interposer to that monitor; it prints the ratio traced / bare of
# every round and each monitor's median.
#   bench/interposer/compare_monitors.sh BUILD_DIR ROUNDS MONITOR...
# MONITOR: a pcscspy-top executable, or a command line ("ENV=1 path --option ...").
# Needs the test bed (tests/testbed/testbed.sh start DIR) or a reader named
# $PCSCSPY_TESTBED_READER.
set -eu
build="${1:?usage: compare_monitors.sh BUILD_DIR ROUNDS MONITOR...}"
rounds="${2:?usage: compare_monitors.sh BUILD_DIR ROUNDS MONITOR...}"
shift 2
[ $# -ge 1 ] || { echo "usage: compare_monitors.sh BUILD_DIR ROUNDS MONITOR..." >&2; exit 2; }
reader="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
calls="${CALLS:-3000}"
warm="${WARM:-2000}"  # untimed calls first (bench_interposer --warm)
worker="$build/bench/interposer/bench_interposer --worker"
interposer="$(cd "$build" && pwd)/interposer/libpcscspy-interposer.so"
work=$(mktemp -d /tmp/pcscspy-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT
run() {  # [ENV...] -- prints the worker's ns per call
  BENCH_RESULT_FD=1 env "$@" $worker "$reader" 1000 1 "$calls" 0 1 "$warm" | awk '$1 == "ok" {print $2}'
}
for round in $(seq "$rounds"); do
  i=0
  for monitor in "$@"; do
    i=$((i + 1))
    mkdir -m 700 "$work/s$i"
    env $monitor --text --summary --no-attach --socket "$work/s$i/socket" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do [ -S "$work/s$i/socket" ] && break; sleep 0.02; done
    bare=$(run)
    traced=$(run LD_PRELOAD="$interposer" PCSCSPY_SOCKET="$work/s$i/socket")
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$work/s$i"
    ratio=$(awk -v t="$traced" -v b="$bare" 'BEGIN {printf "%.3f", t / b}')
    echo "round $round monitor $i: bare $bare ns, traced $traced ns, ratio $ratio"
    echo "$ratio" >> "$work/ratios$i"
  done
done
i=0
for monitor in "$@"; do
  i=$((i + 1))
  sort -n "$work/ratios$i" | awk -v m="$monitor" '{r[NR] = $1} END {
    med = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "monitor %s: median %+.1f %% (%+.1f to %+.1f %%) over %d rounds\n", m, (med - 1) * 100, (r[1] - 1) * 100, (r[NR] - 1) * 100, NR }'
done
