// One name per process in every view: the executable's, or the script an
// interpreter runs.
#include <doctest/doctest.h>

#include "monitor/model/process_name.hpp"

using namespace pcscspy;

namespace {
ProcessInfo process(std::string exe, std::vector<std::string> argv) {
    ProcessInfo p;
    p.exe = std::move(exe);
    p.argv = std::move(argv);
    return p;
}
}  // namespace

TEST_CASE("a program is named after its executable") {
    CHECK(process_name(process("/usr/bin/opensc-tool", {"opensc-tool", "-a"})) == "opensc-tool");
    CHECK(process_name(process("", {"/opt/x/pkcs11-tool", "-L"})) == "pkcs11-tool");
    CHECK(process_name(process("", {})) == "?");
}

TEST_CASE("a script is named after the script, not its interpreter") {
    CHECK(process_name(process("/usr/bin/python3.11", {"python3", "x.py"})) == "x.py");
    CHECK(process_name(process("/usr/bin/python3.11", {"/usr/bin/python3", "-u", "/work/demo/card_session.py"})) ==
          "card_session.py");
    // scriptor's "#!/usr/bin/perl" line: the kernel runs perl with the script's path.
    CHECK(process_name(process("/usr/bin/perl", {"/usr/bin/perl", "/usr/bin/scriptor", "-r", "x"})) == "scriptor");
    CHECK(process_name(process("/usr/bin/bash", {"bash", "./run.sh"})) == "run.sh");
    // An interpreter given code rather than a script keeps its own name.
    CHECK(process_name(process("/usr/bin/python3.11", {"python3", "-c", "import smartcard; print(1)"})) ==
          "python3.11");
    CHECK(process_name(process("/usr/bin/python3.11", {"python3"})) == "python3.11");
    // Names that only start like an interpreter's are programs.
    CHECK(process_name(process("/usr/bin/shred", {"shred", "f"})) == "shred");
    CHECK(process_name(process("/usr/bin/pythonista", {"pythonista", "f"})) == "pythonista");
}
