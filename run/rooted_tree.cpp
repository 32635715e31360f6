#include "run/rooted_tree.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "run/kill_point.hpp"

namespace pcscspy::run {

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        fd_ = o.release();
    }
    return *this;
}

Fd::~Fd() {
    if (fd_ >= 0) close(fd_);
}

namespace {

constexpr int kFolderFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

std::string temporary_name(const std::string& name) { return "." + name + ".pcscspy-tmp"; }

bool openat2_disabled() {
#ifdef PCSCSPY_RUN_TEST_BUILD
    // The test build can be made to take the fallback, which this kernel never needs.
    return getenv("PCSCSPY_RUN_WITHOUT_OPENAT2") != nullptr;
#else
    return false;
#endif
}

// Without openat2: one component at a time, refusing symbolic links (O_NOFOLLOW
// fails with ELOOP on one) and "..".
int open_refusing_links(int root, const std::string& rel) {
    Fd at(fcntl(root, F_DUPFD_CLOEXEC, 0));
    if (!at) return -1;
    size_t start = 0;
    while (start < rel.size()) {
        size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        std::string part = rel.substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            errno = ELOOP;
            return -1;
        }
        Fd next(openat(at.get(), part.c_str(), kFolderFlags | O_NOFOLLOW));
        if (!next) {
            // With O_DIRECTORY a link fails as "not a directory": say what it is.
            struct stat st {};
            if (errno == ENOTDIR && fstatat(at.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                errno = ELOOP;
            return -1;
        }
        at = std::move(next);
    }
    return at.release();
}

}  // namespace

std::string Folder::path(const std::string& name) const { return shown_ + "/" + name; }

std::optional<struct stat> Folder::entry(const std::string& name) const {
    struct stat st {};
    if (fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return st;
}

std::optional<std::string> Folder::link_target(const std::string& name) const {
    std::vector<char> buf(256);
    for (;;) {
        ssize_t n = readlinkat(fd_.get(), name.c_str(), buf.data(), buf.size());
        if (n < 0) return std::nullopt;
        if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
        buf.resize(buf.size() * 2);
    }
}

std::optional<std::string> Folder::read_file(const std::string& name) const {
    Fd f(openat(fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!f) return std::nullopt;
    struct stat st {};
    if (fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::string bytes;
    char buf[65536];
    for (;;) {
        ssize_t n = read(f.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return bytes;
        bytes.append(buf, static_cast<size_t>(n));
    }
}

bool Folder::sync() { return fsync(fd_.get()) == 0 || errno == EINVAL; }

bool Folder::write_file(const std::string& name, const std::string& bytes, mode_t mode) {
    const std::string tmp = temporary_name(name);
    unlinkat(fd_.get(), tmp.c_str(), 0);
    Fd f(openat(fd_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!f) return false;
    kill_point();
    size_t done = 0;
    bool ok = true;
    while (ok && done < bytes.size()) {
        ssize_t n = write(f.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && fchmod(f.get(), mode) == 0 && fsync(f.get()) == 0;
    ok = close(f.release()) == 0 && ok;
    kill_point();
    if (!ok || renameat(fd_.get(), tmp.c_str(), fd_.get(), name.c_str()) != 0) {
        unlinkat(fd_.get(), tmp.c_str(), 0);
        return false;
    }
    kill_point();
    return sync();
}

bool Folder::make_symlink(const std::string& name, const std::string& target) {
    const std::string tmp = temporary_name(name);
    unlinkat(fd_.get(), tmp.c_str(), 0);
    if (symlinkat(target.c_str(), fd_.get(), tmp.c_str()) != 0) return false;
    kill_point();
    if (renameat(fd_.get(), tmp.c_str(), fd_.get(), name.c_str()) != 0) {
        unlinkat(fd_.get(), tmp.c_str(), 0);
        return false;
    }
    kill_point();
    return sync();
}

bool Folder::remove(const std::string& name) {
    if (unlinkat(fd_.get(), name.c_str(), 0) != 0) return errno == ENOENT;
    kill_point();
    return sync();
}

bool Folder::remove_temporary(const std::string& name) { return remove(temporary_name(name)); }

bool Folder::make_folder(const std::string& name) {
    if (mkdirat(fd_.get(), name.c_str(), 0755) != 0) return false;
    kill_point();
    return sync();
}

void Folder::remove_folder_if_empty(const std::string& name) {
    if (unlinkat(fd_.get(), name.c_str(), AT_REMOVEDIR) == 0) {
        kill_point();
        sync();
    }
}

bool Folder::lock() { return flock(fd_.get(), LOCK_EX | LOCK_NB) == 0; }

std::optional<RootedTree> RootedTree::open(const std::string& root) {
    Fd fd(::open(root.c_str(), kFolderFlags));
    if (!fd) return std::nullopt;
    struct stat here {}, slash {};
    const bool real = fstat(fd.get(), &here) == 0 && stat("/", &slash) == 0 && here.st_dev == slash.st_dev &&
                      here.st_ino == slash.st_ino;
    std::string shown = root;
    while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
    return RootedTree(std::move(fd), real ? "" : shown, real);
}

std::string RootedTree::shown(const std::string& rel) const { return root_ + "/" + rel; }

std::optional<Folder> RootedTree::folder(const std::string& rel) const {
    const std::string path = rel.empty() ? "." : rel;
    int fd = -1;
    if (real_root_) {
        // The real root: symbolic links resolve inside it anyway.
        fd = openat(fd_.get(), path.c_str(), kFolderFlags);
    } else {
        if (!openat2_disabled()) {
            open_how how{};
            how.flags = kFolderFlags;
            how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
            fd = static_cast<int>(syscall(SYS_openat2, fd_.get(), path.c_str(), &how, sizeof how));
        }
        if (fd < 0 && (openat2_disabled() || errno == ENOSYS || errno == EPERM))
            fd = open_refusing_links(fd_.get(), path);
    }
    if (fd < 0) return std::nullopt;
    return Folder(Fd(fd), shown(rel.empty() ? "" : rel));
}

}  // namespace pcscspy::run
