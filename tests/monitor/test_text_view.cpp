// The text mode: pcsc-spy-like output compared with golden files (no colour),
// every line labelled with its process, each call with its number and start
// time, transmits' data as BER-TLV, --brief's one line per call, colour only when
// asked, and nothing from the stream ever reaching the terminal as a control
// character.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "monitor/io/replay.hpp"
#include "monitor/views/check_report.hpp"
#include "monitor/views/terminal_text.hpp"
#include "monitor/views/text_view.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

// Wall-clock times in the golden files are UTC.
void utc() {
    setenv("TZ", "UTC", 1);
    tzset();
}

std::string replay_text(const std::string& file, TextViewOptions o, bool check) {
    utc();
    SessionModel m;
    std::ostringstream out;
    TextView view(out, o);
    replay_file(data_path(file), m, [&](const SessionModel& model, const CallRecord& c, nlohmann::json* event) {
        view.print_call(model, c, event);
    });
    m.finish();
    view.print_statistics(m);
    if (check) print_check_report(out, m, o.diffable);
    return out.str();
}

// On a mismatch, the actual text is left next to the build for a diff.
void check_golden(const std::string& actual, const std::string& golden) {
    std::string expected = read_file(data_path(golden));
    if (actual != expected) write_file(std::string(PCSCSPY_BINARY_DIR) + "/" + golden + ".actual", actual);
    CHECK_MESSAGE(actual == expected, "differs from tests/data/" << golden << " (see build dir " << golden << ".actual)");
}

std::string text_of(const std::string& events, TextViewOptions o = {}) {
    utc();
    SessionModel m;
    std::ostringstream out;
    TextView view(out, o);
    for (const std::string& l : lines_of(events)) {
        IngestResult r = m.ingest_line(l);
        if (r.call) view.print_call(m, *r.call);
    }
    return out.str();
}

}  // namespace

TEST_CASE("text output of a recorded session matches its golden file") {
    check_golden(replay_text("opensc_tool_session.ndjson", {}, true), "opensc_tool_session.txt");
}

TEST_CASE("diffable text output has placeholders for handles, pointers and times") {
    std::string text = replay_text("opensc_tool_session.ndjson", TextViewOptions{false, true, false}, false);
    check_golden(text, "opensc_tool_session.diffable.txt");
    CHECK(text.find("0x0102020C") == std::string::npos);  // hContext
    CHECK(text.find("0x00015425") == std::string::npos);  // hCard
    CHECK(text.find("hCard: card#1") != std::string::npos);
    CHECK(text.find("[??.??]") != std::string::npos);
}

TEST_CASE("the text mode decodes APDUs, parses part 10 answers and masks PINs") {
    std::string text = replay_text("opensc_tool_session.ndjson", {}, false);
    CHECK(text.find("APDU: SELECT by DF name D27600012401 (OpenPGP card) → 6A82 File or application not found") !=
          std::string::npos);
    CHECK(text.find("Tag FEATURE_IFD_PIN_PROPERTIES is 0x4233000A") != std::string::npos);
    CHECK(text.find("dwControlCode: FEATURE_IFD_PIN_PROPERTIES (0x4233000A)") != std::string::npos);
    CHECK(text.find("00 20 00 81 06 2A 2A 2A 2A 2A 2A") != std::string::npos);
    CHECK(text.find("31 32 33 34 35 36") == std::string::npos);
    std::string shown = replay_text("opensc_tool_session.ndjson", TextViewOptions{false, false, true}, false);
    CHECK(shown.find("00 20 00 81 06 31 32 33 34 35 36") != std::string::npos);
}

TEST_CASE("every line says its process from the first one on, and its thread once it has several") {
    SessionWriter one(300);
    one.hello("/usr/bin/opensc-tool").establish().release();
    std::string text = text_of(one.text);
    for (const std::string& line : lines_of(text)) CHECK(line.starts_with("[300 opensc-tool] "));
    CHECK(text.starts_with("[300 opensc-tool] #1 "));

    SessionWriter a(100), b(200);
    a.hello("/usr/bin/opensc-tool").establish(1);
    b.hello("/usr/bin/python3").establish(2);
    a.call("SCardIsValidContext", R"({"hContext":1})", "{}", 0, 100, "", 101);  // a second thread
    text = text_of(a.text + b.text);
    CHECK(text.find("[200 python3] #1 ") != std::string::npos);
    CHECK(text.find("[100 opensc-tool] #1 ") != std::string::npos);
    CHECK(text.find("[100 tid 101 opensc-tool] #2 ") != std::string::npos);
    std::string diffable = text_of(a.text + b.text, TextViewOptions{false, true, false});
    CHECK(diffable.find("[pid#2 python3] #1 ??:??:??.?????? SCardEstablishContext") != std::string::npos);
}

TEST_CASE("each call has its number (the seq --check and \"continues #N\" cite) and the local time it started") {
    SessionWriter s(4242, 1764030000000000 + 123456);  // 2025-11-25 00:20:00.123456 UTC
    s.hello().establish().connect();
    std::string text = text_of(s.text);
    CHECK(text.find("[4242 opensc-tool] #1 00:20:00.123456 SCardEstablishContext\n") != std::string::npos);
    // establish took 100 us, then 10 us pass: the connect started 110 us later.
    CHECK(text.find("[4242 opensc-tool] #2 00:20:00.123566 SCardConnect\n") != std::string::npos);
}

TEST_CASE("the call a GET RESPONSE continues is found by its number") {
    SessionWriter s;
    s.hello().establish().connect();
    s.transmit("00A4040009A0000003080000100000", "610E");  // #3: SELECT, 14 bytes waiting
    s.transmit("00C000000E", "61114F0600001000010079074F05A0000003089000");  // #4: GET RESPONSE
    std::string text = text_of(s.text);
    size_t at = text.find("continues #3 SELECT");
    REQUIRE(at != std::string::npos);
    CHECK(text.find("[4242 opensc-tool] #3 ") != std::string::npos);
    CHECK(text.find("[4242 opensc-tool] #3 ") < at);
    CHECK(text.find("SCardTransmit\n", text.find("[4242 opensc-tool] #3 ")) < at);
}

TEST_CASE("a transmit's command and response data are shown as BER-TLV, as the detail view decodes them") {
    SessionWriter s;
    s.hello().establish().connect();
    s.transmit("00A4040009A0000003080000100000", "61114F0600001000010079074F05A0000003089000");  // SELECT PIV
    s.transmit("00CB3FFF035C017E00", "7E124F0BA0000003080000100001005F2F0240009000");  // GET DATA discovery object
    SessionModel m;
    std::ostringstream out;
    TextView view(out, {});
    std::vector<std::string> expected;
    for (const std::string& l : lines_of(s.text)) {
        IngestResult r = m.ingest_line(l);
        if (!r.call) continue;
        view.print_call(m, *r.call);
        if (auto x = m.decode_exchange(r.call->ordinal)) {
            for (const TlvLine& t : x->command_tlv) expected.push_back(t.to_string());
            for (const TlvLine& t : x->response_tlv) expected.push_back(t.to_string());
        }
    }
    std::string text = out.str();
    CHECK(expected.size() >= 6);  // the APT's 61/4F/79/4F, the 5C tag list, the 7E's objects
    for (const std::string& e : expected) CHECK_MESSAGE(text.find("     " + e + "\n") != std::string::npos, e);
    CHECK(text.find("   command data:\n") != std::string::npos);
    CHECK(text.find("   response data:\n") != std::string::npos);
    CHECK(text.find("7E Discovery object") != std::string::npos);
}

TEST_CASE("--brief prints one line per call: number, time, function, what it did, duration") {
    SessionWriter s(4242, 1764030000000000);
    s.hello().establish().connect();
    s.transmit("00A4040009A0000003080000100000", "61114F0600001000010079074F05A0000003089000");
    s.card_call("SCardBeginTransaction", 999, 0x80100003);  // an invalid handle
    s.disconnect().release();
    std::string text = text_of(s.text, TextViewOptions{false, false, false, true});
    std::vector<std::string> lines = lines_of(text);
    REQUIRE(lines.size() == 6);
    for (size_t i = 0; i < lines.size(); ++i) CHECK(lines[i].starts_with("[4242 opensc-tool] #" + std::to_string(i + 1) + " 00:20:00."));
    CHECK(lines[1].find(" SCardConnect SHARED, T=0, T=1 → T=1 [0.020000]") != std::string::npos);
    CHECK(lines[2].find(" SCardTransmit SELECT by DF name A00000030800001000 (PIV card application) → 9000 OK") != std::string::npos);
    CHECK(lines[3].ends_with(" SCardBeginTransaction SCARD_E_INVALID_HANDLE [0.000100]"));
    std::string colour = text_of(s.text, TextViewOptions{true, false, false, true});
    CHECK(colour.find("\x1b[34mSCardTransmit\x1b[0m \x1b[36mSELECT by DF name") != std::string::npos);
    CHECK(colour.find("\x1b[32m9000 OK") != std::string::npos);
    CHECK(colour.find("\x1b[01;31mSCARD_E_INVALID_HANDLE\x1b[0m") != std::string::npos);
}

TEST_CASE("colour only when asked, pcsc-spy's colours") {
    SessionWriter s;
    s.hello().establish().call("SCardIsValidContext", R"({"hContext":5})", "{}", 0x80100003);
    std::string plain = text_of(s.text);
    CHECK(plain.find('\x1b') == std::string::npos);
    std::string colour = text_of(s.text, TextViewOptions{true, false, false});
    CHECK(colour.find("[4242 opensc-tool] \x1b[34m#1 00:20:00.000000 SCardEstablishContext\x1b[0m") != std::string::npos);
    CHECK(colour.find("\x1b[01;31m => Invalid handle.") != std::string::npos);
}

TEST_CASE("hostile strings from the stream never reach the terminal as control characters") {
    SessionWriter s;
    s.hello("/tmp/\\u001b[2J\\u001b]0;pwned\\u0007evil").establish();
    s.call("SCardConnect", R"({"hContext":100,"szReader":"Bad\u001b[31mReader\u009b\u202e","dwShareMode":2})",
           R"({"phCard":7,"pdwActiveProtocol":2})", 0, 10, R"(,"ctx":100)");
    SessionWriter other(9);
    other.hello().establish();
    for (bool colour : {false, true}) {
        std::string text = text_of(s.text + other.text + s.text, TextViewOptions{colour, false, false});
        // Our own colour sequences are the only escapes: remove them, nothing must remain.
        for (std::string_view seq : {"\x1b[34m", "\x1b[32m", "\x1b[35m", "\x1b[36m", "\x1b[01;31m", "\x1b[0m"})
            for (size_t pos; (pos = text.find(seq)) != std::string::npos;) text.erase(pos, seq.size());
        CHECK(text.find('\x1b') == std::string::npos);
        CHECK(text.find('\x07') == std::string::npos);
        CHECK(text.find("\xc2\x9b") == std::string::npos);      // C1 CSI
        CHECK(text.find("\xe2\x80\xae") == std::string::npos);  // RIGHT-TO-LEFT OVERRIDE
        CHECK(text.find("Bad\\x1b[31mReader\\u009b\\u202e") != std::string::npos);
    }
    SessionModel m;
    feed_text(m, s.text + other.text);
    m.finish();
    std::ostringstream out;
    TextView(out, {}).print_statistics(m);
    print_check_report(out, m);
    CHECK(out.str().find('\x1b') == std::string::npos);
}

TEST_CASE("TerminalText renders controls visibly and keeps printable UTF-8") {
    struct Case {
        std::string in, out;
    } cases[] = {
        {"plain reader 00 00", "plain reader 00 00"},
        {"Gemalto GemPC Twin", "Gemalto GemPC Twin"},
        {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
        {"a\x1b[2Jb", "a\\x1b[2Jb"},
        {"tab\there\nnl\r", "tab\\x09here\\x0anl\\x0d"},
        {"del\x7f", "del\\x7f"},
        {"c1 \xc2\x9b csi", "c1 \\u009b csi"},
        {"bad \xff\xfe utf8", "bad \\xff\\xfe utf8"},
        {"cut \xe2\x82", "cut \\xe2\\x82"},
        {"bidi \xe2\x80\xae gnp.exe", "bidi \\u202e gnp.exe"},
        {std::string("nul\0x", 5), "nul\\x00x"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.in);
        CHECK(TerminalText::clean(c.in) == c.out);
        CHECK(TerminalText::is_clean(c.out));
        CHECK(TerminalText::is_clean(c.in) == (c.in == c.out));
    }
}
