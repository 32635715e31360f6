// How the interposer gets into a process besides LD_PRELOAD (replacement
// libpcsclite.so.1, pcsc-lite 2.1 delegate, the reversible system-wide install)
// and what it forwards to (a missing backend, a backend that is itself).
#include <doctest/doctest.h>

#include <atomic>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <thread>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.hpp"

using namespace pcscspy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

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
        out[fs::relative(p, root).string()] = d.str();
    }
    return out;
}

// A scratch root with its own loader configuration, holding the double as the
// system's PC/SC library (libpcsclite.so.1 -> libpcsclite.so.1.0.0).
struct ScratchRoot {
    TempDir tmp;
    fs::path root = tmp.path();
    fs::path lib = root / "usr/lib" / PCSCSPY_MULTIARCH;

    explicit ScratchRoot(bool library_is_symlink = true) {
        fs::create_directories(lib);
        fs::create_directories(root / "etc");
        std::ofstream(root / "etc/ld.so.conf") << "/usr/lib/" PCSCSPY_MULTIARCH "\n";
        if (library_is_symlink) {
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
};

}  // namespace

TEST_CASE("replace: installed as libpcsclite.so.1 first on the library path it forwards to libpcsclite_real.so.1") {
    Monitored m;
    TempDir libs;
    fs::copy_file(Artifacts::interposer(), libs / "libpcsclite.so.1");
    fs::create_symlink(Artifacts::double_library(), libs / "libpcsclite_real.so.1");
    ChildResult r = run({Artifacts::host(), "basic"}, {{"LD_LIBRARY_PATH", libs.path()}, {"PCSCSPY_SOCKET", m.socket}},
                        kCleanEnv);
    CHECK(r.status == 0);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    CHECK(r.out.find("stringify double error 0x8010000A\n") != std::string::npos);
    std::vector<json> events = m.events();
    std::vector<json> hello = of_type(events, "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["via"] == "replace");
    CHECK(hello[0]["backend"] == libs / "libpcsclite_real.so.1");
    CHECK(calls_of(events, "SCardTransmit").size() == 1);
    CHECK(check_stream(events, true).empty());
}

TEST_CASE("delegate: loaded by a pcsc-lite 2.1 redirector as LIBPCSCLITE_DELEGATE") {
    Monitored m;
    TempDir libs;
    fs::create_symlink(Artifacts::redirector(), libs / "libpcsclite.so.1");
    fs::create_symlink(Artifacts::double_library(), libs / "libpcsclite_real.so.1");
    ChildResult r = run({Artifacts::host(), "basic"},
                        {{"LD_LIBRARY_PATH", libs.path()},
                         {"LIBPCSCLITE_DELEGATE", Artifacts::interposer()},
                         {"PCSCSPY_SOCKET", m.socket}},
                        kCleanEnv);
    CHECK(r.status == 0);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    CHECK(r.out.find("stringify redirector error") != std::string::npos);  // the redirector's own
    std::vector<json> events = m.events();
    std::vector<json> hello = of_type(events, "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["via"] == "delegate");
    CHECK(hello[0]["backend"] == libs / "libpcsclite_real.so.1");
    CHECK(calls_of(events, "SCardEstablishContext").size() == 1);
    CHECK(calls_of(events, "SCardReleaseContext").size() == 1);
}

TEST_CASE("without a backend every call fails as without pcscd and the interposer never forwards to itself") {
    TempDir other;
    fs::copy_file(Artifacts::interposer(), other / "libpcscspy-copy.so");
    struct Case {
        std::string backend;
        std::string reason;  // in hello's backend_error
    };
    const Case cases[] = {
        {"/nonexistent/libpcsclite.so.1", "cannot load the backend"},
        {Artifacts::interposer(), "the backend would be the interposer itself"},
        {other / "libpcscspy-copy.so", "the backend is another pcscspy interposer"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.backend);
        Monitored m;
        ChildResult r = m.run_host({"basic"}, {{"PCSCSPY_BACKEND", c.backend}});
        CHECK(r.status == 0);
        for (const char* step : {"establish", "list", "connect", "transmit", "disconnect", "release"})
            CHECK(r.out.find(std::string(step) + " 0x8010001D\n") != std::string::npos);
        CHECK(r.out.find("stringify Command timeout.\n") != std::string::npos);  // protocol/'s wording
        CHECK(r.err.empty());
        std::vector<json> events = m.events();
        std::vector<json> hello = of_type(events, "hello");
        REQUIRE(hello.size() == 1);
        CHECK(hello[0]["backend"] == "");
        CHECK(hello[0]["backend_error"].get<std::string>().find(c.reason) != std::string::npos);
        for (const json& call : of_type(events, "call")) CHECK(call["rv_name"] == "SCARD_E_NO_SERVICE");
    }
}

TEST_CASE("--install-system puts the interposer in place of libpcsclite.so.1 and --uninstall-system restores it exactly") {
    ScratchRoot s;
    const auto before = snapshot(s.root);
    ChildResult in = s.pcscspy_run("--install-system");
    REQUIRE(in.status == 0);
    CHECK(in.err.empty());
    CHECK(read_all(s.lib / "libpcsclite.so.1") == read_all(Artifacts::interposer()));
    CHECK(fs::read_symlink(s.lib / "libpcsclite_real.so.1") == "libpcsclite.so.1.0.0");

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
    ScratchRoot s(false);
    const auto before = snapshot(s.root);
    REQUIRE(s.pcscspy_run("--install-system").status == 0);
    CHECK(fs::is_regular_file(s.lib / "libpcsclite_real.so.1"));
    CHECK(read_all(s.lib / "libpcsclite_real.so.1") == read_all(Artifacts::double_library()));
    REQUIRE(s.pcscspy_run("--uninstall-system").status == 0);
    CHECK(snapshot(s.root) == before);
}

TEST_CASE("a half-installed or changed state is refused with a clear message and nothing is touched") {
    struct Case {
        const char* name;
        std::function<void(ScratchRoot&)> damage;  // applied after a good install
        bool install_refused, uninstall_refused;
        const char* message;
    };
    const Case cases[] = {
        {"an installation that did not finish",
         [](ScratchRoot& s) {
             fs::path manifest = s.root / "var/lib/pcscspy/system-install";
             std::string text = read_all(manifest);
             text.replace(text.find("state=installed"), 15, "state=installing");
             std::ofstream(manifest) << text;
         },
         true, true, "half-installed"},
        {"the interposer in place with no record",
         [](ScratchRoot& s) { fs::remove_all(s.root / "var/lib/pcscspy"); }, true, true, "half-installed"},
        {"libpcsclite.so.1 replaced since (a package upgrade)",
         [](ScratchRoot& s) {
             fs::remove(s.lib / "libpcsclite.so.1");
             fs::copy_file(Artifacts::double_library(), s.lib / "libpcsclite.so.1");
         },
         true, true, "changed since the installation"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        ScratchRoot s;
        REQUIRE(s.pcscspy_run("--install-system").status == 0);
        c.damage(s);
        const auto damaged = snapshot(s.root);
        ChildResult in = s.pcscspy_run("--install-system");
        ChildResult out = s.pcscspy_run("--uninstall-system");
        CHECK((in.status != 0) == c.install_refused);
        CHECK((out.status != 0) == c.uninstall_refused);
        CHECK(out.err.find(c.message) != std::string::npos);
        CHECK(out.err.find("refusing") != std::string::npos);
        CHECK(snapshot(s.root) == damaged);
    }
    TempDir empty;
    ChildResult none = run({Artifacts::run(), "--install-system", "--root", empty.path()}, {}, kCleanEnv);
    CHECK(none.status == 1);
    CHECK(none.err.find("no libpcsclite.so.1 under") != std::string::npos);
}

TEST_CASE("another shim on the library path still sees the calls: pcsc-lite's own spy behind the interposer") {
    // libpcsclite.so.1 on the library path is pcsc-lite's spy, which forwards to
    // libpcsclite_nospy.so.1 (the double) and logs to the FIFO $HOME/pcsc-spy.
    Monitored m;
    TempDir libs, home;
    fs::create_symlink(PCSCSPY_PCSC_SPY, libs / "libpcsclite.so.1");
    fs::create_symlink(Artifacts::double_library(), libs / "libpcsclite_nospy.so.1");
    REQUIRE(mkfifo((home / "pcsc-spy").c_str(), 0600) == 0);
    int fifo = open((home / "pcsc-spy").c_str(), O_RDWR | O_CLOEXEC);  // a reader that never sees EOF
    REQUIRE(fifo >= 0);
    std::string spied;
    std::atomic<bool> done{false};
    std::thread reader([&] {
        char buf[4096];
        for (;;) {
            pollfd p{fifo, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) {
                ssize_t n = read(fifo, buf, sizeof buf);
                if (n > 0) spied.append(buf, static_cast<size_t>(n));
            } else if (done) {
                return;
            }
        }
    });
    auto env = traced_env(m.socket, {{"LD_LIBRARY_PATH", libs.path()}, {"HOME", home.path()}});
    env.erase("PCSCSPY_BACKEND");  // found by the library search: the spy
    ChildResult r = run({Artifacts::host(), "basic"}, env, kCleanEnv);
    done = true;
    reader.join();
    close(fifo);
    CHECK(r.status == 0);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    std::vector<json> events = m.events();
    std::vector<json> hello = of_type(events, "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["backend"] == libs / "libpcsclite.so.1");
    CHECK(calls_of(events, "SCardTransmit").size() == 1);
    // The spy saw the same calls.
    CHECK(spied.find("SCardEstablishContext") != std::string::npos);
    CHECK(spied.find("SCardTransmit") != std::string::npos);
    CHECK(spied.find("SCardReleaseContext") != std::string::npos);
}
