// EventBuilder: turns the probes' records into the event stream the interposer
// sends (schema v1): a `hello` when a process is first seen (its identity from
// /proc), a `call` per returned call (written by the protocol's CallEncoder over
// the rebuilt argument memory, with `ctx`, and `reader` from the card handles
// the process connected while watched), `begin` for calls still running after
// a moment, `lost` for calls the kernel side could not send, and `bye` when
// the process ends. Knows nothing of the kernel: records in, lines out.
//
// A process with the interposer loaded is held back for a while: if its
// interposer connects to the monitor, that stream wins and these events are
// dropped (one process, one stream).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "monitor/ebpf/call_image.hpp"
#include "monitor/ebpf/process_identity.hpp"
#include "monitor/ebpf/probe_record.hpp"

namespace pcscspy::ebpf {

struct EventBuilderOptions {
    // Only these pids (empty: all), as `--pid`.
    std::set<int64_t> pids;
    // Who a pid is (normally read_proc_identity on /proc).
    std::function<std::optional<ProcessIdentity>(uint32_t pid)> identify;
    std::string spy_version;
    // A call still running after this long gets its `begin` (the stream's
    // promise is 100 ms; quicker calls need none).
    uint64_t begin_after_ns = 20'000'000;
    // How long a process with the interposer loaded is held back waiting for
    // its own connection.
    uint64_t hold_ns = 2'000'000'000;
};

class EventBuilder {
public:
    // One event, without its '\n'.
    using LineSink = std::function<void(std::string_view line)>;

    EventBuilder(EventBuilderOptions options, LineSink sink);
    ~EventBuilder();

    // Wall clock minus monotonic clock, in ns (records carry monotonic times).
    void set_wall_offset(int64_t ns) { wall_offset_ns_ = ns; }
    // The path of the library file the probes number `index`.
    void set_library(uint32_t index, std::string path);

    // A record as the ring buffer holds it (valid only during the call).
    // Returns false for bytes that are not a record (counted).
    bool on_record(const void* data, size_t size);

    // Periodic work at monotonic time `now_ns`: begins for running calls, the
    // release of held processes whose interposer did not speak.
    void tick(uint64_t now_ns);
    // The kernel counted `lost` calls of `pid` in total so far.
    void lost_total(uint32_t pid, uint64_t lost, uint64_t now_ns);
    // A process that ended without an exit record reaching us.
    void process_gone(uint32_t pid, uint64_t calls, uint64_t lost, uint64_t now_ns);
    // The interposer speaks for `pid`: drop what this source has for it until it
    // exits or execs.
    void interposed(uint32_t pid);

    // Pids with a process in progress here.
    std::vector<uint32_t> processes() const;
    size_t calls_running() const;
    // Records that could not be used: malformed, or a return without its entry.
    uint64_t records_dropped() const { return dropped_; }

private:
    struct Pending {
        std::vector<uint8_t> entry;  // the entry record's bytes
        uint64_t start_ns = 0;
        uint32_t tid = 0;
        bool begin_sent = false;
    };
    struct CardHandle {
        int64_t context = 0;
        std::string reader;
    };
    struct Process {
        bool hello_sent = false;
        bool held = false;
        uint64_t held_since_ns = 0;
        std::vector<std::string> held_lines;
        uint32_t library = 0;
        std::map<uint64_t, Pending> pending;  // by seq
        std::unordered_map<int64_t, CardHandle> cards;
        uint64_t lost_said = 0;
    };

    int64_t wall_us(uint64_t mono_ns) const;
    void emit(Process& p, std::string_view line);
    Process* process_for(uint32_t pid, uint32_t tid, uint64_t time_ns, uint32_t library,
                         const ProcessIdentity* from_kernel);
    void say_hello(Process& p, uint32_t pid, uint32_t tid, uint64_t time_ns, const ProcessIdentity* from_kernel);
    void on_entry(const ProbeRecord& r, const void* data, size_t size);
    void on_return(const ProbeRecord& r);
    void send_begin(Process& p, uint32_t pid, uint64_t seq, Pending& c);
    void send_call(Process& p, const ProbeRecord& entry, const ProbeRecord& ret);
    void follow_handles(Process& p, const CallImage& image, int64_t rv);
    void end_process(uint32_t pid, uint64_t calls, uint64_t lost, uint64_t time_ns, bool exec);
    bool wanted(uint32_t pid) const;

    EventBuilderOptions options_;
    LineSink sink_;
    int64_t wall_offset_ns_ = 0;
    std::vector<std::string> libraries_;
    std::unordered_map<uint32_t, Process> processes_;
    std::set<uint32_t> interposed_;
    CallImage image_;
    ProbeRecord record_, entry_record_;
    std::unique_ptr<char[]> line_;  // one call event
    uint64_t dropped_ = 0;
};

}  // namespace pcscspy::ebpf
