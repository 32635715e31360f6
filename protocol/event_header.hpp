// The fields every event of the stream has (schema version 1, see
// man/pcscspy-events.5). On its own, without nlohmann_json, so that the
// interposer's allocation-free encoders share it.
#pragma once

#include <cstdint>

namespace pcscspy {

inline constexpr int kSchemaVersion = 1;

struct EventHeader {
    int v = kSchemaVersion;
    int64_t pid = 0;
    int64_t tid = 0;
    int64_t ts_us = 0;  // wall clock, µs since the epoch (call: when it started)
};

}  // namespace pcscspy
