// Sizes and bounds of the interposer's transport, in one place. What an event
// shows of a call's arguments, and the size of one event, are protocol's
// (capture_limits.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/capture_limits.hpp"

namespace pcscspy::interposer {

// Each connection's shared ring of encoded lines (a power of two, within
// protocol/shared_ring.hpp's bounds): about 70,000 calls, 0.4 s of 32 threads
// calling flat out, for a monitor that the machine's load holds back. Only
// the pages written cost memory (a program making few calls uses a few pages).
inline constexpr size_t kRingBytes = size_t{16} << 20;
// The consumer is woken early when the ring fills past this fraction.
inline constexpr size_t kRingWakeThreshold = kRingBytes / 4;
// A listener that has not answered for the ring this long after the hello gets the
// lines on the socket instead (a monitor claims it as soon as it reads the
// hello; a plain listener such as socat never does).
inline constexpr int64_t kClaimWaitNs = 250'000'000;
// The hello goes on a fresh socket: this bounds the wait for its room.
inline constexpr int64_t kHelloSendNs = 100'000'000;

// Flusher timing (stream mode): polling period while events flow, sleep after
// this much idle time (a producer then wakes it), and the bound of the final
// flush at exit.
inline constexpr int64_t kFlushPeriodNs = 10'000'000;
inline constexpr int64_t kFlusherIdleNs = 200'000'000;
inline constexpr int64_t kExitFlushNs = 5'000'000;
// Reconnection attempts when no monitor is connected: at most one per period.
inline constexpr int64_t kRetryPeriodNs = 1'000'000'000;

// Card handle -> reader name table (fixed, no allocation).
inline constexpr size_t kHandleSlots = 256;
inline constexpr size_t kReaderNameBytes = 128;  // MAX_READERNAME

}  // namespace pcscspy::interposer
