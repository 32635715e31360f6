// --record F --record-rotate SIZE[,KEEP]: the recording as a set of files that a
// log shipper can tail. F is the file being written; when the next lines would
// take it past SIZE bytes it becomes F.1 (F.1 becomes F.2, ... F.KEEP is
// overwritten), each step one atomic rename(2), and a new F is created 0600.
// Lines are never split: a file ends at a line boundary, also after a write error
// (a partly written line is cut off again and counted as not written), so every
// file, and the concatenation F.KEEP ... F.1 F, is a valid recording.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pcscspy {

struct RotationPolicy {
    uint64_t max_bytes = 0;  // SIZE: a file never grows past it (unless one line is longer)
    unsigned keep = 0;       // KEEP: rotated files kept (F.1 ... F.KEEP)

    static constexpr unsigned kDefaultKeep = 5;
    static constexpr uint64_t kMinBytes = 1024;
    static constexpr unsigned kMaxKeep = 1000;
    bool operator==(const RotationPolicy&) const = default;
};

// "SIZE[,KEEP]", SIZE in bytes with an optional K, M or G suffix (powers of 1024).
// On bad text returns nullopt and sets *error to one line.
std::optional<RotationPolicy> parse_rotation_policy(std::string_view text, std::string* error);

// F.N for N >= 1, F for 0.
std::string rotated_name(const std::string& path, unsigned n);

class RotatingFile {
public:
    struct Result;
    // Opens (appends to) F, creating it 0600; an existing F is made 0600.
    static Result open(const std::string& path, RotationPolicy policy);

    RotatingFile(RotatingFile&& o) noexcept;
    RotatingFile& operator=(RotatingFile&&) = delete;
    ~RotatingFile();

    // Appends `lines` (whole lines, each ending in '\n'), rotating before a line
    // that would not fit. Returns the number of lines that could not be written
    // (0: all written); error() says why.
    uint64_t write_lines(std::string_view lines);

    const std::string& path() const { return path_; }
    const RotationPolicy& policy() const { return policy_; }
    uint64_t size() const { return size_; }                 // bytes in F now
    uint64_t rotations() const { return rotations_; }
    uint64_t unwritten_lines() const { return unwritten_; }  // lines lost, in total
    const std::string& error() const { return error_; }      // the latest error, "" if none

private:
    RotatingFile(int fd, std::string path, RotationPolicy policy, uint64_t size)
        : fd_(fd), path_(std::move(path)), policy_(policy), size_(size) {}
    bool rotate();
    bool reopen();
    uint64_t write_chunk(std::string_view chunk);

    int fd_ = -1;  // -1 after a failed rotation: the next write tries to create F again
    std::string path_;
    RotationPolicy policy_;
    uint64_t size_ = 0;
    uint64_t rotations_ = 0;
    uint64_t unwritten_ = 0;
    std::string error_;
};

struct RotatingFile::Result {
    std::optional<RotatingFile> file;
    std::string error;
};

}  // namespace pcscspy
