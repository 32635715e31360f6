// CaptureAnnouncement: says to the machine that this monitor captures every
// program, by holding the abstract Unix socket named in protocol/socket_path.hpp
// (pcscspy-run reads /proc/net/unix for it). Held for the life of the object;
// the kernel drops it with the process however it ends.
#pragma once

namespace pcscspy::ebpf {

class CaptureAnnouncement {
public:
    CaptureAnnouncement();  // best effort: without it, pcscspy-run only gives its usual note
    ~CaptureAnnouncement();
    CaptureAnnouncement(const CaptureAnnouncement&) = delete;
    CaptureAnnouncement& operator=(const CaptureAnnouncement&) = delete;
    bool held() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

}  // namespace pcscspy::ebpf
