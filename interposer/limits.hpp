// Sizes and bounds of the interposer's transport, in one place. What an event
// shows of a call's arguments, and the size of one event, are protocol's
// (capture_limits.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/capture_limits.hpp"

namespace pcscspy::interposer {

// Shared ring of encoded lines waiting for the flusher (a power of two).
inline constexpr size_t kRingBytes = size_t{4} << 20;
// The flusher is woken early when the ring fills past this fraction.
inline constexpr size_t kRingWakeThreshold = kRingBytes / 4;

// Flusher timing: polling period while events flow, sleep after this much idle
// time (a producer then wakes it), and the bound of the final flush at exit.
inline constexpr int64_t kFlushPeriodNs = 10'000'000;
inline constexpr int64_t kFlusherIdleNs = 200'000'000;
inline constexpr int64_t kExitFlushNs = 5'000'000;
// Reconnection attempts when no monitor is connected: at most one per period.
inline constexpr int64_t kRetryPeriodNs = 1'000'000'000;

// Card handle -> reader name table (fixed, no allocation).
inline constexpr size_t kHandleSlots = 256;
inline constexpr size_t kReaderNameBytes = 128;  // MAX_READERNAME

}  // namespace pcscspy::interposer
