// pcscspy-run's note when no monitor listens on its socket, read from a /proc
// made for the test: which monitors run, and whether one captures every program.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "run/monitor_probe.hpp"
#include "support/harness.hpp"

using namespace pcscspy::test;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// /proc/net/unix as the kernel writes it: the path last, abstract names with '@'.
const std::string kUnixHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n";
std::string unix_line(const std::string& path) {
    return "0000000000000000: 00000002 00000000 00000000 0001 01 123456 " + path + "\n";
}

}  // namespace

TEST_CASE("a monitor capturing every program is found by its abstract socket in /proc/net/unix") {
    TempDir proc;
    write_file(proc / std::string("net/unix"), kUnixHeader + unix_line("/run/pcscd/pcscd.comm") +
                                      unix_line("@pcscspy-top/system-capture/4242") + unix_line("@/tmp/.X11-unix/X0"));
    CHECK(pcscspy::run::system_capture_monitor(proc.path()) == 4242);

    // Names that only look alike are not it.
    write_file(proc / std::string("net/unix"), kUnixHeader + unix_line("@pcscspy-top/system-capture/") +
                                      unix_line("@pcscspy-top/system-capture/12x") +
                                      unix_line("/pcscspy-top/system-capture/77") + unix_line("@pcscspy-top/socket"));
    CHECK_FALSE(pcscspy::run::system_capture_monitor(proc.path()));
    // No /proc/net/unix at all (a restricted /proc): nothing found, no failure.
    fs::remove(proc / std::string("net/unix"));
    CHECK_FALSE(pcscspy::run::system_capture_monitor(proc.path()));
}

TEST_CASE("with a monitor capturing every program, pcscspy-run's note says the command is traced there") {
    TempDir dir;
    const std::string socket = dir / "none/socket";
    write_file(dir / "proc/net/unix", kUnixHeader + unix_line("@pcscspy-top/system-capture/4242"));
    CHECK(pcscspy::run::no_monitor_note(socket, "/usr/bin/opensc-tool", dir / "proc") ==
          "pcscspy-run: no monitor listens on " + socket +
              ", but pcscspy-top (pid 4242) captures every program on this machine: opensc-tool is traced there\n");
    // Without it: the usual note, that the command is traced once a monitor listens.
    write_file(dir / "proc/net/unix", kUnixHeader);
    CHECK(pcscspy::run::no_monitor_note(socket, "/usr/bin/opensc-tool", dir / "proc") ==
          "pcscspy-run: no monitor listens on " + socket +
              " yet; opensc-tool runs, and is traced once pcscspy-top listens there\n");
}
