// One record from the probes (probe_records.h), taken apart without copying:
// the header and the items, whose bytes point into the record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "monitor/ebpf/probe_records.h"

namespace pcscspy::ebpf {

struct ProbeItem {
    uint8_t arg = 0;
    pcscspy_probe_item_kind kind{};
    uint16_t index = 0;
    std::span<const uint8_t> bytes;

    uint64_t value() const;  // VALUE, ALLOC_POINTER: the 8 bytes (0 if short)
    std::string_view text() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
};

struct ProbeRecord {
    pcscspy_probe_header header{};
    std::vector<ProbeItem> items;  // reused from record to record
    bool incomplete() const { return header.flags & PROBE_FLAG_INCOMPLETE; }
};

// False when the bytes are not a whole record (shorter than its header says).
bool parse_probe_record(const void* data, size_t size, ProbeRecord& out);

}  // namespace pcscspy::ebpf
