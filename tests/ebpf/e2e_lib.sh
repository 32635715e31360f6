# Shared by the system-wide capture's end-to-end tests (sourced). They run as
# root against the real test bed; a monitor attached sees every process on the
# machine, so each test looks only at its own processes (--pid, or their pids).
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
reader="${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}"
dir=$(mktemp -d /tmp/pcscspy-ebpf-e2e-XXXXXX)
started=""
cleanup() {
    for pid in $started; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for f in "$dir"/*.out "$dir"/*.err; do
        [ -f "$f" ] || continue
        echo "--- $(basename "$f")"
        tail -30 "$f"
    done
    exit 1
}

# wait_for FILE TEXT [SECONDS]: until FILE contains TEXT.
wait_for() {
    i=0
    limit=$(( ${3:-20} * 10 ))
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt $limit ] || return 1
        sleep 0.1
    done
}

# start_monitor NAME ARGS...: pcscspy-top --text in the background, its pid in
# $monitor, output in $dir/NAME.out and .err; returns once it watches every
# program. When the kernel or the privileges refuse the probes, the test is
# skipped (exit 77) with the monitor's reason; finding no libpcsclite is a
# failure (the test bed has one).
start_monitor() {
    name="$1"
    shift
    "$top" --text --no-color --socket "$dir/$name.sock" "$@" > "$dir/$name.out" 2> "$dir/$name.err" &
    monitor=$!
    started="$started $monitor"
    i=0
    until grep -q "watching every program" "$dir/$name.err" 2>/dev/null; do
        if ! kill -0 "$monitor" 2>/dev/null; then
            status=0
            wait "$monitor" || status=$?
            if [ "$status" -eq 2 ] && grep -q -- "--attach:" "$dir/$name.err" &&
                ! grep -q "no libpcsclite found" "$dir/$name.err"; then
                echo "SKIPPED: $(cat "$dir/$name.err")"
                exit 77
            fi
            fail "pcscspy-top exited with $status at start"
        fi
        i=$((i + 1))
        [ $i -lt 200 ] || fail "pcscspy-top did not attach within 20 s"
        sleep 0.1
    done
}

# stop_monitor: SIGINT, and its exit status must be 0.
stop_monitor() {
    kill -INT "$monitor"
    status=0
    wait "$monitor" || status=$?
    [ "$status" -eq 0 ] || fail "pcscspy-top exited with $status"
}
