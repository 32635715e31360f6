#include "monitor/ebpf/capture_plan.hpp"

#include "protocol/arg_spec.hpp"

namespace pcscspy::ebpf {

namespace {

struct Reads {
    pcscspy_probe_read at_entry;
    pcscspy_probe_read at_return;
};

// Everything the encoder reads for an argument in "in" is read at entry, what it
// reads in "out" at return (see CallEncoder::in_arg and out_arg).
constexpr Reads reads_of(ArgKind kind) {
    switch (kind) {
        case ArgKind::Dword:
        case ArgKind::Length:
        case ArgKind::Context:
        case ArgKind::Card:
        case ArgKind::Reserved:
        case ArgKind::Memory:
            return {PROBE_READ_NONE, PROBE_READ_NONE};  // the register is the value
        case ArgKind::ContextOut:
        case ArgKind::CardOut:
        case ArgKind::DwordOut:
        case ArgKind::BytesReturned:
            return {PROBE_READ_NONE, PROBE_READ_VALUE};
        case ArgKind::LengthInOut:
            return {PROBE_READ_VALUE, PROBE_READ_VALUE};
        case ArgKind::String:
            return {PROBE_READ_STRING, PROBE_READ_NONE};
        case ArgKind::MultiStringIn:
            return {PROBE_READ_MULTI_STRING, PROBE_READ_NONE};
        case ArgKind::BufferIn:
            return {PROBE_READ_BUFFER, PROBE_READ_NONE};
        case ArgKind::StringOut:
        case ArgKind::MultiStringOut:
        case ArgKind::BufferOut:
            return {PROBE_READ_NONE, PROBE_READ_OUT_BUFFER};
        case ArgKind::BufferOutCap:
            return {PROBE_READ_NONE, PROBE_READ_CAP_BUFFER};
        case ArgKind::IoRequest:
            return {PROBE_READ_IO_REQUEST, PROBE_READ_NONE};
        case ArgKind::IoRequestOut:
            return {PROBE_READ_IO_REQUEST, PROBE_READ_IO_REQUEST};
        case ArgKind::ReaderStates:
            return {PROBE_READ_STATES, PROBE_READ_STATES};
    }
    return {PROBE_READ_NONE, PROBE_READ_NONE};
}

}  // namespace

static_assert(kMaxArgs <= PCSCSPY_PROBE_MAX_ARGS, "the probes read at most PCSCSPY_PROBE_MAX_ARGS arguments");

pcscspy_probe_plan capture_plan(PcscFunction fn) {
    pcscspy_probe_plan plan{};
    std::span<const ArgSpec> args = function_args(fn);
    plan.args = static_cast<__u8>(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
        Reads r = reads_of(args[i].kind);
        plan.at_entry[i] = static_cast<__u8>(r.at_entry);
        plan.at_return[i] = static_cast<__u8>(r.at_return);
        plan.related[i] = args[i].related;
        plan.returned[i] = args[i].returned;
    }
    return plan;
}

}  // namespace pcscspy::ebpf
