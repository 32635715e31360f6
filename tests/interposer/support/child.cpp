#include "support/child.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pcscspy::test {

Child::Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::vector<std::string>& unset) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        // Only 0, 1 and 2 cross exec (the tests look for leaked descriptors).
        for (int fd = 3; fd < 1024; ++fd) close(fd);
        for (const auto& u : unset) unsetenv(u.c_str());
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
}

Child::~Child() {
    if (!reaped_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_})
        if (fd >= 0) close(fd);
}

void Child::drain(int timeout_ms) {
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) <= 0) return;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0) (i == 0 ? line_buf_ : err_buf_).append(buf, static_cast<size_t>(n));
        if (n == 0) {
            close(fds[i].fd);
            (i == 0 ? out_ : err_) = -1;
        }
    }
}

std::optional<std::string> Child::read_line(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        size_t nl = line_buf_.find('\n');
        if (nl != std::string::npos) {
            std::string line = line_buf_.substr(0, nl);
            out_buf_ += line_buf_.substr(0, nl + 1);
            line_buf_.erase(0, nl + 1);
            return line;
        }
        if (out_ < 0 || std::chrono::steady_clock::now() > until) return std::nullopt;
        drain(50);
    }
}

void Child::write_stdin(const std::string& text) { (void)!write(in_, text.data(), text.size()); }

ChildResult Child::wait(std::chrono::milliseconds timeout) {
    ChildResult r;
    auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        drain(20);
        pid_t w = waitpid(pid_, &status, WNOHANG);
        if (w == pid_) break;
        if (std::chrono::steady_clock::now() > until) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            r.timed_out = true;
            break;
        }
    }
    reaped_ = true;
    while (out_ >= 0 || err_ >= 0) {
        if (out_ < 0 && err_ >= 0) {
            pollfd p{err_, POLLIN, 0};
            if (poll(&p, 1, 1000) <= 0) break;
        }
        size_t before = line_buf_.size() + err_buf_.size();
        drain(1000);
        if (line_buf_.size() + err_buf_.size() == before && (out_ >= 0 || err_ >= 0)) {
            // both open but nothing came within a second: give up
            pollfd p[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
            if (poll(p, 2, 0) <= 0) break;
        }
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = out_buf_ + line_buf_;
    r.err = err_buf_;
    return r;
}

ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::vector<std::string>& unset, std::chrono::milliseconds timeout) {
    Child c(argv, env, unset);
    return c.wait(timeout);
}

}  // namespace pcscspy::test
