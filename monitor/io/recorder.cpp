#include "monitor/io/recorder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pcscspy {

namespace {
constexpr size_t kFlushAt = 256 * 1024;
}

Recorder::Result Recorder::open(const std::string& path, std::optional<RotationPolicy> rotation) {
    Result r;
    if (rotation) {
        RotatingFile::Result f = RotatingFile::open(path, *rotation);
        if (!f.file) {
            r.error = f.error;
            return r;
        }
        r.recorder.emplace(Recorder(-1, path));
        r.recorder->rotating_.emplace(std::move(*f.file));
        return r;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        r.error = "cannot open the recording " + path + ": " + std::strerror(errno);
        return r;
    }
    // An existing file keeps its content (append) but not a wider mode: events
    // may carry card data.
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 0077) && fchmod(fd, 0600) != 0) {
        r.error = "cannot make the recording " + path + " private (mode 0600): " + std::strerror(errno);
        ::close(fd);
        return r;
    }
    r.recorder.emplace(Recorder(fd, path));
    return r;
}

Recorder::~Recorder() {
    if (fd_ < 0 && !rotating_) return;
    flush();
    if (fd_ >= 0) ::close(fd_);
}

void Recorder::write_line(std::string_view line) {
    buffer_.append(line);
    buffer_ += '\n';
    ++lines_;
    if (buffer_.size() >= kFlushAt) flush();
}

bool Recorder::flush() {
    if (rotating_) {
        uint64_t lost = rotating_->write_lines(buffer_);
        buffer_.clear();
        if (lost) error_ = rotating_->error();
        return lost == 0;
    }
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = "writing " + path_ + ": " + std::strerror(errno);
            buffer_.clear();  // keep going without it rather than grow forever
            return false;
        }
        done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return true;
}

}  // namespace pcscspy
