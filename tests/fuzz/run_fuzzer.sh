#!/bin/sh
# run_fuzzer.sh BINARY KEPT_CORPUS WORK_DIR: fuzz for PCSCSPY_FUZZ_SECONDS (60)
# starting from the kept corpus; new inputs go to WORK_DIR (merge them into the
# kept corpus by hand with -merge=1). Fails on any crash, leak or sanitizer report.
set -eu
bin="$1"; kept="$2"; work="$3"
seconds="${PCSCSPY_FUZZ_SECONDS:-60}"
mkdir -p "$work/corpus" "$work/artifacts" "$kept"
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$kept"
