#!/bin/sh
# pcscspy-top's performance, side by side with pcsc-lite's pcsc-spy:
#   bench/monitor/run_bench.sh BUILD_DIR [EVENTS]     (default 1000000 events)
# Needs BUILD_DIR/monitor/pcscspy-top and BUILD_DIR/bench/monitor/monitor_bench,
# /usr/bin/time, and pcsc-spy (Debian: pcscd's package ships /usr/bin/pcsc-spy).
set -eu
build="${1:?usage: run_bench.sh BUILD_DIR [EVENTS]}"
events="${2:-1000000}"
top="$build/monitor/pcscspy-top"
bench="$build/bench/monitor/monitor_bench"
work=$(mktemp -d /tmp/pcscspy-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
exec 3>&1  # the figures, whatever the measured command's output is redirected to
timed() {  # label command...: runs it, prints "label: S s, RSS M MiB"
  label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@"
  read -r secs kb < "$work/time"
  echo "$label: $secs s, peak RSS $((kb / 1024)) MiB" >&3
  echo "$secs" > "$work/last"
}

echo "== synthetic session: $events events"
"$bench" generate "$events" "$work/session.ndjson" "$work/session.spylog"
echo "== ingestion (parse + model update, single core, file in memory)"
"$bench" ingest "$work/session.ndjson"
echo "== replay to the statistics table"
timed "pcscspy-top --replay F --text --summary" "$top" --replay "$work/session.ndjson" --text --summary > "$work/summary.txt"
timed "pcscspy-top --replay F --text --summary --dump D (default history kept)" "$top" --replay "$work/session.ndjson" --text --summary --dump "$work/dump.json" > /dev/null
timed "pcscspy-top --replay F --text (every call decoded)" "$top" --replay "$work/session.ndjson" --text --no-color > "$work/full.txt"
ours=$(cat "$work/last")
echo "== pcsc-spy on the same calls (its own log format)"
timed "pcsc-spy -n LOG" pcsc-spy -n "$work/session.spylog" > "$work/spy.txt"
theirs=$(cat "$work/last")
awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "ratio: pcscspy-top decodes the same session %.1f times faster than pcsc-spy\n", a / b }'
echo "== live: 8 concurrent traced-process streams on a real socket"
"$bench" live 8 100000
