// SystemCapture: the system-wide capture as one source of event lines for the
// monitor. Loads the probes, attaches them to every libpcsclite in use (again
// every few seconds: new files, containers), turns the records into events,
// counts what the kernel could not send, and notices processes that ended.
// One descriptor to watch (fd()); pump() does what is ready.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/ebpf/capture_announcement.hpp"
#include "monitor/ebpf/event_builder.hpp"
#include "monitor/ebpf/kernel_probes.hpp"

namespace pcscspy::ebpf {

struct SystemCaptureOptions {
    std::set<int64_t> pids;  // only these (empty: all)
    std::string spy_version;
    size_t ring_bytes = size_t{16} << 20;
    int64_t rescan_ms = 3000;  // library files looked for again
    std::string proc = "/proc";
};

struct SystemCaptureCounters {
    uint64_t records = 0;
    uint64_t records_dropped = 0;     // malformed, or a return without its entry
    uint64_t unregistered_calls = 0;  // processes the kernel's table had no room for
};

class SystemCapture {
public:
    using LineSink = std::function<void(std::string_view line)>;  // one event, no '\n'

    struct Result {
        std::unique_ptr<SystemCapture> capture;
        std::optional<ProbeError> error;
    };
    // Loads and attaches. Fails when the probes cannot run or no libpcsclite is found.
    static Result start(SystemCaptureOptions options, LineSink sink);
    ~SystemCapture();

    // Readable when pump() has work.
    int fd() const { return epoll_fd_; }
    // Handles waiting records (at most `budget`) and the periodic work when due.
    // Returns the number of records handled.
    size_t pump(size_t budget);
    // Everything the kernel has sent so far (at the end of a session).
    void drain();

    // The interposer's connection speaks for this pid (as the monitor sees it).
    void interposer_hello(int64_t pid);

    const std::vector<ProbeLibrary>& libraries() const { return probes_->libraries(); }
    // Library files that could not be probed, once each (one line each).
    std::vector<std::string> take_warnings();
    SystemCaptureCounters counters() const;

private:
    SystemCapture(SystemCaptureOptions options, LineSink sink);
    void attach_new_libraries();
    void periodic(uint64_t now_ns);
    void sweep_processes(uint64_t now_ns);
    void arm_timer(bool fast);

    SystemCaptureOptions options_;
    std::unique_ptr<EventBuilder> builder_;
    std::unique_ptr<KernelProbes> probes_;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    bool timer_fast_ = false;
    bool records_seen_ = false;  // since the last periodic work
    uint64_t next_sweep_ns_ = 0;
    uint64_t next_rescan_ns_ = 0;
    uint64_t records_ = 0;
    std::set<std::pair<dev_t, ino_t>> refused_;
    std::vector<ino_t> interposer_inodes_;  // forwarders met: the interposer installed system-wide
    std::vector<std::string> warnings_;
    // Held while every program is captured (not with --pid): pcscspy-run reads it.
    std::unique_ptr<CaptureAnnouncement> announcement_;
};

}  // namespace pcscspy::ebpf
