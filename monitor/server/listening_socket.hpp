// The monitor's socket: made safe and exclusive before anyone connects.
// open() creates the socket folder (0700) when missing and refuses a folder the
// interposer would refuse (not ours, not 0700, a symlink); when a live monitor
// already listens on the path it refuses with that monitor's pid (SO_PEERCRED of
// a test connection); a stale socket left by a dead monitor is removed. The
// socket file itself is 0600 and removed on destruction if it is still ours.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace pcscspy {

// $XDG_RUNTIME_DIR/pcscspy/socket, else /tmp/pcscspy-<uid>/socket (contract).
std::string default_socket_path();
// --socket P when given, else $PCSCSPY_SOCKET when set, else the default (contract:
// the monitor honours PCSCSPY_SOCKET as the interposer and pcscspy-run do).
std::string socket_path_in_force(const std::optional<std::string>& option);

class ListeningSocket {
public:
    struct Result;
    static Result open(const std::string& path, int backlog = 512);

    ListeningSocket(ListeningSocket&& o) noexcept;
    ListeningSocket& operator=(ListeningSocket&&) = delete;
    ~ListeningSocket();

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }

private:
    ListeningSocket(int fd, std::string path, dev_t dev, ino_t ino) : fd_(fd), path_(std::move(path)), dev_(dev), ino_(ino) {}
    int fd_ = -1;
    std::string path_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};

struct ListeningSocket::Result {
    std::optional<ListeningSocket> socket;
    std::string error;          // one line, when socket is empty
    std::optional<pid_t> other_monitor;  // the pid of the live monitor that owns the path
    bool removed_stale = false;
};

}  // namespace pcscspy
