#include "run/system_install.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
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

#include "run/kill_point.hpp"
#include "run/rooted_tree.hpp"

#ifndef PCSCSPY_MULTIARCH
#define PCSCSPY_MULTIARCH "x86_64-linux-gnu"
#endif

extern char** environ;

namespace pcscspy::run {

namespace {

constexpr const char* kLibrary = "libpcsclite.so.1";
constexpr const char* kBackend = "libpcsclite_real.so.1";
constexpr const char* kInterposerSoname = "libpcscspy-interposer.so";
constexpr const char* kJournal = ".pcscspy-journal";  // next to the library, while an operation runs
constexpr const char* kStateDir = "var/lib/pcscspy";
constexpr const char* kManifest = "system-install";  // in kStateDir, while installed
constexpr const char* kBackup = "libpcsclite.so.1.orig";

// Library folders, in the loader's order of preference, relative to the root.
const char* const kLibraryDirs[] = {
    "usr/lib/" PCSCSPY_MULTIARCH, "usr/lib64", "usr/lib", "lib/" PCSCSPY_MULTIARCH, "lib64", "lib",
};

// What an installation changed, as key=value lines. The same record is the
// manifest (state "installed", kept while installed) and the journal of an
// operation under way (state "installing" or "uninstalling", written before its
// first change and removed after its last one). A journal found by the next run
// means the operation was interrupted; either way the next run goes back to
// the original state (an install is rolled back, an uninstall completed),
// every step of which is harmless to repeat.
using Record = std::map<std::string, std::string>;

Record parse_record(const std::string& text) {
    Record r;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        size_t eq = line.find('=');
        if (eq != std::string::npos) r[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return r;
}

std::string format_record(const Record& r) {
    std::string text = "# pcscspy-run --install-system: what --uninstall-system restores. Do not edit.\n";
    for (const auto& [k, v] : r) text += k + "=" + v + "\n";
    return text;
}

std::string field(const Record& r, const std::string& key) {
    auto it = r.find(key);
    return it == r.end() ? std::string() : it->second;
}

bool original_is_link(const Record& r) { return r.count("original_target") != 0; }

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

bool is_interposer(const std::optional<std::string>& bytes) {
    return bytes && bytes->find(kInterposerSoname) != std::string::npos;
}

std::string mode_text(mode_t m) {
    char t[8];
    snprintf(t, sizeof t, "%04o", static_cast<unsigned>(m & 07777));
    return t;
}

std::vector<std::string> split_dirs(const std::string& list) {
    std::vector<std::string> dirs;
    for (size_t start = 0; start < list.size();) {
        size_t end = list.find(':', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) dirs.push_back(list.substr(start, end - start));
        start = end + 1;
    }
    return dirs;
}

std::pair<std::string, std::string> split_last(const std::string& rel) {
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos) return {"", rel};
    return {rel.substr(0, slash), rel.substr(slash + 1)};
}

std::string describe_original(const Record& r) {
    if (original_is_link(r)) return "a symbolic link to " + field(r, "original_target");
    return "a regular file (saved as " + field(r, "original_backup") + ")";
}

// Where the work happens: the folder holding libpcsclite.so.1 (and the journal)
// and the state folder, when it exists.
struct Place {
    const RootedTree& tree;
    std::string dir_rel;
    Folder lib;
    std::optional<Folder> state;

    std::optional<Record> manifest() const {
        if (!state) return std::nullopt;
        auto text = state->read_file(kManifest);
        if (!text) return std::nullopt;
        return parse_record(*text);
    }
    std::optional<Record> journal() const {
        auto text = lib.read_file(kJournal);
        if (!text) return std::nullopt;
        return parse_record(*text);
    }
    bool has(const Folder& f, const char* name) const { return f.entry(name).has_value(); }
};

// The library folder: where a journal is, else where the manifest says, else
// the first library folder holding libpcsclite.so.1.
std::optional<Place> locate(const RootedTree& tree, std::string& problem) {
    std::optional<Folder> state = tree.folder(kStateDir);
    std::vector<std::string> order;
    if (state) {
        if (auto text = state->read_file(kManifest)) order.push_back(field(parse_record(*text), "dir"));
    }
    for (const char* d : kLibraryDirs) order.push_back(d);
    for (const char* wanted : {kJournal, kLibrary}) {
        for (const std::string& d : order) {
            if (d.empty()) continue;
            std::optional<Folder> f = tree.folder(d);
            if (!f) {
                if (errno == ELOOP)
                    problem = "refusing the symbolic link in " + tree.shown(d) +
                              " (this kernel cannot resolve it inside the root)";
                continue;
            }
            if (!f->entry(wanted)) continue;
            return Place{tree, d, std::move(*f), std::move(state)};
        }
    }
    return std::nullopt;
}

// ldconfig for the real root; for a scratch root only when it has its own
// configuration (ldconfig -r, which works chrooted), which keeps the loader cache
// testable. Its complaint that libpcsclite.so.1 is not a symbolic link is
// expected while installed and not repeated.
void run_ldconfig(const RootedTree& tree, std::ostream& err) {
    if (!tree.is_real_root()) {
        auto etc = tree.folder("etc");
        if (!etc || !etc->entry("ld.so.conf")) return;
    }
    std::string exe;
    for (const char* c : {"/sbin/ldconfig", "/usr/sbin/ldconfig"})
        if (access(c, X_OK) == 0) exe = c;
    if (exe.empty()) {
        err << "pcscspy-run: warning: ldconfig not found; run it to refresh the loader cache\n";
        return;
    }
    std::vector<std::string> args = {exe};
    if (!tree.is_real_root()) args.insert(args.end(), {"-r", tree.root()});
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
    kill_point();
}

// Temporary files of a run that was killed in the middle of a replacement.
void remove_temporaries(Place& p) {
    for (const char* name : {kLibrary, kBackend, kJournal}) p.lib.remove_temporary(name);
    if (p.state)
        for (const char* name : {kManifest, kBackup}) p.state->remove_temporary(name);
}

enum class Found { absent, original, ours, other };

Found library_state(const Place& p, const Record& r) {
    auto st = p.lib.entry(kLibrary);
    if (!st) return Found::absent;
    if (S_ISLNK(st->st_mode))
        return original_is_link(r) && p.lib.link_target(kLibrary) == field(r, "original_target") ? Found::original
                                                                                                : Found::other;
    auto bytes = p.lib.read_file(kLibrary);
    if (!bytes) return Found::other;
    const std::string hash = content_hash(*bytes);
    if (!original_is_link(r) && hash == field(r, "original_hash")) return Found::original;
    // A journal of the previous version's format may lack installed_hash.
    if (r.count("installed_hash") ? hash == field(r, "installed_hash") : is_interposer(bytes)) return Found::ours;
    return Found::other;
}

Found backend_state(const Place& p, const Record& r) {
    auto st = p.lib.entry(kBackend);
    if (!st) return Found::absent;
    if (field(r, "backend") == "symlink" && S_ISLNK(st->st_mode) &&
        p.lib.link_target(kBackend) == field(r, "original_target"))
        return Found::ours;
    if (field(r, "backend") == "copy" && S_ISREG(st->st_mode)) {
        auto bytes = p.lib.read_file(kBackend);
        if (bytes && content_hash(*bytes) == field(r, "original_hash")) return Found::ours;
    }
    return Found::other;
}

Found backup_state(const Place& p, const Record& r) {
    if (!p.state || !p.state->entry(kBackup)) return Found::absent;
    auto bytes = p.state->read_file(kBackup);
    return !original_is_link(r) && bytes && content_hash(*bytes) == field(r, "original_hash") ? Found::ours
                                                                                             : Found::other;
}

// Why the original cannot be put back from here (nothing changed yet), or
// nullopt when it can.
std::optional<std::string> restore_problem(const Place& p, const Record& r, bool require_installed) {
    if (field(r, "dir").empty() || (!original_is_link(r) && field(r, "original_hash").empty()))
        return "the record of the installation is incomplete";
    const Found library = library_state(p, r);
    if (library == Found::absent) return p.lib.path(kLibrary) + " is missing";
    if (library == Found::other || (require_installed && library != Found::ours))
        return p.lib.path(kLibrary) + " changed since the installation (a package upgrade?)";
    const Found backup = backup_state(p, r);
    if (backup == Found::other || (library == Found::ours && !original_is_link(r) && backup != Found::ours))
        return "the saved original " + p.tree.shown(std::string(kStateDir) + "/" + kBackup) + " is missing or changed";
    if (field(r, "backend") != "kept" && backend_state(p, r) == Found::other)
        return p.lib.path(kBackend) + " is not what the installation made";
    return std::nullopt;
}

// Puts the original back and removes everything the installation added, the
// journal last. Every step checks what is there, so a run killed anywhere in
// here is finished by the next one. Call after restore_problem() said none.
bool restore_original(Place& p, const Record& r, std::ostream& err) {
    if (library_state(p, r) == Found::ours) {
        bool ok;
        if (original_is_link(r)) {
            ok = p.lib.make_symlink(kLibrary, field(r, "original_target"));
        } else {
            auto backup = p.state ? p.state->read_file(kBackup) : std::nullopt;
            ok = backup &&
                 p.lib.write_file(kLibrary, *backup, static_cast<mode_t>(std::stoul(field(r, "original_mode"), nullptr, 8)));
        }
        if (!ok) {
            err << "pcscspy-run: cannot restore " << p.lib.path(kLibrary) << ": " << strerror(errno) << "\n";
            return false;
        }
    }
    if (field(r, "backend") != "kept" && backend_state(p, r) == Found::ours) p.lib.remove(kBackend);
    // ldconfig names the interposer's soname after it while installed.
    if (p.lib.link_target(kInterposerSoname) == std::string(kLibrary)) p.lib.remove(kInterposerSoname);
    if (p.state) {
        p.state->remove(kBackup);
        p.state->remove(kManifest);
    }
    const std::vector<std::string> created = split_dirs(field(r, "created_dirs"));
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
        auto [parent, name] = split_last(*it);
        if (auto f = p.tree.folder(parent)) f->remove_folder_if_empty(name);
    }
    run_ldconfig(p.tree, err);
    if (!p.lib.remove(kJournal)) {
        err << "pcscspy-run: cannot remove " << p.lib.path(kJournal) << ": " << strerror(errno) << "\n";
        return false;
    }
    return true;
}

int refuse(const Place& p, const Record& r, const std::string& why, std::ostream& err) {
    err << "pcscspy-run: refusing: " << why << ". Nothing was changed. Originally " << p.lib.path(kLibrary) << " was "
        << describe_original(r) << "; restore it by hand (or reinstall the PC/SC library package), then remove "
        << p.tree.shown(std::string(kStateDir) + "/" + kManifest);
    if (p.lib.entry(kJournal)) err << " and " << p.lib.path(kJournal);
    err << "\n";
    return 1;
}

// Finishes what a killed run left: a journal (or a manifest of an installation
// that did not finish, as the previous version left it) means going back to the
// original. Returns false, having said why, when that cannot be done; sets
// recovered when something was.
bool recover(Place& p, std::ostream& out, std::ostream& err, bool& recovered) {
    recovered = false;
    std::optional<Record> r = p.journal();
    if (!r) {
        std::optional<Record> m = p.manifest();
        if (!m || field(*m, "state") == "installed") return true;
        r = std::move(m);
        (*r)["state"] = "installing";
        if (auto why = restore_problem(p, *r, false)) {
            refuse(p, *r, "half-installed state: " + *why, err);
            return false;
        }
        if (!p.lib.write_file(kJournal, format_record(*r), 0644)) {
            err << "pcscspy-run: cannot write " << p.lib.path(kJournal) << ": " << strerror(errno) << "\n";
            return false;
        }
    } else if (auto why = restore_problem(p, *r, false)) {
        refuse(p, *r, "half-installed state: " + *why, err);
        return false;
    }
    if (!restore_original(p, *r, err)) return false;
    recovered = true;
    out << "pcscspy-run: " << (field(*r, "state") == "uninstalling" ? "completed an interrupted --uninstall-system"
                                                                    : "rolled back an interrupted --install-system")
        << ": " << p.lib.path(kLibrary) << " is " << describe_original(*r) << " again\n";
    return true;
}

// The folders of kStateDir that do not exist yet, the outermost first.
std::vector<std::string> missing_state_dirs(const RootedTree& tree) {
    std::vector<std::string> missing;
    const std::string dirs = kStateDir;
    for (size_t end = dirs.find('/');; end = dirs.find('/', end + 1)) {
        std::string prefix = dirs.substr(0, end);
        if (!tree.folder(prefix)) missing.push_back(prefix);
        if (end == std::string::npos) return missing;
    }
}

std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : ":") + p;
    return s;
}

std::optional<RootedTree> open_root(const SystemInstallOptions& o, std::ostream& err) {
    auto tree = RootedTree::open(o.root);
    if (!tree) err << "pcscspy-run: cannot open " << o.root << ": " << strerror(errno) << "\n";
    return tree;
}

bool take_lock(Place& p, const RootedTree& tree, std::ostream& err) {
    if (p.lib.lock()) return true;
    err << "pcscspy-run: another --install-system or --uninstall-system is running on "
        << (tree.is_real_root() ? std::string("/") : tree.root()) << "\n";
    return false;
}

}  // namespace

int install_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err) {
    auto tree = open_root(o, err);
    if (!tree) return 1;
    std::string problem;
    auto place = locate(*tree, problem);
    if (!place) {
        err << "pcscspy-run: no " << kLibrary << " under " << o.root << " (looked in";
        for (const char* d : kLibraryDirs) err << " " << d;
        err << ")" << (problem.empty() ? "" : "; " + problem) << "\n";
        return 1;
    }
    Place& p = *place;
    if (!take_lock(p, *tree, err)) return 1;
    remove_temporaries(p);
    bool recovered = false;
    if (!recover(p, out, err, recovered)) return 1;
    if (recovered) p.state = tree->folder(kStateDir);

    if (auto m = p.manifest()) {
        err << "pcscspy-run: already installed system-wide (" << tree->shown(std::string(kStateDir) + "/" + kManifest)
            << "); run pcscspy-run --uninstall-system first\n";
        return 1;
    }
    if (is_interposer(p.lib.read_file(kLibrary))) {
        err << "pcscspy-run: refusing: half-installed state: " << p.lib.path(kLibrary)
            << " is a pcscspy interposer but " << tree->shown(std::string(kStateDir) + "/" + kManifest)
            << " does not exist; reinstall the PC/SC library package to restore it\n";
        return 1;
    }
    std::string interposer;
    {
        std::ifstream in(o.interposer, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        if (!in) {
            err << "pcscspy-run: cannot read the interposer " << o.interposer << "\n";
            return 1;
        }
        interposer = s.str();
    }
    const bool backend_exists = p.lib.entry(kBackend).has_value();
    if (backend_exists && is_interposer(p.lib.read_file(kBackend))) {
        err << "pcscspy-run: refusing: half-installed state: " << p.lib.path(kBackend) << " is a pcscspy interposer\n";
        return 1;
    }

    // The plan, complete before the first change: it is also how to undo it.
    Record r;
    r["dir"] = p.dir_rel;
    const struct stat st = *p.lib.entry(kLibrary);
    std::optional<std::string> original_bytes;
    if (S_ISLNK(st.st_mode)) {
        auto target = p.lib.link_target(kLibrary);
        if (!target) {
            err << "pcscspy-run: cannot read " << p.lib.path(kLibrary) << ": " << strerror(errno) << "\n";
            return 1;
        }
        r["original_target"] = *target;
    } else {
        original_bytes = p.lib.read_file(kLibrary);
        if (!original_bytes) {
            err << "pcscspy-run: cannot read " << p.lib.path(kLibrary) << "\n";
            return 1;
        }
        r["original_backup"] = std::string(kStateDir) + "/" + kBackup;
        r["original_hash"] = content_hash(*original_bytes);
        r["original_mode"] = mode_text(st.st_mode);
    }
    const std::vector<std::string> created = missing_state_dirs(*tree);
    r["created_dirs"] = join(created);
    r["backend"] = backend_exists ? "kept" : (original_bytes ? "copy" : "symlink");
    r["installed_hash"] = content_hash(interposer);
    r["state"] = "installing";

    if (!p.lib.write_file(kJournal, format_record(r), 0644)) {
        err << "pcscspy-run: cannot write " << p.lib.path(kJournal) << ": " << strerror(errno) << "; nothing changed\n";
        return 1;
    }
    auto fail = [&](const std::string& why) {
        err << "pcscspy-run: install failed (" << why << ")";
        if (!restore_problem(p, r, false) && restore_original(p, r, err))
            err << "; nothing changed\n";
        else
            err << "; run pcscspy-run --uninstall-system" << (tree->is_real_root() ? "" : " --root " + o.root)
                << " to go back\n";
        return 1;
    };
    for (const std::string& d : created) {
        auto [parent, name] = split_last(d);
        auto f = tree->folder(parent);
        if (!f || !f->make_folder(name)) return fail("cannot create " + tree->shown(d) + ": " + strerror(errno));
    }
    p.state = tree->folder(kStateDir);
    if (!p.state) return fail("cannot open " + tree->shown(kStateDir) + ": " + strerror(errno));
    if (original_bytes && !p.state->write_file(kBackup, *original_bytes, 0644))
        return fail("cannot write " + p.state->path(kBackup) + ": " + strerror(errno));
    if (!backend_exists) {
        bool ok = original_bytes ? p.lib.write_file(kBackend, *original_bytes, st.st_mode & 07777)
                                 : p.lib.make_symlink(kBackend, r["original_target"]);
        if (!ok) return fail("cannot create " + p.lib.path(kBackend) + ": " + strerror(errno));
    }
    if (!p.lib.write_file(kLibrary, interposer, 0644))
        return fail("cannot replace " + p.lib.path(kLibrary) + ": " + strerror(errno));
    Record manifest = r;
    manifest["state"] = "installed";
    if (!p.state->write_file(kManifest, format_record(manifest), 0644))
        return fail("cannot write " + p.state->path(kManifest) + ": " + strerror(errno));
    run_ldconfig(*tree, err);
    if (!p.lib.remove(kJournal))
        err << "pcscspy-run: warning: cannot remove " << p.lib.path(kJournal) << ": " << strerror(errno) << "\n";
    out << "pcscspy-run: " << p.lib.path(kLibrary) << " is now the interposer (was " << describe_original(r)
        << ");\n  it forwards to " << p.lib.path(kBackend) << ". Undo with: pcscspy-run --uninstall-system"
        << (tree->is_real_root() ? "" : " --root " + o.root) << "\n";
    return 0;
}

int uninstall_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err) {
    auto tree = open_root(o, err);
    if (!tree) return 1;
    const std::string manifest_path = tree->shown(std::string(kStateDir) + "/" + kManifest);
    std::string problem;
    auto place = locate(*tree, problem);
    if (!place) {
        err << "pcscspy-run: not installed system-wide under " << o.root << " (no " << manifest_path << ")"
            << (problem.empty() ? "" : "; " + problem) << "\n";
        return 1;
    }
    Place& p = *place;
    if (!take_lock(p, *tree, err)) return 1;
    remove_temporaries(p);
    bool recovered = false;
    if (!recover(p, out, err, recovered)) return 1;
    if (recovered) return 0;

    std::optional<Record> m = p.manifest();
    if (!m) {
        if (is_interposer(p.lib.read_file(kLibrary))) {
            err << "pcscspy-run: refusing: half-installed state: " << p.lib.path(kLibrary)
                << " is a pcscspy interposer but " << manifest_path
                << " does not exist; reinstall the PC/SC library package to restore it\n";
            return 1;
        }
        err << "pcscspy-run: not installed system-wide under " << o.root << " (no " << manifest_path << ")\n";
        return 1;
    }
    // Every check first: refuse without touching anything.
    if (auto why = restore_problem(p, *m, true)) return refuse(p, *m, *why, err);
    Record r = *m;
    r["state"] = "uninstalling";
    if (!p.lib.write_file(kJournal, format_record(r), 0644)) {
        err << "pcscspy-run: cannot write " << p.lib.path(kJournal) << ": " << strerror(errno)
            << "; the installation is unchanged\n";
        return 1;
    }
    if (!restore_original(p, r, err)) {
        err << "pcscspy-run: run pcscspy-run --uninstall-system again to finish\n";
        return 1;
    }
    out << "pcscspy-run: restored " << p.lib.path(kLibrary) << " (" << describe_original(r) << ")\n";
    return 0;
}

}  // namespace pcscspy::run
