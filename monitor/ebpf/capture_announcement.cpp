#include "monitor/ebpf/capture_announcement.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "protocol/socket_path.hpp"

namespace pcscspy::ebpf {

CaptureAnnouncement::CaptureAnnouncement() {
    const std::string name = std::string(kSystemCaptureSocketPrefix) + std::to_string(getpid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // Abstract namespace: sun_path starts with a NUL byte, no file is made.
    // Bound, never listening: connecting to it is refused, nothing can queue.
    std::memcpy(addr.sun_path + 1, name.data(), name.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
        close(fd_);
        fd_ = -1;
    }
}

CaptureAnnouncement::~CaptureAnnouncement() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace pcscspy::ebpf
