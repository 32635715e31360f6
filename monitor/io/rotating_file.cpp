#include "monitor/io/rotating_file.hpp"

#include "monitor/io/byte_size.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace pcscspy {

namespace {

uint64_t count_lines(std::string_view text) { return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')); }

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::optional<RotationPolicy> parse_rotation_policy(std::string_view text, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<RotationPolicy> {
        *error = "--record-rotate " + std::string(text) + ": " + why;
        return std::nullopt;
    };
    RotationPolicy p;
    p.keep = RotationPolicy::kDefaultKeep;
    std::string_view size = text, keep;
    if (auto comma = text.find(','); comma != std::string_view::npos) {
        size = text.substr(0, comma);
        keep = text.substr(comma + 1);
    }
    std::string why;
    std::optional<uint64_t> bytes = parse_byte_size(size, &why);
    if (!bytes) return fail(why);
    p.max_bytes = *bytes;
    if (p.max_bytes < RotationPolicy::kMinBytes)
        return fail("SIZE must be at least " + std::to_string(RotationPolicy::kMinBytes) + " bytes");
    if (!keep.empty() || text.find(',') != std::string_view::npos) {
        unsigned k = 0;
        auto [kend, kec] = std::from_chars(keep.data(), keep.data() + keep.size(), k);
        if (kec != std::errc() || kend != keep.data() + keep.size() || k < 1 || k > RotationPolicy::kMaxKeep)
            return fail("KEEP must be a number of files from 1 to " + std::to_string(RotationPolicy::kMaxKeep));
        p.keep = k;
    }
    return p;
}

std::string rotated_name(const std::string& path, unsigned n) { return n == 0 ? path : path + "." + std::to_string(n); }

RotatingFile::Result RotatingFile::open(const std::string& path, RotationPolicy policy) {
    Result r;
    // O_NONBLOCK: opening a FIFO without a reader would wait; it is refused below
    // (regular files ignore the flag).
    // O_RDWR: the last byte is read back to see whether an earlier run ended mid-line.
    int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0 && errno == ENXIO) errno = EINVAL;  // a FIFO nobody reads: "not a regular file" below
    struct stat st {};
    if (fd < 0 && errno == EINVAL && lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        r.error = "cannot rotate the recording " + path + ": not a regular file";
        return r;
    }
    if (fd < 0) {
        r.error = "cannot open the recording " + path + ": " + errno_text();
        return r;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        r.error = "cannot rotate the recording " + path + ": not a regular file";
        ::close(fd);
        return r;
    }
    // An existing file keeps its content but not a wider mode: events may carry card data.
    if ((st.st_mode & 0077) && fchmod(fd, 0600) != 0) {
        r.error = "cannot make the recording " + path + " private (mode 0600): " + errno_text();
        ::close(fd);
        return r;
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    // A previous run cut off mid-line: end that line so that ours do not join it.
    char last = '\n';
    if (size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' && ::write(fd, "\n", 1) == 1) ++size;
    r.file.emplace(RotatingFile(fd, path, policy, size));
    return r;
}

RotatingFile::RotatingFile(RotatingFile&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), policy_(o.policy_), size_(o.size_), rotations_(o.rotations_),
      unwritten_(o.unwritten_), error_(std::move(o.error_)) {
    o.fd_ = -1;
}

RotatingFile::~RotatingFile() {
    if (fd_ >= 0) ::close(fd_);
}

uint64_t RotatingFile::write_lines(std::string_view lines) {
    uint64_t lost = 0;
    size_t pos = 0;
    bool rotation_failed = false;
    while (pos < lines.size()) {
        if (fd_ < 0 && !reopen()) {
            lost += count_lines(lines.substr(pos));
            break;
        }
        std::string_view rest = lines.substr(pos);
        uint64_t room = policy_.max_bytes > size_ ? policy_.max_bytes - size_ : 0;
        size_t take = rest.size();
        if (rest.size() > room && !rotation_failed) {
            // The whole lines that fit in what is left of this file.
            size_t nl = room > 0 ? rest.rfind('\n', room - 1) : std::string_view::npos;
            take = nl == std::string_view::npos ? 0 : nl + 1;
            if (take == 0) {
                if (size_ > 0) {
                    // Full: the next line starts a new file. If the renames fail, the
                    // lines go on into the current file rather than being lost.
                    if (!rotate()) rotation_failed = true;
                    continue;
                }
                // A single line longer than SIZE: a file of its own.
                size_t end = rest.find('\n');
                take = end == std::string_view::npos ? rest.size() : end + 1;
            }
        }
        lost += write_chunk(rest.substr(0, take));
        pos += take;
    }
    unwritten_ += lost;
    return lost;
}

uint64_t RotatingFile::write_chunk(std::string_view chunk) {
    size_t done = 0;
    while (done < chunk.size()) {
        ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = "writing " + path_ + ": " + (n < 0 ? errno_text() : std::string("no progress"));
            // Cut back to the last whole line written: a file never ends mid-line.
            size_t keep = 0;
            if (done > 0)
                if (size_t nl = chunk.rfind('\n', done - 1); nl != std::string_view::npos) keep = nl + 1;
            if (keep < done && ftruncate(fd_, static_cast<off_t>(size_ + keep)) != 0) {
                // Cannot cut it: leave the half line alone and separate it from what follows.
                if (::write(fd_, "\n", 1) == 1) keep = done + 1;
            }
            size_ += keep;
            return count_lines(chunk.substr(std::min(keep, chunk.size())));
        }
        done += static_cast<size_t>(n);
    }
    size_ += done;
    return 0;
}

bool RotatingFile::rotate() {
    // Oldest first, so that each rename only ever overwrites the file that is to go.
    for (unsigned i = policy_.keep; i >= 1; --i) {
        std::string from = rotated_name(path_, i - 1), to = rotated_name(path_, i);
        if (::rename(from.c_str(), to.c_str()) != 0 && !(errno == ENOENT && i > 1)) {
            error_ = "cannot rotate " + path_ + " (" + from + " to " + to + "): " + errno_text();
            return false;
        }
    }
    ::close(fd_);
    fd_ = -1;
    ++rotations_;
    return reopen();
}

bool RotatingFile::reopen() {
    // O_EXCL: the name was just freed by our rename; anything there now is not ours.
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        struct stat st {};
        // Our own earlier attempt may have created it before failing: reuse a plain file of ours.
        if (lstat(path_.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
            fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        error_ = "cannot create " + path_ + " after rotating it: " + errno_text();
        return false;
    }
    struct stat st {};
    size_ = fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    fd_ = fd;
    return true;
}

}  // namespace pcscspy
