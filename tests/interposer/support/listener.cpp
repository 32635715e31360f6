#include "support/listener.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pcscspy::test {

TempDir::TempDir() {
    char tmpl[] = "/tmp/pcscspy-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

TestListener::TestListener(std::string socket_path, LineCallback callback, EventServer::RingUse ring_use)
    : path_(std::move(socket_path)), callback_(std::move(callback)) {
    ListeningSocket::Result listening = ListeningSocket::open(path_);
    if (!listening.socket) throw std::runtime_error("cannot listen on " + path_ + ": " + listening.error);
    EventServer::Handlers h;
    // Runs on the listener's thread, inside run_once (mutex_ not held).
    // Kept cheap (one copy into the connection's text, no allocation per
    // line), so that the listener keeps up with many busy threads.
    h.line = [this](ConnectionStats& from, std::string_view line) {
        // Every event line starts {"v":1,"type":" (15 bytes), then its type.
        const std::string_view type = line.size() > 15 ? line.substr(15) : std::string_view();
        const bool bye = type.starts_with("bye\"");
        if (bye) from.bye_seen = true;
        if (from.event_pid == 0 && type.starts_with("hello\"")) {
            size_t at = line.find("\"pid\":");
            if (at != std::string_view::npos) from.event_pid = std::atoll(line.data() + at + 6);
        }
        const size_t index = from.id - 1;
        std::lock_guard lock(mutex_);
        ++line_count_;
        bye_count_ += bye;
        if (index >= connections_.size()) connections_.resize(index + 1);
        if (callback_) {
            callback_(index, std::string(line));
        } else {
            // In chunks: one growing string would copy everything so far at
            // each doubling, a pause long enough to overflow the ring.
            std::vector<std::string>& chunks = connections_[index].chunks;
            if (chunks.empty() || chunks.back().size() + line.size() + 1 > chunks.back().capacity()) {
                chunks.emplace_back();
                chunks.back().reserve(std::max<size_t>(4 << 20, line.size() + 1));
            }
            chunks.back().append(line);
            chunks.back().push_back('\n');
        }
        return true;
    };
    server_ = std::make_unique<EventServer>(std::move(*listening.socket), std::move(h), kMaxLineLength, ring_use);
    if (pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    thread_ = std::thread([this] { run(); });
}

TestListener::~TestListener() {
    stop();
    if (thread_.joinable()) thread_.join();
    close(wake_[0]);
    close(wake_[1]);
}

void TestListener::set_reading(bool reading) {
    std::lock_guard lock(mutex_);
    reading_ = reading;
    char c = 'r';
    (void)!write(wake_[1], &c, 1);
}

void TestListener::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    char c = 's';
    (void)!write(wake_[1], &c, 1);
    if (thread_.joinable()) thread_.join();
    server_.reset();  // closes every connection, removes the socket file
}

size_t TestListener::connection_count() {
    std::lock_guard lock(mutex_);
    return connections_.size();
}

size_t TestListener::line_count() {
    std::lock_guard lock(mutex_);
    return line_count_;
}

uint64_t TestListener::socket_reads() {
    std::lock_guard lock(mutex_);
    return socket_reads_;
}

size_t TestListener::bye_count() {
    std::lock_guard lock(mutex_);
    return bye_count_;
}

uint64_t TestListener::wakeups() {
    std::lock_guard lock(mutex_);
    return wakeups_;
}

std::vector<std::vector<std::string>> TestListener::connections() {
    std::lock_guard lock(mutex_);
    std::vector<std::vector<std::string>> out;
    for (const Connection& c : connections_) {
        std::vector<std::string>& lines = out.emplace_back();
        for (const std::string& text : c.chunks)
            for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
                lines.emplace_back(text, at, nl - at);
    }
    return out;
}

std::vector<std::string> TestListener::lines() {
    std::vector<std::string> all;
    for (auto& c : connections()) all.insert(all.end(), c.begin(), c.end());
    return all;
}

bool TestListener::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void TestListener::run() {
    for (;;) {
        bool reading;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            reading = reading_;
        }
        std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}};
        if (reading) fds.push_back({server_->fd(), POLLIN, 0});
        if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) return;
        if (fds[0].revents) {
            char c;
            (void)!read(wake_[0], &c, 1);
        }
        if (!reading) continue;
        // As pcscspy-top does: what is ready now, boundedly.
        for (int round = 0; round < 64 && server_->run_once(0) > 0; ++round) {}
        std::lock_guard lock(mutex_);
        wakeups_ = server_->counters().wakeups;
        socket_reads_ = server_->counters().socket_reads;
        if (connections_.size() < server_->counters().accepted) connections_.resize(server_->counters().accepted);
    }
}

}  // namespace pcscspy::test
