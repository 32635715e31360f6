// --record F: every raw event line, appended to F (created 0600), exactly as
// received, so that --replay F reproduces the session. Buffered; flush() pushes
// what is pending to the file (the session calls it after each batch and at exit).
// With a rotation policy (--record-rotate) the lines go through a RotatingFile.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "monitor/io/rotating_file.hpp"

namespace pcscspy {

class Recorder {
public:
    struct Result;
    static Result open(const std::string& path, std::optional<RotationPolicy> rotation = std::nullopt);

    Recorder(Recorder&& o) noexcept
        : fd_(o.fd_), path_(std::move(o.path_)), buffer_(std::move(o.buffer_)), rotating_(std::move(o.rotating_)) {
        o.fd_ = -1;
        o.rotating_.reset();
    }
    Recorder& operator=(Recorder&&) = delete;
    ~Recorder();

    void write_line(std::string_view line);
    bool flush();  // false on a write error (error() says which)
    const std::string& path() const { return path_; }
    const std::string& error() const { return error_; }
    uint64_t lines() const { return lines_; }
    uint64_t rotations() const { return rotating_ ? rotating_->rotations() : 0; }
    uint64_t unwritten_lines() const { return rotating_ ? rotating_->unwritten_lines() : 0; }

private:
    Recorder(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
    std::string buffer_;
    std::string error_;
    uint64_t lines_ = 0;
    std::optional<RotatingFile> rotating_;
};

struct Recorder::Result {
    std::optional<Recorder> recorder;
    std::string error;
};

}  // namespace pcscspy
