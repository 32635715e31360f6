#include "support/listener.hpp"

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

TestListener::TestListener(std::string socket_path, LineCallback callback)
    : path_(std::move(socket_path)), callback_(std::move(callback)) {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    unlink(path_.c_str());
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 128) != 0)
        throw std::runtime_error("cannot listen on " + path_ + ": " + strerror(errno));
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
    close(listen_fd_);
    for (Connection& c2 : connections_) close(c2.fd);
    unlink(path_.c_str());
}

size_t TestListener::connection_count() {
    std::lock_guard lock(mutex_);
    return connections_.size();
}

size_t TestListener::line_count() {
    std::lock_guard lock(mutex_);
    return line_count_;
}

size_t TestListener::bye_count() {
    std::lock_guard lock(mutex_);
    return bye_count_;
}

std::vector<std::vector<std::string>> TestListener::connections() {
    std::lock_guard lock(mutex_);
    std::vector<std::vector<std::string>> out;
    for (const Connection& c : connections_) out.push_back(c.lines);
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
    std::vector<char> buf(1 << 16);
    for (;;) {
        std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        std::vector<size_t> index;  // fds[2 + k] is connections_[index[k]]
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (reading_)
                for (size_t i = 0; i < connections_.size(); ++i)
                    if (!connections_[i].closed) {
                        fds.push_back({connections_[i].fd, POLLIN, 0});
                        index.push_back(i);
                    }
        }
        if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) return;
        if (fds[0].revents) {
            char c;
            (void)!read(wake_[0], &c, 1);
        }
        if (fds[1].revents & POLLIN) {
            int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                std::lock_guard lock(mutex_);
                connections_.push_back({fd, false, {}, {}});
            }
        }
        for (size_t k = 0; k < index.size(); ++k) {
            if (!(fds[2 + k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[2 + k].fd, buf.data(), buf.size());
            std::lock_guard lock(mutex_);
            Connection& c = connections_[index[k]];
            if (n <= 0) {
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) c.closed = true;  // lines stay readable
                continue;
            }
            c.partial.append(buf.data(), static_cast<size_t>(n));
            size_t start = 0;
            for (size_t nl; (nl = c.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
                std::string line = c.partial.substr(start, nl - start);
                ++line_count_;
                if (line.find("\"type\":\"bye\"") != std::string::npos) ++bye_count_;
                if (callback_) callback_(index[k], line);
                else c.lines.push_back(std::move(line));
            }
            c.partial.erase(0, start);
        }
    }
}

}  // namespace pcscspy::test
