// The one implementation of "trace a call", shared by the 18 generated wrappers
// (wrappers.cpp): seq, timing, begin, capture and encoding of "in" before the
// real call, "out" and the result after it, handle bookkeeping, errno kept.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/arg_spec.hpp"
#include "protocol/call_encoder.hpp"

namespace pcscspy::interposer {

struct TraceState {
    bool traced = false;
    bool nested = false;
    uint64_t seq;
    int64_t start_ns;
    int64_t ts_us;
    char* buffer;
    ArgCapture captures[kMaxArgs];
    std::optional<CallEncoder> encoder;
};

// values: the arguments in .def order (integers, or pointers as integers).
void trace_before(PcscFunction fn, const uint64_t* values, TraceState& st);
void trace_after(PcscFunction fn, const uint64_t* values, TraceState& st, long rv);

// Calls seen by this process (every call, traced or not) = the last seq.
uint64_t calls_seen();
void tracer_after_fork_child();

}  // namespace pcscspy::interposer
