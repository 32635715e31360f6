// The small events (begin, lost, bye) and hello, each encoded as one line with
// its '\n' by protocol's event writer (event_format.hpp) from what the process
// knows. Functions return the line's length, 0 if it did not fit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/call_encoder.hpp"
#include "protocol/event_format.hpp"

namespace pcscspy::interposer {

// The handle a begin event names: ctx or card (or neither).
struct BeginHandle {
    FunctionTarget target;
    int64_t value;
};

size_t encode_begin(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn, BeginHandle handle);
size_t encode_lost(char* out, size_t cap, const EventHeader& h, uint64_t count);
size_t encode_bye(char* out, size_t cap, const EventHeader& h, uint64_t calls, uint64_t lost);
// A call event that could not be completed (never expected: the encoder keeps
// room): the call's identity and result, empty in/out, "truncated":["event"].
size_t encode_call_fallback(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn,
                            int64_t dur_ns, int64_t rv);
// exe from /proc/self/exe, argv from /proc/self/cmdline, via and backend from
// backend.hpp, spy: the interposer's version.
size_t encode_hello(char* out, size_t cap, const EventHeader& h);

// The process id, cached (refreshed in a forked child).
int64_t process_id();
void process_id_after_fork();
// The header of an event emitted now by this thread.
EventHeader header_now();

}  // namespace pcscspy::interposer
