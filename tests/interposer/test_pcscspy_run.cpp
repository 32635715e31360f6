// pcscspy-run as a user runs it: from the build tree and from an installed,
// relocated prefix; what it passes down; what it tells.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>

#include "support/harness.hpp"

using namespace pcscspy::test;
namespace fs = std::filesystem;

namespace {

// Runs `host basic` through pcscspy-run; the backend is the double.
ChildResult run_host(const std::string& runner, const std::string& socket, std::vector<std::string> options = {},
                     std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {runner, "--socket", socket, "--backend", Artifacts::double_library()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", Artifacts::host(), "basic"});
    return run(argv, env, kCleanEnv);
}

}  // namespace

TEST_CASE("pcscspy-run runs the command traced with its exit status from the build tree") {
    Monitored m;
    ChildResult r = run_host(Artifacts::run(), m.socket);
    CHECK(r.status == 0);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    CHECK(r.err.empty());
    std::vector<json> events = m.events();
    std::vector<json> hello = of_type(events, "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["exe"] == Artifacts::host());
    CHECK(hello[0]["argv"] == json::array({Artifacts::host(), "basic"}));
    CHECK(hello[0]["via"] == "preload");
    CHECK(hello[0]["backend"] == Artifacts::double_library());
    CHECK(check_stream(events, true).empty());

    CHECK(run({Artifacts::run(), "--", "sh", "-c", "exit 7"}, {}, kCleanEnv).status == 7);
    CHECK(run({Artifacts::run(), "--", "/nonexistent/program"}, {}, kCleanEnv).status == 127);
}

TEST_CASE("pcscspy-run prepends the interposer to LD_PRELOAD and passes the environment down") {
    TempDir dir;
    ChildResult r = run({Artifacts::run(), "--socket", "relative/socket", "--redact", "--", "sh", "-c",
                         "echo \"$LD_PRELOAD|$PCSCSPY_SOCKET|$PCSCSPY_REDACT|$PCSCSPY_BACKEND\""},
                        {{"LD_PRELOAD", "libfoo.so"}}, {"PCSCSPY_SOCKET", "PCSCSPY_REDACT", "PCSCSPY_BACKEND"});
    CHECK(r.status == 0);
    // The shell itself runs with the interposer (and the missing libfoo.so).
    CHECK(r.out.rfind(fs::canonical(Artifacts::interposer()).string() + ":libfoo.so|", 0) == 0);
    CHECK(r.out.find("|" + (fs::current_path() / "relative/socket").string() + "|1|") != std::string::npos);
    CHECK(r.out.find("/libpcsclite.so.1\n") != std::string::npos);  // resolved once, by path
}

TEST_CASE("pcscspy-run warns that a set-uid command will not be traced") {
    if (geteuid() != 0) std::exit(77);  // making a set-uid file owned by root needs root
    TempDir dir;
    fs::copy_file("/bin/true", dir / "true-suid");
    REQUIRE(chmod((dir / "true-suid").c_str(), 04755) == 0);
    ChildResult r = run({Artifacts::run(), "--", dir / "true-suid"}, {}, kCleanEnv);
    CHECK(r.status == 0);
    CHECK(r.err.find("is set-uid: the loader ignores LD_PRELOAD") != std::string::npos);
    ChildResult plain = run({Artifacts::run(), "--quiet", "--", "/bin/true"}, {}, kCleanEnv);
    CHECK(plain.err.empty());
}

TEST_CASE("pcscspy-run says once, before the command runs, when no monitor listens on its socket") {
    TempDir dir;
    const std::string socket = dir / "run/socket";
    // Nobody there: one line naming the socket; the command runs all the same.
    ChildResult none = run({Artifacts::run(), "--socket", socket, "--", "sh", "-c", "echo ran >&2; exit 3"}, {},
                           kCleanEnv);
    CHECK(none.status == 3);
    const std::string notice =
        "pcscspy-run: no monitor listens on " + socket + " yet; sh runs, and is traced once pcscspy-top listens there\n";
    REQUIRE(none.err.ends_with("ran\n"));
    // Another test's monitor capturing every program (ctest -j2) makes it the
    // one line said instead (test_monitor_probe.cpp checks that note).
    const std::string captured = "pcscspy-run: no monitor listens on " + socket + ", but pcscspy-top (pid ";
    if (none.err.starts_with(captured)) {
        CHECK(none.err.find(") captures every program on this machine: sh is traced there\nran\n") != std::string::npos);
        return;
    }
    REQUIRE(none.err.starts_with(notice));
    // The monitors of other tests running beside this one (ctest -j2) are named
    // on lines of their own, each saying where it listens; nothing else is said.
    std::istringstream between(none.err.substr(notice.size(), none.err.size() - notice.size() - 4));
    for (std::string line; std::getline(between, line);) {
        CAPTURE(line);
        CHECK(line.starts_with("pcscspy-run: pcscspy-top (pid "));
    }
    // PCSCSPY_SOCKET is the same choice as --socket.
    ChildResult env = run({Artifacts::run(), "--", "true"}, {{"PCSCSPY_SOCKET", socket}}, kCleanEnv);
    CHECK(env.err.find("no monitor listens on " + socket + " yet") != std::string::npos);
    // --quiet: not a word.
    CHECK(run({Artifacts::run(), "--quiet", "--socket", socket, "--", "true"}, {}, kCleanEnv).err.empty());
    // A folder the interposer would refuse: said why, and that the command runs untraced.
    fs::create_directories(dir / "open");
    chmod((dir / "open").c_str(), 0755);
    ChildResult open = run({Artifacts::run(), "--socket", dir / "open/socket", "--", "true"}, {}, kCleanEnv);
    CHECK(open.err.find("has mode 0755, and traced programs only send through mode 0700; true runs untraced") !=
          std::string::npos);
    // A monitor listening: silence.
    Monitored m;
    CHECK(run({Artifacts::run(), "--socket", m.socket, "--", "true"}, {}, kCleanEnv).err.empty());
}

TEST_CASE("pcscspy-run finds the interposer of its own installation also after the prefix moved") {
    TempDir dir;
    ChildResult install = run({"cmake", "--install", PCSCSPY_BINARY_DIR, "--prefix", dir / "prefix", "--component",
                               "interposer"});
    REQUIRE(install.status == 0);
    fs::rename(dir / "prefix", dir / "moved");
    fs::path runner = dir / "moved/bin/pcscspy-run";
    REQUIRE(fs::exists(runner));
    Monitored m;
    ChildResult r = run_host(runner, m.socket);
    CHECK(r.status == 0);
    CHECK(r.out.find("transmit 0x00000000\n") != std::string::npos);
    CHECK(of_type(m.events(), "hello").size() == 1);
}

TEST_CASE("pcscspy-run rejects bad command lines with one line saying what is wrong") {
    struct Case {
        std::vector<std::string> args;
        const char* message;
    };
    const Case cases[] = {
        {{}, "no command given"},
        {{"--socket"}, "--socket needs a path"},
        {{"--frobnicate", "--", "true"}, "unknown option --frobnicate"},
        {{"--root", "/tmp", "--", "true"}, "--root goes with"},
        {{"--install-system", "--uninstall-system"}, "exclude each other"},
        {{"--install-system", "--", "true"}, "no command goes with"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> argv = {Artifacts::run()};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        ChildResult r = run(argv, {}, kCleanEnv);
        CAPTURE(std::string(c.message));
        CHECK(r.status == 2);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK(r.err.find("(pcscspy-run --help for more)\n") != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // not the whole usage
    }
    ChildResult help = run({Artifacts::run(), "--help"}, {}, kCleanEnv);
    CHECK(help.status == 0);
    CHECK(help.out.find("--install-system") != std::string::npos);
}
