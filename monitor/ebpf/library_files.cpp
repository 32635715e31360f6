#include "monitor/ebpf/library_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

namespace pcscspy::ebpf {

namespace {

constexpr std::string_view kSoname = "libpcsclite.so.1";
// What a forwarder carries in its bytes: its own soname.
constexpr std::string_view kForwarderMarks[] = {
    "libpcscspy-interposer.so",  // pcscspy's interposer
    "libpcscspy.so.0",           // pcsc-lite's spy
};
// Where forwarders find the real library (pcscspy-run --install-system and
// pcsc-lite >= 2.1: libpcsclite_real.so.1; Debian 12's spy: libpcsclite_nospy.so.1).
constexpr std::string_view kForwardedNames[] = {"libpcsclite_real.so.1", "libpcsclite_nospy.so.1"};
// The loader's default folders, when its cache does not answer.
constexpr const char* kDefaultDirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                                        "/lib", "/usr/lib"};

std::optional<LibraryFile> file_at(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return LibraryFile{path, st.st_dev, st.st_ino};
}

bool is_pcsclite_name(std::string_view path) {
    size_t slash = path.rfind('/');
    std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return base.rfind("libpcsclite", 0) == 0 && base.find(".so") != std::string_view::npos;
}

// The inode field of a maps line (before the path): "start-end perms offset dev inode".
ino_t mapped_inode(std::string_view fields) {
    size_t end = fields.find_last_not_of(' ');
    if (end == std::string_view::npos) return 0;
    size_t start = fields.find_last_of(' ', end);
    start = start == std::string_view::npos ? 0 : start + 1;
    ino_t inode = 0;
    for (char c : fields.substr(start, end + 1 - start)) {
        if (c < '0' || c > '9') return 0;
        inode = inode * 10 + static_cast<ino_t>(c - '0');
    }
    return inode;
}

void add_unique(std::vector<LibraryFile>& out, LibraryFile f) {
    for (const LibraryFile& o : out)
        if (o.dev == f.dev && o.ino == f.ino) return;
    out.push_back(std::move(f));
}

// The x86-64 entry for libpcsclite.so.1 in `ldconfig -p`'s listing of the
// loader's cache, e.g. "\tlibpcsclite.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpcsclite.so.1".
std::optional<std::string> from_loader_cache() {
    for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
        if (access(ldconfig, X_OK) != 0) continue;
        std::string cmd = std::string(ldconfig) + " -p 2>/dev/null";
        FILE* p = popen(cmd.c_str(), "r");
        if (!p) return std::nullopt;
        std::optional<std::string> found;
        char line[4096];
        while (fgets(line, sizeof line, p)) {
            std::string_view l(line);
            while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
            if (l.rfind(kSoname, 0) != 0 || l.size() <= kSoname.size() || l[kSoname.size()] != ' ') continue;
            if (l.find("x86-64") == std::string_view::npos) continue;
            size_t arrow = l.find("=> ");
            if (arrow == std::string_view::npos) continue;
            std::string_view path = l.substr(arrow + 3);
            while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.remove_suffix(1);
            if (!found) found = std::string(path);
        }
        pclose(p);
        return found;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> resolve_pcsclite() {
    if (auto cached = from_loader_cache(); cached && file_at(*cached)) return cached;
    for (const char* dir : kDefaultDirs) {
        std::string path = std::string(dir) + "/" + std::string(kSoname);
        if (file_at(path)) return path;
    }
    return std::nullopt;
}

bool is_forwarder(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::string_view mark : kForwarderMarks)
        if (bytes.find(mark) != std::string::npos) return true;
    return false;
}

std::optional<std::string> forwarded_to(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    for (std::string_view name : kForwardedNames) {
        std::string candidate = dir + "/" + std::string(name);
        if (file_at(candidate) && !is_forwarder(candidate)) return candidate;
    }
    return std::nullopt;
}

std::vector<LibraryFile> mapped_libraries(const std::string& proc) {
    std::vector<LibraryFile> out;
    DIR* d = opendir(proc.c_str());
    if (!d) return out;
    std::string text;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        const std::string base = proc + "/" + e->d_name;
        int fd = open((base + "/maps").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        text.clear();
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
        close(fd);
        // "start-end perms offset dev inode   path"
        for (size_t at = text.find("libpcsclite"); at != std::string::npos; at = text.find("libpcsclite", at + 1)) {
            size_t bol = text.rfind('\n', at);
            bol = bol == std::string::npos ? 0 : bol + 1;
            size_t eol = text.find('\n', at);
            std::string_view line(text.data() + bol, (eol == std::string::npos ? text.size() : eol) - bol);
            size_t path_at = line.find('/');
            if (path_at == std::string_view::npos) continue;
            std::string_view path = line.substr(path_at);
            if (!is_pcsclite_name(path)) continue;
            std::string p(path);
            const ino_t inode = mapped_inode(line.substr(0, path_at));
            constexpr std::string_view kDeleted = " (deleted)";
            if (p.size() > kDeleted.size() && p.compare(p.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
                // Replaced on disk while mapped: reach the mapped file itself.
                p = base + "/map_files/" + std::string(line.substr(0, line.find(' ')));
            } else if (auto own = file_at(p); !own || own->ino != inode) {
                p = base + "/root" + p;  // another mount namespace (a container)
            }
            if (auto f = file_at(p)) add_unique(out, *f);
            at = eol == std::string::npos ? text.size() : eol;
            if (at >= text.size()) break;
        }
    }
    closedir(d);
    return out;
}

LibraryScan library_files(const std::string& proc) {
    std::vector<LibraryFile> candidates;
    if (auto resolved = resolve_pcsclite())
        if (auto f = file_at(*resolved)) candidates.push_back(*f);
    for (LibraryFile& f : mapped_libraries(proc)) add_unique(candidates, std::move(f));
    LibraryScan scan;
    for (const LibraryFile& f : candidates) {
        if (!is_forwarder(f.path)) {
            add_unique(scan.probe, f);
            continue;
        }
        add_unique(scan.forwarders, f);
        if (auto real = forwarded_to(f.path))
            if (auto r = file_at(*real)) add_unique(scan.probe, *r);
    }
    return scan;
}

}  // namespace pcscspy::ebpf
