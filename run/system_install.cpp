#include "run/system_install.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#ifndef PCSCSPY_MULTIARCH
#define PCSCSPY_MULTIARCH "x86_64-linux-gnu"
#endif

extern char** environ;

namespace fs = std::filesystem;

namespace pcscspy::run {

namespace {

constexpr const char* kLibrary = "libpcsclite.so.1";
constexpr const char* kBackend = "libpcsclite_real.so.1";
constexpr const char* kInterposerSoname = "libpcscspy-interposer.so";
constexpr const char* kStateDir = "var/lib/pcscspy";
constexpr const char* kManifest = "system-install";
constexpr const char* kBackup = "libpcsclite.so.1.orig";

// Library folders, in the loader's order of preference, relative to the root.
const char* const kLibraryDirs[] = {
    "usr/lib/" PCSCSPY_MULTIARCH, "usr/lib64", "usr/lib", "lib/" PCSCSPY_MULTIARCH, "lib64", "lib",
};

using Manifest = std::map<std::string, std::string>;

struct Layout {
    fs::path root, dir, library, backend, state_dir, manifest, backup;
    std::string dir_in_root;
};

bool exists_nofollow(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
}

std::optional<Layout> find_layout(const fs::path& root) {
    for (const char* d : kLibraryDirs) {
        fs::path dir = root / d;
        if (exists_nofollow(dir / kLibrary)) {
            Layout l;
            l.root = root;
            l.dir = dir;
            l.dir_in_root = d;
            l.library = dir / kLibrary;
            l.backend = dir / kBackend;
            l.state_dir = root / kStateDir;
            l.manifest = l.state_dir / kManifest;
            l.backup = l.state_dir / kBackup;
            return l;
        }
    }
    return std::nullopt;
}

std::optional<std::string> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// FNV-1a: identifies file contents for the "unchanged since" checks.
std::string content_hash(const std::string& bytes) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char text[17];
    snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

bool is_interposer_file(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(p, ec))) return false;
    auto bytes = read_bytes(p);
    return bytes && bytes->find(kInterposerSoname) != std::string::npos;
}

Manifest read_manifest(const fs::path& p) {
    Manifest m;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        size_t eq = line.find('=');
        if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return m;
}

// Writes a file completely (temp file, fsync, rename) with the given mode.
bool write_file_atomically(const fs::path& p, const std::string& bytes, mode_t mode) {
    fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".pcscspy-tmp");
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) {
            close(fd);
            unlink(tmp.c_str());
            return false;
        }
        done += static_cast<size_t>(n);
    }
    bool ok = fchmod(fd, mode) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), p.c_str()) != 0) {
        unlink(tmp.c_str());
        return false;
    }
    return true;
}

bool symlink_atomically(const std::string& target, const fs::path& p) {
    fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".pcscspy-tmp");
    unlink(tmp.c_str());
    if (symlink(target.c_str(), tmp.c_str()) != 0) return false;
    if (rename(tmp.c_str(), p.c_str()) != 0) {
        unlink(tmp.c_str());
        return false;
    }
    return true;
}

bool write_manifest(const fs::path& p, const Manifest& m) {
    std::string text = "# pcscspy-run --install-system: what --uninstall-system restores. Do not edit.\n";
    for (const auto& [k, v] : m) text += k + "=" + v + "\n";
    return write_file_atomically(p, text, 0644);
}

std::string mode_text(mode_t m) {
    char t[8];
    snprintf(t, sizeof t, "%04o", static_cast<unsigned>(m & 07777));
    return t;
}

// ldconfig for the real root; for a scratch root only when it has its own
// configuration (ldconfig -r), which keeps the loader cache testable. Its
// complaint that libpcsclite.so.1 is not a symbolic link is expected while
// installed and not repeated.
void run_ldconfig(const fs::path& root, std::ostream& err) {
    std::error_code ec;
    const bool real_root = fs::equivalent(root, "/", ec);
    if (!real_root && !fs::exists(root / "etc/ld.so.conf")) return;
    std::string exe;
    for (const char* c : {"/sbin/ldconfig", "/usr/sbin/ldconfig"})
        if (access(c, X_OK) == 0) exe = c;
    if (exe.empty()) {
        err << "pcscspy-run: warning: ldconfig not found; run it to refresh the loader cache\n";
        return;
    }
    std::vector<std::string> args = {exe};
    if (!real_root) args.insert(args.end(), {"-r", root.string()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    std::string messages;
    char buf[4096];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) messages.append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
    int status = 0;
    if (rc == 0) waitpid(pid, &status, 0);
    std::istringstream lines(messages);
    for (std::string line; std::getline(lines, line);)
        if (line.find("is not a symbolic link") == std::string::npos) err << line << "\n";
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        err << "pcscspy-run: warning: ldconfig failed; run it to refresh the loader cache\n";
}

std::string describe_original(const Manifest& m) {
    if (m.count("original_target")) return "a symbolic link to " + m.at("original_target");
    return "a regular file (saved as " + m.at("original_backup") + ")";
}

}  // namespace

int install_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err) {
    std::error_code ec;
    auto found = find_layout(o.root);
    if (!found) {
        err << "pcscspy-run: no " << kLibrary << " under " << o.root << " (looked in";
        for (const char* d : kLibraryDirs) err << " " << d;
        err << ")\n";
        return 1;
    }
    const Layout& l = *found;
    if (exists_nofollow(l.manifest)) {
        Manifest m = read_manifest(l.manifest);
        if (m["state"] == "installed")
            err << "pcscspy-run: already installed system-wide (" << l.manifest.string()
                << "); run pcscspy-run --uninstall-system first\n";
        else
            err << "pcscspy-run: refusing: half-installed state, a previous --install-system did not finish ("
                << l.manifest.string() << " says '" << m["state"] << "'); see --uninstall-system\n";
        return 1;
    }
    if (is_interposer_file(l.library)) {
        err << "pcscspy-run: refusing: half-installed state: " << l.library.string()
            << " is a pcscspy interposer but " << l.manifest.string()
            << " does not exist; reinstall the PC/SC library package to restore it\n";
        return 1;
    }
    auto interposer = read_bytes(o.interposer);
    if (!interposer) {
        err << "pcscspy-run: cannot read the interposer " << o.interposer << "\n";
        return 1;
    }
    const bool backend_exists = exists_nofollow(l.backend);
    if (backend_exists && is_interposer_file(l.backend)) {
        err << "pcscspy-run: refusing: half-installed state: " << l.backend.string() << " is a pcscspy interposer\n";
        return 1;
    }

    Manifest m;
    m["dir"] = l.dir_in_root;
    const fs::file_status st = fs::symlink_status(l.library, ec);
    std::optional<std::string> original_bytes;
    if (fs::is_symlink(st)) {
        m["original_target"] = fs::read_symlink(l.library, ec).string();
    } else {
        original_bytes = read_bytes(l.library);
        if (!original_bytes) {
            err << "pcscspy-run: cannot read " << l.library.string() << "\n";
            return 1;
        }
        m["original_backup"] = (fs::path(kStateDir) / kBackup).string();
        m["original_hash"] = content_hash(*original_bytes);
        m["original_mode"] = mode_text(static_cast<mode_t>(st.permissions()));
    }
    // Folders we create are removed again by uninstall.
    std::string created;
    for (fs::path p = l.state_dir; !fs::exists(p, ec) && p != l.root; p = p.parent_path())
        created = fs::relative(p, l.root, ec).string() + (created.empty() ? "" : ":" + created);
    m["created_dirs"] = created;
    m["backend"] = backend_exists ? "kept" : (original_bytes ? "copy" : "symlink");
    m["state"] = "installing";

    fs::create_directories(l.state_dir, ec);
    if (ec || !write_manifest(l.manifest, m)) {
        err << "pcscspy-run: cannot write " << l.manifest.string() << ": " << ec.message() << "\n";
        return 1;
    }
    auto undo = [&](const std::string& why) {
        err << "pcscspy-run: install failed (" << why << "); nothing changed\n";
        if (!backend_exists) fs::remove(l.backend, ec);
        fs::remove(l.backup, ec);
        fs::remove(l.manifest, ec);
        return 1;
    };
    if (original_bytes && !write_file_atomically(l.backup, *original_bytes, 0644)) return undo("backup");
    if (!backend_exists) {
        bool ok = original_bytes ? write_file_atomically(l.backend, *original_bytes,
                                                         static_cast<mode_t>(st.permissions()))
                                 : symlink_atomically(m["original_target"], l.backend);
        if (!ok) return undo("cannot create " + l.backend.string());
    }
    if (!write_file_atomically(l.library, *interposer, 0644)) return undo("cannot replace " + l.library.string());
    m["installed_hash"] = content_hash(*interposer);
    m["state"] = "installed";
    if (!write_manifest(l.manifest, m)) err << "pcscspy-run: warning: cannot update " << l.manifest.string() << "\n";
    run_ldconfig(l.root, err);
    out << "pcscspy-run: " << l.library.string() << " is now the interposer (was " << describe_original(m)
        << ");\n  it forwards to " << l.backend.string() << ". Undo with: pcscspy-run --uninstall-system"
        << (fs::equivalent(l.root, "/", ec) ? "" : " --root " + o.root) << "\n";
    return 0;
}

int uninstall_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err) {
    std::error_code ec;
    auto found = find_layout(o.root);
    fs::path manifest_path = fs::path(o.root) / kStateDir / kManifest;
    if (!exists_nofollow(manifest_path)) {
        if (found && is_interposer_file(found->library)) {
            err << "pcscspy-run: refusing: half-installed state: " << found->library.string()
                << " is a pcscspy interposer but " << manifest_path.string()
                << " does not exist; reinstall the PC/SC library package to restore it\n";
            return 1;
        }
        err << "pcscspy-run: not installed system-wide under " << o.root << " (no " << manifest_path.string() << ")\n";
        return 1;
    }
    Manifest m = read_manifest(manifest_path);
    Layout l;
    l.root = o.root;
    l.dir_in_root = m["dir"];
    l.dir = l.root / l.dir_in_root;
    l.library = l.dir / kLibrary;
    l.backend = l.dir / kBackend;
    l.state_dir = l.root / kStateDir;
    l.manifest = manifest_path;
    l.backup = l.state_dir / kBackup;

    // Every check first: refuse without touching anything.
    auto refuse = [&](const std::string& why) {
        err << "pcscspy-run: refusing: " << why << ". Nothing was changed. Originally " << l.library.string()
            << " was " << describe_original(m) << "; restore it by hand (or reinstall the PC/SC library "
            << "package), then remove " << l.manifest.string() << "\n";
        return 1;
    };
    if (m["state"] != "installed")
        return refuse("half-installed state: a previous --install-system did not finish (state '" + m["state"] + "')");
    auto installed = read_bytes(l.library);
    if (!installed || !fs::is_regular_file(fs::symlink_status(l.library, ec)) ||
        content_hash(*installed) != m["installed_hash"])
        return refuse(l.library.string() + " changed since the installation (a package upgrade?)");
    std::optional<std::string> backup;
    if (m.count("original_backup")) {
        backup = read_bytes(l.backup);
        if (!backup || content_hash(*backup) != m["original_hash"])
            return refuse("the saved original " + l.backup.string() + " is missing or changed");
    }
    if (m["backend"] == "symlink" &&
        (!fs::is_symlink(fs::symlink_status(l.backend, ec)) || fs::read_symlink(l.backend, ec) != m["original_target"]))
        return refuse(l.backend.string() + " is not the link the installation made");

    bool ok = backup ? write_file_atomically(l.library, *backup, static_cast<mode_t>(std::stoul(m["original_mode"], nullptr, 8)))
                     : symlink_atomically(m["original_target"], l.library);
    if (!ok) {
        err << "pcscspy-run: cannot restore " << l.library.string() << "; the installation is unchanged\n";
        return 1;
    }
    if (m["backend"] != "kept") fs::remove(l.backend, ec);
    // ldconfig names the interposer's soname after it while installed.
    fs::path soname_link = l.dir / kInterposerSoname;
    if (fs::is_symlink(fs::symlink_status(soname_link, ec)) && fs::read_symlink(soname_link, ec) == kLibrary)
        fs::remove(soname_link, ec);
    fs::remove(l.backup, ec);
    fs::remove(l.manifest, ec);
    std::string created = m["created_dirs"];
    std::vector<std::string> dirs;
    for (size_t start = 0; start < created.size();) {
        size_t end = created.find(':', start);
        if (end == std::string::npos) end = created.size();
        dirs.push_back(created.substr(start, end - start));
        start = end + 1;
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) fs::remove(l.root / *it, ec);  // only if empty
    run_ldconfig(l.root, err);
    out << "pcscspy-run: restored " << l.library.string() << " (" << describe_original(m) << ")\n";
    return 0;
}

}  // namespace pcscspy::run
