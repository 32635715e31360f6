#include "monitor/server/event_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace pcscspy {

namespace {
int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
constexpr size_t kReadChunk = 256 * 1024;
// Bursts from many traced processes are absorbed by the kernel while we parse.
constexpr int kReceiveBuffer = 4 * 1024 * 1024;
}  // namespace

struct EventServer::Connection {
    int fd;
    size_t stats;  // index into stats_
    LineAssembler lines;
};

EventServer::EventServer(ListeningSocket socket, Handlers handlers, size_t max_line)
    : socket_(std::move(socket)), handlers_(std::move(handlers)), max_line_(max_line), buffer_(kReadChunk) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = socket_.fd();
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket_.fd(), &ev);
}

EventServer::~EventServer() {
    for (auto& [fd, c] : conns_) close(fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

void EventServer::accept_all() {
    for (;;) {
        int fd = accept4(socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a transient error: epoll tells us again
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
        ConnectionStats s;
        s.id = stats_.size() + 1;
        s.pid = cred.pid;
        s.uid = cred.uid;
        s.connected_us = now_us();
        stats_.push_back(s);
        conns_.emplace(fd, std::make_unique<Connection>(Connection{fd, stats_.size() - 1, LineAssembler(max_line_)}));
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
}

bool EventServer::read_from(Connection& c) {
    ssize_t n = read(c.fd, buffer_.data(), buffer_.size());
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;
    ConnectionStats& s = stats_[c.stats];
    s.bytes += static_cast<uint64_t>(n);
    c.lines.feed(
        std::string_view(buffer_.data(), static_cast<size_t>(n)),
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
    return true;
}

void EventServer::close_connection(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    ConnectionStats& s = stats_[it->second->stats];
    s.closed_us = now_us();
    s.pending_at_close = it->second->lines.pending();
    ++counters_.closed;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(it);
    if (s.pending_at_close) {
        ++counters_.truncated_lines;
        if (handlers_.truncated) handlers_.truncated(s);
    }
    if (handlers_.closed) handlers_.closed(s);
}

size_t EventServer::run_once(int timeout_ms) {
    epoll_event events[64];
    int n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
    uint64_t before = counters_.lines;
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == socket_.fd()) {
            accept_all();
            continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        // Read what is there; a hang-up is handled once the data before it is read.
        bool open = read_from(*it->second);
        if (!open || ((events[i].events & (EPOLLHUP | EPOLLERR)) && !(events[i].events & EPOLLIN)))
            close_connection(fd);
    }
    return static_cast<size_t>(counters_.lines - before);
}

}  // namespace pcscspy
