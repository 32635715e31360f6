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
        r.recorder.emplace(Recorder(-1, path, false, 0));
        r.recorder->rotating_.emplace(std::move(*f.file));
        return r;
    }
    // O_NONBLOCK: opening a FIFO that nobody reads fails (ENXIO) instead of
    // waiting for a reader with every signal blocked.
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
        r.error = errno == ENXIO ? "cannot record to " + path + ": it is a FIFO that no program reads (start its reader first)"
                                 : "cannot open the recording " + path + ": " + std::strerror(errno);
        return r;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        r.error = "cannot open the recording " + path + ": " + std::strerror(errno);
        ::close(fd);
        return r;
    }
    // An existing file keeps its content (append) but not a wider mode: events
    // may carry card data. (Not a FIFO's or a device's mode: not ours to change.)
    const bool regular = S_ISREG(st.st_mode);
    if (regular && (st.st_mode & 0077) && fchmod(fd, 0600) != 0) {
        r.error = "cannot make the recording " + path + " private (mode 0600): " + std::strerror(errno);
        ::close(fd);
        return r;
    }
    r.recorder.emplace(Recorder(fd, path, regular, static_cast<uint64_t>(st.st_size)));
    return r;
}

Recorder::Recorder(int fd, std::string path, bool regular, uint64_t size)
    : fd_(fd), path_(std::move(path)), regular_(regular), committed_(size), written_(size) {}

Recorder::Recorder(Recorder&& o) noexcept
    : fd_(o.fd_),
      path_(std::move(o.path_)),
      regular_(o.regular_),
      committed_(o.committed_),
      written_(o.written_),
      buffer_(std::move(o.buffer_)),
      error_(std::move(o.error_)),
      failed_(o.failed_),
      lines_(o.lines_),
      rotating_(std::move(o.rotating_)) {
    o.fd_ = -1;
    o.rotating_.reset();
}

Recorder::~Recorder() {
    if (fd_ < 0 && !rotating_) return;
    flush();
    if (fd_ >= 0) ::close(fd_);
}

void Recorder::write_line(std::string_view line) {
    if (failed_) return;
    buffer_.append(line);
    buffer_ += '\n';
    ++lines_;
    if (buffer_.size() >= kFlushAt) flush();
}

void Recorder::fail(const std::string& why) {
    failed_ = true;
    error_ = "recording to " + path_ + " stopped: " + why;
    buffer_.clear();
    buffer_.shrink_to_fit();
    // Keep the recording a whole number of lines: replay reads it without damage.
    if (regular_) (void)!ftruncate(fd_, static_cast<off_t>(committed_));
}

bool Recorder::flush() {
    if (failed_) return false;
    if (rotating_) {
        uint64_t lost = rotating_->write_lines(buffer_);
        buffer_.clear();
        if (lost) error_ = rotating_->error();
        return lost == 0;
    }
    size_t done = 0;
    int error = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;  // a FIFO's reader has not caught up
        if (n < 0) {
            error = errno;
            break;
        }
        done += static_cast<size_t>(n);
    }
    if (done > 0) {
        size_t last = buffer_.rfind('\n', done - 1);
        if (last != std::string::npos) committed_ = written_ + last + 1;
        written_ += done;
        buffer_.erase(0, done);
    }
    if (error) {
        fail(std::strerror(error));
        return false;
    }
    if (buffer_.size() > kMaxPending) {
        fail("its reader does not keep up (" + std::to_string(kMaxPending / (1024 * 1024)) + " MiB waiting)");
        return false;
    }
    return true;
}

void Recorder::give_up(const std::string& why) {
    if (!failed_) fail(why);
}

}  // namespace pcscspy
