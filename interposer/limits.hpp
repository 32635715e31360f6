// Sizes and bounds of the interposer, in one place.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcscspy::interposer {

// pcsc-lite's MAX_BUFFER_SIZE_EXTENDED: the longest APDU, control or attribute
// buffer the real library reads or writes. Longer claimed lengths are never read
// (pcsc-lite rejects them without touching the buffer either).
inline constexpr size_t kMaxBufferRead = 4 + 3 + (1 << 16) + 3 + 2;
// C strings passed in (szReader, reader names in reader states, mszGroups) are
// read up to this many bytes.
inline constexpr size_t kMaxStringRead = 4096;
// pcsc-lite's 16 readers plus the \\?PnP?\Notification pseudo reader. A larger
// cReaders is shown as a count only (pcsc-lite refuses it without reading).
inline constexpr size_t kMaxReaderStates = 17;
inline constexpr size_t kAtrSize = 33;  // MAX_ATR_SIZE: rgbAtr's fixed size

// Per-thread buffer for one call event: room for the largest regular event
// (an extended APDU in and out, hex-encoded: 2 x 2 x 65544) and its other fields.
// Larger events are written truncated, never dropped.
inline constexpr size_t kEventBufferBytes = 320 * 1024;
// Per-thread scratch for the masked copy of a redacted APDU.
inline constexpr size_t kScratchBytes = kMaxBufferRead;
// Small events (begin, lost, bye) are built on the stack.
inline constexpr size_t kSmallEventBytes = 512;

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
