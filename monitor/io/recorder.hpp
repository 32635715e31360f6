// --record F: every raw event line, appended to F (created 0600), exactly as
// received, so that --replay F reproduces the session. Buffered; flush() pushes
// what is pending to the file (the session calls it after each batch and at exit).
// With a rotation policy (--record-rotate) the lines go through a RotatingFile.
//
// F may be a FIFO read by another program: it is opened without waiting (a
// FIFO nobody reads is refused at start) and written without blocking, so a
// slow reader never stalls the monitor; what it has not taken yet waits here,
// up to a bound. The first write error stops the recording for good (what was
// written stays a whole number of lines, a regular file is cut back to its last
// whole line): the session goes on and says so once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/io/rotating_file.hpp"

namespace pcscspy {

class Recorder {
public:
    struct Result;
    static Result open(const std::string& path, std::optional<RotationPolicy> rotation = std::nullopt);

    Recorder(Recorder&& o) noexcept;
    Recorder& operator=(Recorder&&) = delete;
    ~Recorder();

    void write_line(std::string_view line);
    // Writes what the file takes now; false once the recording has failed.
    bool flush();
    // Bytes waiting for a FIFO's reader; its descriptor, to wait until it takes more.
    size_t pending() const { return buffer_.size(); }
    int fd() const { return fd_; }
    // The rest cannot be written (e.g. the reader did not take it in time).
    void give_up(const std::string& why);
    const std::string& path() const { return path_; }
    bool failed() const { return failed_; }  // (a plain file or FIFO; a rotation counts its unwritten lines)
    bool rotating() const { return rotating_.has_value(); }
    const std::string& error() const { return error_; }  // why it failed
    uint64_t lines() const { return lines_; }
    uint64_t rotations() const { return rotating_ ? rotating_->rotations() : 0; }
    uint64_t unwritten_lines() const { return rotating_ ? rotating_->unwritten_lines() : 0; }

    // What a reader that does not keep up may leave waiting here.
    static constexpr size_t kMaxPending = 16 * 1024 * 1024;

private:
    Recorder(int fd, std::string path, bool regular, uint64_t size);
    void fail(const std::string& why);
    int fd_ = -1;
    std::string path_;
    bool regular_ = false;
    uint64_t committed_ = 0;  // where the last whole line written ends (regular files)
    uint64_t written_ = 0;    // where the next byte goes
    std::string buffer_;
    std::string error_;
    bool failed_ = false;
    uint64_t lines_ = 0;
    std::optional<RotatingFile> rotating_;
};

struct Recorder::Result {
    std::optional<Recorder> recorder;
    std::string error;
};

}  // namespace pcscspy
