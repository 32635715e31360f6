// CallImage: the memory a PC/SC call's arguments pointed to, rebuilt in the
// monitor from what the probes captured, so that the protocol's CallEncoder (the
// interposer's own) writes the call event: `values` hold the argument registers
// for plain values and, for pointers, the addresses of local copies; in() reads
// the entry image, out() the return image (load_return overwrites the copies in
// place, as the call overwrote the program's memory). Both producers thus give
// the same event by construction.
//
// What the kernel could not read is shown as zeros of the right length and
// named in the event's "unreadable" list.
#pragma once

#include <PCSC/pcsclite.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/ebpf/probe_record.hpp"
#include "protocol/arg_spec.hpp"
#include "protocol/call_encoder.hpp"

namespace pcscspy::ebpf {

class CallImage {
public:
    // From the call's entry record. Returns false for a record of no known function.
    bool load_entry(const ProbeRecord& entry);
    // The outputs, from its return record.
    void load_return(const ProbeRecord& ret);

    PcscFunction fn() const { return fn_; }
    const uint64_t* values() const { return values_.data(); }
    ArgCapture* captures() { return captures_.data(); }
    // Arguments whose memory the kernel could not read (in, then out).
    const std::vector<std::string_view>& unreadable_in() const { return unreadable_in_; }
    const std::vector<std::string_view>& unreadable_out() const { return unreadable_out_; }
    // The records left items out (never expected: see PCSCSPY_PROBE_ITEMS_START_MAX).
    bool incomplete() const { return incomplete_; }

private:
    struct Slot {
        uint64_t word = 0;            // a pointed-to value; ALLOC: the program's pointer
        std::vector<uint8_t> bytes;   // a buffer, a string (NUL-ended), an SCARD_IO_REQUEST
        std::vector<SCARD_READERSTATE> states;
        std::vector<std::string> names;  // the states' reader names
        std::vector<uint64_t> name_pointers;  // the program's szReader pointers (0: NULL)
    };

    void reset();
    void entry_item(const ArgSpec& a, size_t i, const ProbeItem& item);
    void return_item(const ArgSpec& a, size_t i, const ProbeItem& item);
    void missing_items(uint32_t seen, bool after_call, int64_t rv);
    void prepare_in();
    void prepare_out();
    void note_unreadable(std::vector<std::string_view>& list, std::string_view name);

    PcscFunction fn_{};
    std::array<uint64_t, kMaxArgs> registers_{};
    std::array<uint64_t, kMaxArgs> values_{};
    std::array<ArgCapture, kMaxArgs> captures_{};
    std::array<Slot, kMaxArgs> slots_;
    std::vector<std::string_view> unreadable_in_, unreadable_out_;
    bool incomplete_ = false;
};

}  // namespace pcscspy::ebpf
