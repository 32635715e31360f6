// Clocks read through the vDSO (no system call).
#pragma once

#include <cstdint>
#include <ctime>

namespace pcscspy::interposer {

inline int64_t clock_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline int64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }
// A few milliseconds coarse, and cheaper: enough for the reconnection timer.
inline int64_t coarse_monotonic_ns() { return clock_ns(CLOCK_MONOTONIC_COARSE); }
inline int64_t wall_us() { return clock_ns(CLOCK_REALTIME) / 1000; }

}  // namespace pcscspy::interposer
