// How the interposer gets into a process besides LD_PRELOAD (replacement
// libpcsclite.so.1, pcsc-lite 2.1 delegate; the system-wide install is in
// test_system_install.cpp) and what it forwards to (a missing backend, a
// backend that is itself).
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
