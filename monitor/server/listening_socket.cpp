#include "monitor/server/listening_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "protocol/socket_path.hpp"

namespace pcscspy {

std::string default_socket_path() { return default_socket_path(std::getenv("XDG_RUNTIME_DIR"), getuid()); }

std::string socket_path_in_force(const std::optional<std::string>& option) {
    return effective_socket_path(option.value_or(""), std::getenv("PCSCSPY_SOCKET"), std::getenv("XDG_RUNTIME_DIR"),
                                 getuid());
}

namespace {

std::string errno_text(int e) { return std::strerror(e); }

std::string octal(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return buf;
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Creates `dir` (and missing parents) with mode 0700.
bool make_folder(const std::string& dir, std::string& error) {
    struct stat st;
    if (lstat(dir.c_str(), &st) == 0) return true;
    std::string parent = parent_of(dir);
    if (parent != dir && !make_folder(parent, error)) return false;
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        error = "cannot create the socket folder " + dir + ": " + errno_text(errno);
        return false;
    }
    return true;
}

bool fill_address(const std::string& path, sockaddr_un& addr, std::string& error) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        error = "socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
                std::to_string(sizeof addr.sun_path - 1) + "): " + path;
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    return true;
}

}  // namespace

ListeningSocket::ListeningSocket(ListeningSocket&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), dev_(o.dev_), ino_(o.ino_) {
    o.fd_ = -1;
    o.path_.clear();
}

ListeningSocket::~ListeningSocket() {
    if (fd_ < 0) return;
    // Remove the socket file only if it is still the one we bound (a newer
    // monitor may have replaced a socket it believed stale).
    struct stat st;
    if (lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) unlink(path_.c_str());
    close(fd_);
}

ListeningSocket::Result ListeningSocket::open(const std::string& path, int backlog) {
    Result r;
    const std::string dir = parent_of(path);
    if (!make_folder(dir, r.error)) return r;
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0) {
        r.error = "cannot use the socket folder " + dir + ": " + errno_text(errno);
        return r;
    }
    // The interposer refuses anything else: say so now rather than wait in vain.
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        r.error = "the socket folder " + dir + " is not a directory (symbolic links are refused)";
        return r;
    }
    if (st.st_uid != geteuid()) {
        r.error = "the socket folder " + dir + " belongs to uid " + std::to_string(st.st_uid) +
                  ", not to you (uid " + std::to_string(geteuid()) + ")";
        return r;
    }
    if ((st.st_mode & 0777) != 0700) {
        r.error = "the socket folder " + dir + " has mode " + octal(st.st_mode) +
                  ": traced programs only connect through a folder of mode 0700 (chmod 700 it, or use another --socket)";
        return r;
    }
    sockaddr_un addr;
    if (!fill_address(path, addr, r.error)) return r;

    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            r.error = path + " exists and is not a socket; not touching it";
            return r;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            ucred cred{};
            socklen_t len = sizeof cred;
            std::string who = "another process";
            if (getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) {
                r.other_monitor = cred.pid;
                who = "another pcscspy-top (pid " + std::to_string(cred.pid) + ")";
            }
            close(probe);
            r.error = who + " is already listening on " + path + "; stop it or use --socket";
            return r;
        }
        int e = errno;
        if (probe >= 0) close(probe);
        if (e != ECONNREFUSED && e != ENOENT) {
            r.error = "cannot tell whether " + path + " is in use: " + errno_text(e);
            return r;
        }
        if (unlink(path.c_str()) != 0 && errno != ENOENT) {
            r.error = "cannot remove the stale socket " + path + ": " + errno_text(errno);
            return r;
        }
        r.removed_stale = true;
    }

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.error = "socket(): " + errno_text(errno);
        return r;
    }
    mode_t old_mask = umask(0177);  // the socket file is born 0600
    int b = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int e = errno;
    umask(old_mask);
    if (b != 0) {
        close(fd);
        r.error = "cannot listen on " + path + ": " + errno_text(e);
        return r;
    }
    if (listen(fd, backlog) != 0 || lstat(path.c_str(), &st) != 0) {
        e = errno;
        unlink(path.c_str());
        close(fd);
        r.error = "cannot listen on " + path + ": " + errno_text(e);
        return r;
    }
    r.socket.emplace(ListeningSocket(fd, path, st.st_dev, st.st_ino));
    return r;
}

}  // namespace pcscspy
