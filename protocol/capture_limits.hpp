// How much of a call's argument memory an event shows: the bounds every producer
// of events reads within (the interposer in the traced process, or a source that
// captured the same bytes elsewhere), and the size of one encoded event.
#pragma once

#include <cstddef>

namespace pcscspy {

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

// Buffer for one call event: room for the largest regular event (an extended
// APDU in and out, hex-encoded: 2 x 2 x 65544) and its other fields. Larger
// events are written truncated, never dropped.
inline constexpr size_t kEventBufferBytes = 320 * 1024;
// Scratch for the masked copy of a redacted APDU.
inline constexpr size_t kScratchBytes = kMaxBufferRead;
// Small events (begin, lost, bye) fit in this many bytes.
inline constexpr size_t kSmallEventBytes = 512;

}  // namespace pcscspy
