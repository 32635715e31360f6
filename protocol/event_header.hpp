// The kinds and presences of protocol/event_format.def's fields, and the fields
// every event of the stream has (schema version 1, see man/pcscspy-events.5).
// On its own, without nlohmann_json, so that the allocation-free writers share it.
#pragma once

#include <cstdint>

namespace pcscspy {

inline constexpr int kSchemaVersion = 1;

// See event_format.def's header comment.
enum class FieldKind : uint8_t { Int, Count, String, StringList, Object, Bool };
enum class Presence : uint8_t { Required, Optional, Maybe };

namespace detail {
// Header fields are numbers, the same in every representation.
template <FieldKind K>
struct HeaderValue {
    static_assert(K == FieldKind::Int, "event_format.def: header fields are Int");
    using type = int64_t;
};
}  // namespace detail

struct EventHeader {
    int v = kSchemaVersion;  // the framing member "v"
#define PCSCSPY_FIELD(name, kind, presence, dflt) typename detail::HeaderValue<FieldKind::kind>::type name = dflt;
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
    // ts_us: wall clock, µs since the epoch (call: when it started)
    bool operator==(const EventHeader&) const = default;
};

}  // namespace pcscspy
