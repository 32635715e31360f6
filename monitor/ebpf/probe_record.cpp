#include "monitor/ebpf/probe_record.hpp"

#include <cstring>

namespace pcscspy::ebpf {

uint64_t ProbeItem::value() const {
    uint64_t v = 0;
    if (bytes.size() >= sizeof v) std::memcpy(&v, bytes.data(), sizeof v);
    return v;
}

bool parse_probe_record(const void* data, size_t size, ProbeRecord& out) {
    out.items.clear();
    if (size < sizeof out.header) return false;
    std::memcpy(&out.header, data, sizeof out.header);
    const auto* p = static_cast<const uint8_t*>(data) + sizeof out.header;
    size_t left = size - sizeof out.header;
    if (out.header.data_len > left) return false;
    left = out.header.data_len;
    while (left >= sizeof(pcscspy_probe_item)) {
        pcscspy_probe_item it;
        std::memcpy(&it, p, sizeof it);
        p += sizeof it;
        left -= sizeof it;
        if (it.len > left) return false;
        out.items.push_back(ProbeItem{it.arg, static_cast<pcscspy_probe_item_kind>(it.kind), it.index, {p, it.len}});
        p += it.len;
        left -= it.len;
    }
    return left == 0;
}

}  // namespace pcscspy::ebpf
