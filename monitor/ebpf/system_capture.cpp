#include "monitor/ebpf/system_capture.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "monitor/ebpf/library_files.hpp"
#include "monitor/ebpf/process_identity.hpp"

namespace pcscspy::ebpf {

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

int64_t wall_minus_monotonic_ns() {
    timespec real{}, mono{};
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return (static_cast<int64_t>(real.tv_sec) - mono.tv_sec) * 1'000'000'000 + (real.tv_nsec - mono.tv_nsec);
}

// How often the ring buffer is read and the periodic work runs (the probes wake
// the monitor only when the ring fills): often while records come, so that
// calls show within a frame or two; less often when idle, yet often enough that
// a call running for 100 ms has had its begin (EventBuilderOptions::begin_after_ns
// + this).
constexpr int64_t kFastTickNs = 20'000'000;
constexpr int64_t kSlowTickNs = 50'000'000;
// Kernel counts of lost calls, and processes that ended, are looked at this often.
constexpr uint64_t kSweepNs = 250'000'000;

bool process_gone(int64_t pid) { return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

SystemCapture::SystemCapture(SystemCaptureOptions options, LineSink sink) : options_(std::move(options)) {
    EventBuilderOptions eo;
    eo.pids = options_.pids;
    eo.spy_version = options_.spy_version;
    eo.identify = [this](uint32_t pid) { return read_proc_identity(options_.proc, pid, interposer_inodes_); };
    builder_ = std::make_unique<EventBuilder>(std::move(eo), std::move(sink));
}

SystemCapture::~SystemCapture() {
    probes_.reset();  // detaches every probe
    if (timer_fd_ >= 0) close(timer_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

SystemCapture::Result SystemCapture::start(SystemCaptureOptions options, LineSink sink) {
    Result r;
    std::unique_ptr<SystemCapture> c(new SystemCapture(std::move(options), std::move(sink)));
    KernelProbes::Options po;
    po.ring_bytes = c->options_.ring_bytes;
    SystemCapture* self = c.get();
    KernelProbes::Result loaded = KernelProbes::load(po, [self](const void* data, size_t size) {
        ++self->records_;
        self->builder_->on_record(data, size);
        return true;
    });
    if (!loaded.probes) {
        r.error = loaded.error;
        return r;
    }
    c->probes_ = std::move(loaded.probes);
    c->builder_->set_wall_offset(wall_minus_monotonic_ns());
    c->attach_new_libraries();
    if (c->probes_->libraries().empty()) {
        // None found, or every one found refused (the kernel's uprobes).
        r.error = c->warnings_.empty()
                      ? ProbeError{ProbeFailure::NoLibrary, "no libpcsclite found to probe"}
                      : ProbeError{ProbeFailure::NoKernelSupport, "no libpcsclite could be probed: " + c->warnings_.front()};
        return r;
    }
    c->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    c->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (c->epoll_fd_ < 0 || c->timer_fd_ < 0) {
        r.error = ProbeError{ProbeFailure::NoKernelSupport, "cannot create the capture's descriptors"};
        return r;
    }
    for (int fd : {c->probes_->fd(), c->timer_fd_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(c->epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    c->arm_timer(false);
    if (c->options_.pids.empty()) c->announcement_ = std::make_unique<CaptureAnnouncement>();
    const uint64_t now = monotonic_ns();
    c->next_sweep_ns_ = now + kSweepNs;
    c->next_rescan_ns_ = now + static_cast<uint64_t>(c->options_.rescan_ms) * 1'000'000;
    r.capture = std::move(c);
    return r;
}

void SystemCapture::attach_new_libraries() {
    LibraryScan scan = library_files(options_.proc);
    interposer_inodes_.clear();
    for (const LibraryFile& f : scan.forwarders) interposer_inodes_.push_back(f.ino);
    for (const LibraryFile& f : scan.probe) {
        if (probes_->attached(f.dev, f.ino) || refused_.count({f.dev, f.ino})) continue;
        if (auto err = probes_->attach_library(f.path)) {
            refused_.insert({f.dev, f.ino});
            warnings_.push_back(*err);
            continue;
        }
        const ProbeLibrary& l = probes_->libraries().back();
        builder_->set_library(l.index, l.path);
    }
}

void SystemCapture::arm_timer(bool fast) {
    timer_fast_ = fast;
    const int64_t period = fast ? kFastTickNs : kSlowTickNs;
    itimerspec spec{};
    spec.it_interval.tv_sec = period / 1'000'000'000;
    spec.it_interval.tv_nsec = period % 1'000'000'000;
    spec.it_value = spec.it_interval;
    timerfd_settime(timer_fd_, 0, &spec, nullptr);
}

size_t SystemCapture::pump(size_t budget) {
    size_t n = probes_->drain(budget);
    if (n > 0) records_seen_ = true;
    uint64_t expirations = 0;
    if (read(timer_fd_, &expirations, sizeof expirations) == sizeof expirations) periodic(monotonic_ns());
    else if (!timer_fast_ && (records_seen_ || builder_->calls_running() > 0)) arm_timer(true);
    return n;
}

void SystemCapture::drain() {
    while (probes_->drain(4096) > 0) {}
    periodic(monotonic_ns());
}

void SystemCapture::periodic(uint64_t now_ns) {
    builder_->set_wall_offset(wall_minus_monotonic_ns());
    builder_->tick(now_ns);
    if (now_ns >= next_sweep_ns_) {
        next_sweep_ns_ = now_ns + kSweepNs;
        sweep_processes(now_ns);
    }
    if (now_ns >= next_rescan_ns_) {
        next_rescan_ns_ = now_ns + static_cast<uint64_t>(options_.rescan_ms) * 1'000'000;
        attach_new_libraries();
    }
    // Fast while records came since the last tick or calls are running.
    const bool fast = records_seen_ || builder_->calls_running() > 0;
    records_seen_ = false;
    if (fast != timer_fast_) arm_timer(fast);
}

// The kernel's counts of lost calls become `lost` events; a process that ended
// without its exit record reaching us (the ring buffer was full) is ended here.
// Records already sent are read first, so that an exit record is never
// overtaken.
void SystemCapture::sweep_processes(uint64_t now_ns) {
    while (probes_->drain(4096) > 0) {}
    for (const ProbeProcessCounts& c : probes_->process_counts()) {
        if (process_gone(c.pid)) {
            builder_->process_gone(c.pid, c.calls, c.lost, now_ns);
            probes_->forget(c.pid);
        } else {
            builder_->lost_total(c.pid, c.lost, now_ns);
        }
    }
}

void SystemCapture::interposer_hello(int64_t pid) {
    if (pid <= 0 || pid > UINT32_MAX) return;
    probes_->mute(static_cast<uint32_t>(pid));
    builder_->interposed(static_cast<uint32_t>(pid));
}

std::vector<std::string> SystemCapture::take_warnings() { return std::exchange(warnings_, {}); }

SystemCaptureCounters SystemCapture::counters() const {
    SystemCaptureCounters c;
    c.records = records_;
    c.records_dropped = builder_->records_dropped();
    c.unregistered_calls = probes_->unregistered_calls();
    return c;
}

}  // namespace pcscspy::ebpf
