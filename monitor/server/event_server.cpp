#include "monitor/server/event_server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>

#include "protocol/event_format.hpp"

namespace pcscspy {

namespace {
int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
constexpr size_t kReadChunk = 256 * 1024;
// Bursts from many traced processes are absorbed by the kernel while we parse.
constexpr int kReceiveBuffer = 4 * 1024 * 1024;
// Rings are read in batches: every period while lines flow (a producer wakes
// us early when its ring passes a quarter full), by a wake-up byte once asleep.
// A ring is put to sleep only by a period that found nothing new: asleep, every
// call of its process would cost a wake-up (a send, and a context switch here).
constexpr long kRingPeriodNs = 10'000'000;
// At most this much of one ring per round, so that one busy process cannot
// starve the others (the round comes back at once while there is more).
constexpr size_t kRingBudget = 1 << 20;
// Descriptors a message may carry that we make room for (all but a first ring
// are refused and closed).
constexpr size_t kMaxDescriptors = 4;
}  // namespace

struct EventServer::Connection {
    int fd;
    ConnectionStats stats;  // kept in closed_ once it closed
    LineAssembler lines;
    std::unique_ptr<SharedRingReader> ring;
    bool hello_done = false;  // the first line (hello) has come through the socket
    bool awake = false;       // read the ring at the next round
    bool ring_bytes_pending = false;  // the last round stopped at its budget
};

EventServer::EventServer(ListeningSocket socket, Handlers handlers, size_t max_line, RingUse ring_use)
    : socket_(std::move(socket)),
      handlers_(std::move(handlers)),
      max_line_(max_line),
      ring_use_(ring_use),
      buffer_(kReadChunk) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = socket_.fd();
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket_.fd(), &ev);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    ev.data.fd = timer_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
    // Room for kMaxConnections and their rings: the soft limit (often 1024)
    // raised to the hard one.
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

EventServer::~EventServer() {
    for (auto& [fd, c] : conns_) close(fd);
    if (timer_fd_ >= 0) close(timer_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (spare_fd_ >= 0) close(spare_fd_);
}

void EventServer::accept_all() {
    for (;;) {
        int fd = accept4(socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
            // Out of descriptors: the peer waiting would make epoll report the
            // socket at once, for ever. Take it with the spare and close it.
            close(spare_fd_);
            fd = accept4(socket_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                close(fd);
                ++counters_.refused_full;
            }
            spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd >= 0) continue;
            return;
        }
        if (fd < 0) return;  // EAGAIN, or a transient error: epoll tells us again
        if (conns_.size() >= kMaxConnections) {
            close(fd);
            ++counters_.refused_full;
            continue;
        }
        ucred cred{};
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
            (cred.uid != geteuid() && cred.uid != 0)) {
            ++counters_.refused;
            close(fd);
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
        ++counters_.accepted;
        auto c = std::make_unique<Connection>();
        ConnectionStats& s = c->stats;
        s.id = counters_.accepted;
        s.pid = cred.pid;
        s.uid = cred.uid;
        s.connected_us = now_us();
        c->fd = fd;
        c->lines = LineAssembler(max_line_);
        conns_.emplace(fd, std::move(c));
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
}

// The first descriptor, sent with the hello, is the process's ring; anything
// else is closed unread.
void EventServer::take_descriptors(Connection& c, msghdr& msg) {
    ConnectionStats& s = c.stats;
    for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        const size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            if (c.ring || c.hello_done || s.ring) {
                close(fd);
                ++counters_.refused_rings;
                if (s.ring_error.empty()) s.ring_error = "more than one ring, or a ring after the hello";
                continue;
            }
            SharedRingReader::Opened o = SharedRingReader::open(fd);
            if (!o.reader) {
                ++counters_.refused_rings;
                s.ring_error = o.error;
                continue;
            }
            ++counters_.rings;
            s.ring = true;
            c.ring = std::move(o.reader);
            if (ring_use_ == RingUse::Read ? c.ring->claim() : c.ring->ask_stream()) {
                s.ring_claimed = c.ring->claimed();
                // Tells the process (its flusher waits for this) how we take its lines.
                (void)!send(c.fd, &ring::kSignalByte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
        }
    }
}

void EventServer::feed(Connection& c, std::string_view data) {
    ConnectionStats& s = c.stats;
    partial_bytes_ -= c.lines.buffered();
    c.lines.feed(
        data,
        [&](std::string_view line) {
            ++s.lines;
            ++counters_.lines;
            if (!handlers_.line(s, line)) {
                ++s.bad_lines;
                ++counters_.bad_lines;
            }
        },
        [&](size_t) {
            ++s.overlong_lines;
            ++counters_.overlong_lines;
            if (handlers_.overlong) handlers_.overlong(s);
        });
    partial_bytes_ += c.lines.buffered();
}

// Whether c, holding half a line, makes all the half lines pass their bound.
bool EventServer::over_partial_budget(const Connection& c) {
    if (partial_bytes_ <= kMaxPartialBytes || c.lines.buffered() == 0) return false;
    ++counters_.closed_for_memory;
    return true;
}

bool EventServer::read_from(Connection& c) {
    iovec iov{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(kMaxDescriptors * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(c.fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (msg.msg_controllen > 0) take_descriptors(c, msg);
    if (n == 0) return false;
    ++counters_.socket_reads;
    ConnectionStats& s = c.stats;
    s.bytes += static_cast<uint64_t>(n);
    std::string_view data(buffer_.data(), static_cast<size_t>(n));
    if (!c.hello_done) {
        size_t nl = data.find('\n');
        feed(c, data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1));
        if (nl == std::string_view::npos) return !over_partial_budget(c);
        c.hello_done = true;
        data.remove_prefix(nl + 1);
        if (c.ring && c.ring->claimed()) c.awake = true;
    }
    if (c.ring && c.ring->claimed()) {
        // After the hello, a process whose ring we read only sends wake-up bytes.
        if (!data.empty()) c.awake = true;
        counters_.wakeups += data.size();
        return true;
    }
    // Streamed lines: the same bytes as the ring's, which must not be read twice.
    if (c.ring) c.ring->advance(data.size());
    feed(c, data);
    return !over_partial_budget(c);
}

bool EventServer::read_ring(Connection& c, size_t budget) {
    ring_bytes_.clear();
    SharedRingReader::Read r = c.ring->read(ring_bytes_, budget);
    if (r == SharedRingReader::Read::Corrupt) {
        ++counters_.corrupt_rings;
        c.stats.ring_error = "the ring's positions are inconsistent";
        c.ring.reset();
        return false;
    }
    if (r == SharedRingReader::Read::Empty) return false;
    c.stats.bytes += ring_bytes_.size();
    feed(c, ring_bytes_);
    return true;
}

void EventServer::drain_rings(bool period_ended) {
    bool any_awake = false;
    for (auto& [fd, c] : conns_) {
        if (!c->awake || !c->ring || !c->ring->claimed() || !c->hello_done) continue;
        if (read_ring(*c, kRingBudget)) {
            // What is there now, at most one ring's worth (a peer writing
            // without end cannot keep us here); more may follow: read again
            // at the next period.
            for (size_t left = c->ring->data_bytes(); left > kRingBudget && c->ring && read_ring(*c, kRingBudget);)
                left -= ring_bytes_.size();
            any_awake = true;
        } else if (c->ring && !period_ended) {
            any_awake = true;  // read again at the end of the period
        } else if (c->ring && !c->ring->prepare_sleep()) {
            any_awake = true;  // lines came while it was about to sleep
        } else {
            c->awake = false;  // a producer's wake-up byte brings it back
        }
    }
    arm_timer(any_awake);
}

void EventServer::arm_timer(bool on) {
    if (on == timer_armed_) return;
    itimerspec t{};
    if (on) t.it_value.tv_nsec = t.it_interval.tv_nsec = kRingPeriodNs;
    timerfd_settime(timer_fd_, 0, &t, nullptr);
    timer_armed_ = on;
}

// A process that ended without its bye (killed, crashed, _exit, or its bye did
// not fit) gets one from its ring's counters: the calls it made and lost,
// declared as the monitor's ("by":"monitor", protocol/event_format.def).
void EventServer::write_missing_bye(Connection& c) {
    ConnectionStats& s = c.stats;
    if (!c.ring || s.bye_seen || s.event_pid <= 0) return;
    const EventHeader h{.pid = s.event_pid, .tid = s.event_pid, .ts_us = now_us()};
    char line[256];  // a bye's numbers and keys take under 200 bytes
    const size_t n =
        write_event_line(line, sizeof line, h, ByeView{.calls = c.ring->calls(), .lost = c.ring->lost(), .by = "monitor"});
    if (n == 0) return;
    ++counters_.byes_written;
    feed(c, std::string_view(line, n));
}

void EventServer::close_connection(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    ConnectionStats& s = c.stats;
    // Everything the process wrote before it ended is still in its ring.
    // (At most one ring's worth: a peer still alive cannot keep us here.)
    if (c.ring && c.hello_done)
        for (size_t left = c.ring->data_bytes(); left > 0 && c.ring && read_ring(c, left);)
            left -= ring_bytes_.size();
    write_missing_bye(c);
    s.closed_us = now_us();
    s.pending_at_close = c.lines.pending();
    partial_bytes_ -= c.lines.buffered();
    ++counters_.closed;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    // The closed connection's figures: the latest kKeptClosedConnections are kept.
    closed_.push_back(std::move(s));
    conns_.erase(it);
    const ConnectionStats& kept = closed_.back();
    if (kept.pending_at_close) {
        ++counters_.truncated_lines;
        if (handlers_.truncated) handlers_.truncated(kept);
    }
    if (handlers_.closed) handlers_.closed(kept);
    if (closed_.size() > kKeptClosedConnections) {
        closed_.pop_front();
        ++counters_.forgotten;
    }
}

std::vector<ConnectionStats> EventServer::connections() const {
    std::vector<ConnectionStats> all(closed_.begin(), closed_.end());
    for (const auto& [fd, c] : conns_) all.push_back(c->stats);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return all;
}

size_t EventServer::drain_all() {
    const uint64_t before = counters_.lines;
    std::vector<int> closed;
    for (auto& [fd, c] : conns_) {
        // One socket buffer's worth at most (the peer may be writing still).
        for (size_t rounds = 0; rounds < 64; ++rounds) {
            const uint64_t got = c->stats.bytes;
            if (!read_from(*c)) {
                closed.push_back(fd);
                break;
            }
            if (c->stats.bytes == got) break;
        }
        if (c->ring && c->ring->claimed() && c->hello_done)
            for (size_t left = c->ring->data_bytes(); left > 0 && c->ring && read_ring(*c, left);)
                left -= ring_bytes_.size();
    }
    for (int fd : closed) close_connection(fd);
    return static_cast<size_t>(counters_.lines - before);
}

size_t EventServer::run_once(int timeout_ms) {
    epoll_event events[64];
    int n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
    uint64_t before = counters_.lines;
    bool period_ended = false;
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == socket_.fd()) {
            accept_all();
            continue;
        }
        if (fd == timer_fd_) {
            uint64_t ticks;
            (void)!read(timer_fd_, &ticks, sizeof ticks);
            period_ended = true;
            continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        // Read what is there; a hang-up is handled once the data before it is read.
        bool open = read_from(*it->second);
        if (!open || ((events[i].events & (EPOLLHUP | EPOLLERR)) && !(events[i].events & EPOLLIN)))
            close_connection(fd);
    }
    drain_rings(period_ended);
    return static_cast<size_t>(counters_.lines - before);
}

}  // namespace pcscspy
