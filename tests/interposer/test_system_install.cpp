// pcscspy-run --install-system / --uninstall-system on scratch roots (never the
// real system): the interposer in place of libpcsclite.so.1 and back exactly;
// refusal of a state they did not leave; a run killed between any two changes
// recovered by the next one; every path resolved inside --root.
//
// Kill points: the test build of pcscspy-run (pcscspy-run-test-build, never
// installed) SIGKILLs itself at the Nth change to the file system
// ($PCSCSPY_RUN_KILL_AT, run/kill_point.hpp). Marked points rather than a
// ptrace-based killer: deterministic, no ptrace rights needed in a sandbox, and
// one point after every single change, including between writing a temporary
// file and renaming it. The real pcscspy-run does the recovering.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.hpp"

using namespace pcscspy::test;
namespace fs = std::filesystem;

namespace {

constexpr int kKilled = 128 + 9;

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Everything about a tree that uninstall must restore: entries, types, modes,
// link targets and contents.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const fs::path& p = it->path();
        auto st = fs::symlink_status(p);
        std::ostringstream d;
        d << static_cast<int>(st.type()) << " " << std::oct << static_cast<int>(st.permissions());
        if (fs::is_symlink(st)) d << " -> " << fs::read_symlink(p).string();
        else if (fs::is_regular_file(st)) d << " " << std::hash<std::string>{}(read_all(p)) << " " << fs::file_size(p);
        // Lexically: fs::relative would resolve a link and file it under its target's name.
        out[p.lexically_relative(root).string()] = d.str();
    }
    return out;
}

enum class Original { symlink, regular_file };

// A scratch root with its own loader configuration, holding the double as the
// system's PC/SC library: libpcsclite.so.1 -> libpcsclite.so.1.0.0, or the
// library itself as a regular file; in LIBDIR (default the multiarch folder).
struct ScratchRoot {
    TempDir tmp;
    fs::path root = tmp.path();
    fs::path lib;

    explicit ScratchRoot(Original original = Original::symlink, const std::string& libdir = "usr/lib/" PCSCSPY_MULTIARCH)
        : lib(root / libdir) {
        fs::create_directories(lib);
        fs::create_directories(root / "etc");
        std::ofstream(root / "etc/ld.so.conf") << "/usr/lib/" PCSCSPY_MULTIARCH "\n";
        if (original == Original::symlink) {
            fs::copy_file(Artifacts::double_library(), lib / "libpcsclite.so.1.0.0");
            fs::create_symlink("libpcsclite.so.1.0.0", lib / "libpcsclite.so.1");
        } else {
            fs::copy_file(Artifacts::double_library(), lib / "libpcsclite.so.1");
            chmod((lib / "libpcsclite.so.1").c_str(), 0755);
        }
        CHECK(run({"ldconfig", "-r", root.string()}).status == 0);
    }
    ChildResult pcscspy_run(const std::string& what) {
        return run({Artifacts::run(), what, "--root", root.string()}, {}, kCleanEnv);
    }
    // The test build, killed at its kill_at-th change (0: never).
    ChildResult killed_run(const std::string& what, int kill_at, std::map<std::string, std::string> env = {}) {
        env["PCSCSPY_RUN_KILL_AT"] = std::to_string(kill_at);
        return run({PCSCSPY_TEST_RUN_TEST_BUILD, what, "--root", root.string()}, env, kCleanEnv);
    }
};

// The state of a scratch root after a clean installation.
std::map<std::string, std::string> installed_state(Original original) {
    ScratchRoot s(original);
    REQUIRE(s.pcscspy_run("--install-system").status == 0);
    return snapshot(s.root);
}

}  // namespace

TEST_CASE("--install-system puts the interposer in place of libpcsclite.so.1 and --uninstall-system restores it exactly") {
    ScratchRoot s;
    const auto before = snapshot(s.root);
    ChildResult in = s.pcscspy_run("--install-system");
    REQUIRE(in.status == 0);
    CHECK(in.err.empty());
    CHECK(read_all(s.lib / "libpcsclite.so.1") == read_all(Artifacts::interposer()));
    CHECK(fs::read_symlink(s.lib / "libpcsclite_real.so.1") == "libpcsclite.so.1.0.0");
    CHECK_FALSE(fs::exists(fs::symlink_status(s.lib / ".pcscspy-journal")));

    // A program started with no special environment is now traced.
    Monitored m;
    ChildResult r = run({Artifacts::host(), "basic"}, {{"LD_LIBRARY_PATH", s.lib.string()}, {"PCSCSPY_SOCKET", m.socket}},
                        kCleanEnv);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    std::vector<json> hello = of_type(m.events(), "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["via"] == "replace");
    CHECK(hello[0]["backend"] == (s.lib / "libpcsclite_real.so.1").string());

    ChildResult again = s.pcscspy_run("--install-system");
    CHECK(again.status == 1);
    CHECK(again.err.find("already installed") != std::string::npos);

    ChildResult out = s.pcscspy_run("--uninstall-system");
    CHECK(out.status == 0);
    CHECK(snapshot(s.root) == before);  // bytes, links, modes and the loader cache
    ChildResult twice = s.pcscspy_run("--uninstall-system");
    CHECK(twice.status == 1);
    CHECK(twice.err.find("not installed") != std::string::npos);
}

TEST_CASE("a regular-file libpcsclite.so.1 comes back with its bytes and mode") {
    ScratchRoot s(Original::regular_file);
    const auto before = snapshot(s.root);
    REQUIRE(s.pcscspy_run("--install-system").status == 0);
    CHECK(fs::is_regular_file(s.lib / "libpcsclite_real.so.1"));
    CHECK(read_all(s.lib / "libpcsclite_real.so.1") == read_all(Artifacts::double_library()));
    REQUIRE(s.pcscspy_run("--uninstall-system").status == 0);
    CHECK(snapshot(s.root) == before);
}

TEST_CASE("a state they did not leave is refused with a clear message and nothing is touched") {
    struct Case {
        const char* name;
        std::function<void(ScratchRoot&)> damage;  // applied after a good install
        const char* message;
    };
    const Case cases[] = {
        {"the interposer in place with no record", [](ScratchRoot& s) { fs::remove_all(s.root / "var/lib/pcscspy"); },
         "half-installed"},
        {"libpcsclite.so.1 replaced since (a package upgrade)",
         [](ScratchRoot& s) {
             fs::remove(s.lib / "libpcsclite.so.1");
             fs::copy_file(Artifacts::double_library(), s.lib / "libpcsclite.so.1");
         },
         "changed since the installation"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        ScratchRoot s;
        REQUIRE(s.pcscspy_run("--install-system").status == 0);
        c.damage(s);
        const auto damaged = snapshot(s.root);
        ChildResult in = s.pcscspy_run("--install-system");
        ChildResult out = s.pcscspy_run("--uninstall-system");
        CHECK(in.status == 1);
        CHECK(out.status == 1);
        CHECK(out.err.find(c.message) != std::string::npos);
        CHECK(out.err.find("refusing") != std::string::npos);
        CHECK(snapshot(s.root) == damaged);
    }
    TempDir empty;
    ChildResult none = run({Artifacts::run(), "--install-system", "--root", empty.path()}, {}, kCleanEnv);
    CHECK(none.status == 1);
    CHECK(none.err.find("no libpcsclite.so.1 under") != std::string::npos);
}

TEST_CASE("an installation the previous version left unfinished (state=installing) is rolled back by the next run") {
    for (const char* next : {"--install-system", "--uninstall-system"}) {
        CAPTURE(std::string(next));
        ScratchRoot s;
        const auto before = snapshot(s.root);
        REQUIRE(s.pcscspy_run("--install-system").status == 0);
        fs::path manifest = s.root / "var/lib/pcscspy/system-install";
        std::string text = read_all(manifest);
        text.replace(text.find("state=installed"), 15, "state=installing");
        std::ofstream(manifest) << text;
        ChildResult r = s.pcscspy_run(next);
        CHECK(r.status == 0);
        CHECK(r.out.find("rolled back an interrupted --install-system") != std::string::npos);
        if (std::string(next) == "--install-system") {
            CHECK(read_all(s.lib / "libpcsclite.so.1") == read_all(Artifacts::interposer()));
            CHECK(s.pcscspy_run("--uninstall-system").status == 0);
        }
        CHECK(snapshot(s.root) == before);
    }
}

TEST_CASE("--install-system killed between any two of its changes: the next install or uninstall recovers") {
    for (Original original : {Original::symlink, Original::regular_file}) {
        CAPTURE(static_cast<int>(original));
        const auto installed = installed_state(original);
        int points = 0;
        for (int n = 1;; ++n) {
            CAPTURE(n);
            ScratchRoot s(original);
            const auto before = snapshot(s.root);
            ChildResult killed = s.killed_run("--install-system", n);
            if (killed.status == 0) break;  // past its last change
            REQUIRE(killed.status == kKilled);
            ++points;
            const auto interrupted = snapshot(s.root);

            ChildResult undo = s.pcscspy_run("--uninstall-system");
            CHECK(snapshot(s.root) == before);
            if (undo.status != 0) CHECK(undo.err.find("not installed") != std::string::npos);

            // The same interruption, then an install: as if it had not been interrupted.
            ScratchRoot t(original);
            REQUIRE(t.killed_run("--install-system", n).status == kKilled);
            CHECK(snapshot(t.root) == interrupted);
            ChildResult redo = t.pcscspy_run("--install-system");
            if (redo.status != 0) CHECK(redo.err.find("already installed") != std::string::npos);  // killed after its last change
            CHECK(snapshot(t.root) == installed);
            CHECK(t.pcscspy_run("--uninstall-system").status == 0);
            CHECK(snapshot(t.root) == before);
        }
        // journal, folders, backup, backend, library, manifest, ldconfig, journal
        CHECK(points >= (original == Original::symlink ? 12 : 16));
    }
}

TEST_CASE("--uninstall-system killed between any two of its changes: the next uninstall or install recovers") {
    for (Original original : {Original::symlink, Original::regular_file}) {
        CAPTURE(static_cast<int>(original));
        const auto installed = installed_state(original);
        int points = 0;
        for (int n = 1;; ++n) {
            CAPTURE(n);
            ScratchRoot s(original);
            const auto before = snapshot(s.root);
            REQUIRE(s.pcscspy_run("--install-system").status == 0);
            ChildResult killed = s.killed_run("--uninstall-system", n);
            if (killed.status == 0) {
                CHECK(snapshot(s.root) == before);
                break;
            }
            REQUIRE(killed.status == kKilled);
            ++points;

            ChildResult redo = s.pcscspy_run("--uninstall-system");
            CHECK(snapshot(s.root) == before);
            if (redo.status != 0) CHECK(redo.err.find("not installed") != std::string::npos);

            ScratchRoot t(original);
            REQUIRE(t.pcscspy_run("--install-system").status == 0);
            REQUIRE(t.killed_run("--uninstall-system", n).status == kKilled);
            ChildResult in = t.pcscspy_run("--install-system");
            if (in.status != 0) CHECK(in.err.find("already installed") != std::string::npos);  // killed before its first change
            CHECK(snapshot(t.root) == installed);
            CHECK(t.pcscspy_run("--uninstall-system").status == 0);
            CHECK(snapshot(t.root) == before);
        }
        CHECK(points >= 8);
    }
}

TEST_CASE("--root: an absolute symbolic link out of the root is resolved inside it, never followed out") {
    // Another tree on this machine that a link under the root names by its
    // absolute path: it must not change whatever the root holds.
    ScratchRoot outside;
    fs::create_directories(outside.root / "var");
    const auto outside_before = snapshot(outside.root);
    const std::map<std::string, std::string> with_openat2, without_openat2 = {{"PCSCSPY_RUN_WITHOUT_OPENAT2", "1"}};

    SUBCASE("the library folder is a link to a folder outside") {
        for (const auto& env : {with_openat2, without_openat2}) {
            CAPTURE(env.size());
            TempDir tmp;
            fs::path root = tmp.path();
            fs::create_directories(root / "usr/lib");
            fs::create_symlink(outside.lib, root / "usr/lib" / PCSCSPY_MULTIARCH);
            ChildResult r = run({PCSCSPY_TEST_RUN_TEST_BUILD, "--install-system", "--root", root}, env, kCleanEnv);
            CHECK(r.status == 1);
            CHECK(r.err.find("no libpcsclite.so.1 under") != std::string::npos);
            if (!env.empty()) CHECK(r.err.find("refusing the symbolic link") != std::string::npos);
            CHECK(snapshot(outside.root) == outside_before);
        }
    }
    SUBCASE("the state folder is a link to a folder outside") {
        for (const auto& env : {with_openat2, without_openat2}) {
            CAPTURE(env.size());
            ScratchRoot s;
            fs::create_symlink(outside.root / "var", s.root / "var");
            const auto before = snapshot(s.root);
            ChildResult r = run({PCSCSPY_TEST_RUN_TEST_BUILD, "--install-system", "--root", s.root}, env, kCleanEnv);
            CHECK(r.status == 1);
            CHECK(r.err.find("nothing changed") != std::string::npos);
            CHECK(snapshot(s.root) == before);
            CHECK(snapshot(outside.root) == outside_before);
        }
    }
    SUBCASE("an absolute link that lands inside the root is followed there, as the root's own programs see it") {
        ScratchRoot s(Original::symlink, "opt/pcsc");
        fs::create_directories(s.root / "usr/lib");
        fs::create_symlink("/opt/pcsc", s.root / "usr/lib" / PCSCSPY_MULTIARCH);
        REQUIRE(run({"ldconfig", "-r", s.root.string()}).status == 0);
        const auto before = snapshot(s.root);
        REQUIRE_FALSE(fs::exists("/opt/pcsc"));  // followed out of the root, it would lead nowhere
        ChildResult in = s.pcscspy_run("--install-system");
        CHECK(in.status == 0);
        CHECK(read_all(s.root / "opt/pcsc/libpcsclite.so.1") == read_all(Artifacts::interposer()));
        CHECK(s.pcscspy_run("--uninstall-system").status == 0);
        CHECK(snapshot(s.root) == before);
        // Without openat2 such a link is refused, and nothing changes.
        ChildResult refused = run({PCSCSPY_TEST_RUN_TEST_BUILD, "--install-system", "--root", s.root},
                                  without_openat2, kCleanEnv);
        CHECK(refused.status == 1);
        CHECK(refused.err.find("refusing the symbolic link") != std::string::npos);
        CHECK(snapshot(s.root) == before);
    }
}
