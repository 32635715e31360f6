// Real clients against the real test bed (pcscd + the emulated card), traced by
// pcscspy-run: each one's output is the same as without it, and the events say
// what happened (right APDUs and status words, seq order, begin/call pairs,
// a hello that names the program).
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <unistd.h>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <sys/wait.h>

#include "support/harness.hpp"

using namespace pcscspy::test;
using namespace std::chrono_literals;

namespace {

const std::string kReader = getenv("PCSCSPY_TESTBED_READER") ? getenv("PCSCSPY_TESTBED_READER") : "Virtual PCD 00 00";

struct Traced {
    ChildResult plain, traced;
    std::vector<json> events;
};

// Runs argv as is, then through pcscspy-run onto a listener; returns both
// outcomes and the events.
Traced run_both(const std::vector<std::string>& argv) {
    Traced t;
    t.plain = run(argv, {}, kCleanEnv);
    Monitored m;
    std::vector<std::string> traced = {Artifacts::run(), "--socket", m.socket, "--"};
    traced.insert(traced.end(), argv.begin(), argv.end());
    t.traced = run(traced, {}, kCleanEnv);
    t.events = m.events();
    CHECK(m.parse_errors.empty());
    return t;
}

void check_same_output(const Traced& t) {
    CHECK(t.plain.status == 0);
    CHECK(t.traced.status == t.plain.status);
    CHECK(t.traced.out == t.plain.out);
    CHECK(t.traced.err == t.plain.err);
}

json hello_of(const std::vector<json>& events) {
    std::vector<json> hello = of_type(events, "hello");
    REQUIRE(hello.size() == 1);
    CHECK(hello[0]["backend"].get<std::string>().find("libpcsclite.so.1") != std::string::npos);
    CHECK(hello[0]["spy"] == PCSCSPY_VERSION);
    return hello[0];
}

// The SCardTransmit call that sent `command` (hex), or null.
json transmit_of(const std::vector<json>& events, const std::string& command) {
    for (const json& c : calls_of(events, "SCardTransmit"))
        if (c["in"]["pbSendBuffer"] == command) return c;
    return nullptr;
}

}  // namespace

TEST_CASE("opensc_tool") {
    Traced t = run_both({"opensc-tool", "-a"});
    check_same_output(t);
    CHECK(t.plain.err.find("Using reader with a card: " + kReader) != std::string::npos);
    CHECK(t.plain.out == "3b:95:13:81:01:80:73:ff:01:00:0b\n");
    json hello = hello_of(t.events);
    CHECK(hello["exe"] == "/usr/bin/opensc-tool");
    CHECK(hello["argv"] == json::array({"opensc-tool", "-a"}));
    CHECK(hello["via"] == "dlopen");  // OpenSC dlopens libpcsclite.so.1
    CHECK(check_stream(t.events, true).empty());
    bool connected = false, atr = false;
    for (const json& c : calls_of(t.events, "SCardConnect"))
        connected |= c["reader"] == kReader && c["rv_name"] == "SCARD_S_SUCCESS";
    for (const json& c : calls_of(t.events, "SCardGetStatusChange"))
        for (const json& s : c["out"]["rgReaderStates"]) atr |= s["szReader"] == kReader && s["rgbAtr"] == "3B951381018073FF01000B";
    CHECK(connected);
    CHECK(atr);
    CHECK(of_type(t.events, "bye").size() == 1);
}

TEST_CASE("opensc_tool_apdus") {
    Traced t = run_both({"opensc-tool", "-r", "0", "-s", "00:A4:04:00:07:A0:00:00:00:03:08:00", "-s", "00:84:00:00:08"});
    CHECK(t.traced.status == 0);
    CHECK(check_stream(t.events, true).empty());
    json select = transmit_of(t.events, "00A4040007A0000000030800");
    REQUIRE_FALSE(select.is_null());
    CHECK(select["out"]["pbRecvBuffer"] == "6A82");
    CHECK(select["reader"] == kReader);
    json challenge = transmit_of(t.events, "0084000008");
    REQUIRE_FALSE(challenge.is_null());
    std::string answer = challenge["out"]["pbRecvBuffer"];
    CHECK(answer.size() == 20);
    CHECK(answer.substr(16) == "9000");
    CHECK(challenge["out"]["pcbRecvLength"] == 10);
    // What opensc-tool printed is what the card answered.
    std::string shown;
    for (size_t i = 0; i < 16; i += 2) shown += answer.substr(i, 2) + " ";
    CHECK(t.traced.out.find(shown) != std::string::npos);
}

TEST_CASE("pyscard") {
    Traced t = run_both({"/usr/bin/python3", PCSCSPY_TEST_SOURCE_DIR "/testbed/pyscard_apdus.py"});
    check_same_output(t);
    CHECK(t.plain.out.find("0084000008 8 9000") != std::string::npos);
    json hello = hello_of(t.events);
    CHECK(hello["via"] == "dlopen");  // pyscard dlopens libpcsclite.so.1
    CHECK(hello["argv"][1] == PCSCSPY_TEST_SOURCE_DIR "/testbed/pyscard_apdus.py");
    CHECK(hello["exe"].get<std::string>().find("python3") != std::string::npos);
    CHECK(check_stream(t.events, true).empty());
    json select = transmit_of(t.events, "00A4040007A0000000030800");
    REQUIRE_FALSE(select.is_null());
    CHECK(select["out"]["pbRecvBuffer"] == "6A82");
    CHECK(select["rv_name"] == "SCARD_S_SUCCESS");
    json challenge = transmit_of(t.events, "0084000008");
    REQUIRE_FALSE(challenge.is_null());
    CHECK(challenge["out"]["pbRecvBuffer"].get<std::string>().size() == 20);
    CHECK(challenge["reader"] == kReader);
}

TEST_CASE("pcsc_scan") {
    Traced readers = run_both({"pcsc_scan", "-r"});
    check_same_output(readers);
    json hello = hello_of(readers.events);
    CHECK(hello["via"] == "preload");  // pcsc_scan is linked with libpcsclite
    CHECK(hello["exe"] == "/usr/bin/pcsc_scan");
    CHECK(check_stream(readers.events, true).empty());
    bool listed = false;
    for (const json& c : calls_of(readers.events, "SCardListReaders"))
        if (c["out"].contains("mszReaders"))
            for (const json& r : c["out"]["mszReaders"]) listed |= r == kReader;
    CHECK(listed);

    // Cards once (-c): the same apart from the time stamp it prints.
    Traced cards = run_both({"pcsc_scan", "-c"});
    static const std::regex kDate(R"(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})");
    CHECK(cards.traced.status == cards.plain.status);
    CHECK(std::regex_replace(cards.traced.out, kDate, "DATE") == std::regex_replace(cards.plain.out, kDate, "DATE"));
    bool atr = false;
    for (const json& c : calls_of(cards.events, "SCardGetStatusChange"))
        if (c["out"].contains("rgReaderStates"))
            for (const json& s : c["out"]["rgReaderStates"]) atr |= s["rgbAtr"] == "3B951381018073FF01000B";
    CHECK(atr);
}

TEST_CASE("socat_listener") {
    // The issue's "done when": a plain socat as the listener gets valid events
    // from pcscspy-run -- opensc-tool -a and pcscspy-run -- pcsc_scan.
    TempDir dir;
    std::string socket = dir / "socket", file = dir / "events.ndjson";
    Child socat({"socat", "-u", "UNIX-LISTEN:" + socket + ",fork", "OPEN:" + file + ",creat,append"}, {}, kCleanEnv);
    for (int i = 0; i < 100 && access(socket.c_str(), F_OK) != 0; ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(access(socket.c_str(), F_OK) == 0);
    CHECK(run({Artifacts::run(), "--socket", socket, "--", "opensc-tool", "-a"}, {}, kCleanEnv).status == 0);
    CHECK(run({Artifacts::run(), "--socket", socket, "--", "pcsc_scan", "-r"}, {}, kCleanEnv).status == 0);
    std::this_thread::sleep_for(500ms);
    kill(socat.pid(), SIGTERM);
    socat.wait(5s);

    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<std::string> errors;
    std::vector<json> events = parse_events(lines, errors);
    CHECK(errors.empty());
    std::vector<json> hellos = of_type(events, "hello");
    REQUIRE(hellos.size() == 2);
    CHECK(hellos[0]["exe"] == "/usr/bin/opensc-tool");
    CHECK(hellos[1]["exe"] == "/usr/bin/pcsc_scan");
    CHECK(of_type(events, "bye").size() == 2);
    CHECK(check_stream(events, true).empty());
}
