// The events of the system-wide capture other than `call` (written by the
// protocol's CallEncoder): hello, begin, bye and lost, written by protocol's
// event writer as the interposer's are, as one line without its '\n'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "monitor/ebpf/process_identity.hpp"
#include "protocol/event_header.hpp"
#include "protocol/pcsc_functions.hpp"

namespace pcscspy::ebpf {

// `via` is "ebpf"; `backend` the library file the probes saw the process call.
std::string hello_line(const EventHeader& h, const ProcessIdentity& id, std::string_view backend,
                       std::string_view spy);
// `handle` is the call's hContext or hCard (per the function's target).
std::string begin_line(const EventHeader& h, uint64_t seq, PcscFunction fn, int64_t handle);
std::string bye_line(const EventHeader& h, uint64_t calls, uint64_t lost);
std::string lost_line(const EventHeader& h, uint64_t count);
// A call whose event could not be completed (never expected: the encoder keeps
// room): its identity and result, empty in/out, "truncated":["event"].
std::string call_fallback_line(const EventHeader& h, uint64_t seq, PcscFunction fn, int64_t dur_ns, int64_t rv);

}  // namespace pcscspy::ebpf
