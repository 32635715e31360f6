#include "monitor/ebpf/small_events.hpp"

#include "protocol/call_encoder.hpp"
#include "protocol/event_format.hpp"

namespace pcscspy::ebpf {

namespace {

// One event as a line, with protocol's writer (the interposer's), into a string
// grown to fit (a hello's argv has no bound); without its '\n'.
template <class View>
std::string line_of(const EventHeader& h, const View& v, size_t guess) {
    for (size_t cap = guess;; cap *= 2) {
        std::string out(cap, '\0');
        if (size_t n = write_event_line(out.data(), out.size(), h, v)) {
            out.resize(n - 1);
            return out;
        }
    }
}

}  // namespace

std::string hello_line(const EventHeader& h, const ProcessIdentity& id, std::string_view backend,
                       std::string_view spy) {
    // The arguments as /proc/PID/cmdline has them: each ends with a NUL.
    std::string argv;
    for (const std::string& a : id.argv) {
        argv += a;
        argv.push_back('\0');
    }
    HelloView v{.ppid = id.ppid,
                .uid = id.uid,
                .exe = id.exe,
                .argv = StringListView{argv.data(), argv.size()},
                .via = "ebpf",
                .backend = backend,
                .spy = spy};
    if (id.argv_truncated) v.argv_truncated = true;
    return line_of(h, v, 256 + 6 * (id.exe.size() + argv.size() + backend.size()));
}

std::string begin_line(const EventHeader& h, uint64_t seq, PcscFunction fn, int64_t handle) {
    BeginView v{.seq = seq, .fn = function_name(fn)};
    FunctionTarget target = function_info(fn).target;
    if (target == FunctionTarget::Context) v.ctx = handle;
    if (target == FunctionTarget::Card) v.card = handle;
    return line_of(h, v, 256);
}

std::string bye_line(const EventHeader& h, uint64_t calls, uint64_t lost) {
    return line_of(h, ByeView{.calls = calls, .lost = lost}, 256);
}

std::string lost_line(const EventHeader& h, uint64_t count) { return line_of(h, LostView{.count = count}, 256); }

std::string call_fallback_line(const EventHeader& h, uint64_t seq, PcscFunction fn, int64_t dur_ns, int64_t rv) {
    static constexpr char kEvent[] = "event";  // a list of one string, NUL-ended
    char rv_name[kReturnCodeNameBytes];
    return line_of(h,
                   CallView{.seq = seq,
                            .fn = function_name(fn),
                            .dur_ns = dur_ns,
                            .rv = rv,
                            .rv_name = return_code_name(rv, rv_name),
                            .truncated = StringListView{kEvent, sizeof kEvent}},
                   512);
}

}  // namespace pcscspy::ebpf
