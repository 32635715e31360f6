// File operations confined to a folder tree given as a root (pcscspy-run
// --root DIR): every path resolves inside it, absolute symbolic links and ".."
// included, as programs running with DIR as / would see it (openat2 with
// RESOLVE_IN_ROOT). Where the kernel has no openat2 (or a sandbox forbids it),
// a symbolic link among the folders of a path under a root other than / is
// refused instead. The last component of a path is never followed.
#pragma once

#include <optional>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>

namespace pcscspy::run {

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// An open folder. Each operation names one entry of it; an entry that is a
// symbolic link is handled as the link itself, never followed. Replacing
// operations write a temporary ".NAME.pcscspy-tmp" and rename it over NAME, so
// NAME is always either the old or the new thing, whenever the process dies.
class Folder {
public:
    Folder(Fd fd, std::string shown) : fd_(std::move(fd)), shown_(std::move(shown)) {}
    int fd() const { return fd_.get(); }
    // NAME as shown in messages (the root's path joined with the folder's).
    std::string path(const std::string& name) const;

    std::optional<struct stat> entry(const std::string& name) const;  // nullopt: absent (or unreadable)
    std::optional<std::string> link_target(const std::string& name) const;  // a symbolic link's text
    std::optional<std::string> read_file(const std::string& name) const;  // a regular file's bytes

    bool write_file(const std::string& name, const std::string& bytes, mode_t mode);
    bool make_symlink(const std::string& name, const std::string& target);
    bool remove(const std::string& name);  // true when NAME is gone (also if it was not there)
    bool remove_temporary(const std::string& name);  // a ".NAME.pcscspy-tmp" left by a killed run
    bool make_folder(const std::string& name);
    void remove_folder_if_empty(const std::string& name);
    bool lock();  // exclusive, not waiting (flock)

private:
    bool sync();
    Fd fd_;
    std::string shown_;
};

class RootedTree {
public:
    // nullopt with errno set when the root cannot be opened.
    static std::optional<RootedTree> open(const std::string& root);
    bool is_real_root() const { return real_root_; }
    const std::string& root() const { return root_; }
    // The folder at rel (relative to the root, "" for the root itself), resolved
    // inside the root; nullopt with errno set (ELOOP: a refused symbolic link).
    std::optional<Folder> folder(const std::string& rel) const;
    std::string shown(const std::string& rel) const;

private:
    RootedTree(Fd fd, std::string root, bool real) : fd_(std::move(fd)), root_(std::move(root)), real_root_(real) {}
    Fd fd_;
    std::string root_;
    bool real_root_ = false;
};

}  // namespace pcscspy::run
