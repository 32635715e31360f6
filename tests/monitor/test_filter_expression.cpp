// Filter expressions (monitor/model/call_filter_expression.hpp): which calls of
// a recorded session each expression selects, the error (column and words) for
// each malformed one, and the bounds on huge and hostile input.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "monitor/model/call_filter_expression.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

// The recorded opensc-tool session (pid 4242, calls seq 1-18; transmits 9-12:
// SELECT by name -> 6A82, SELECT 3F00 -> 9000, GET CHALLENGE -> 9000 with 8
// bytes, VERIFY -> 63C2), and a second, hand-written process (pid 5000, a
// python script) with a status-change timeout and two failing calls.
SessionModel recorded_session() {
    SessionModel m;
    feed_file(m, "opensc_tool_session.ndjson");
    const std::string python =
        R"({"v":1,"type":"hello","pid":5000,"tid":5000,"ts_us":1764030001000000,"ppid":1,"uid":1000,)"
        R"("exe":"/usr/bin/python3.11","argv":["python3","/opt/demo/card_session.py"],"via":"preload",)"
        R"("backend":"/usr/lib/libpcsclite.so.1","spy":"0.1.0"})";
    SessionWriter w(5000, 1764030001000100);
    w.establish(7)
        .call("SCardGetStatusChange", R"({"hContext":7,"dwTimeout":1000})", "{}", 0x8010000A, 1'000'000)
        .call("SCardConnect", R"({"hContext":7,"szReader":"Virtual PCD 00 01","dwShareMode":2,"dwPreferredProtocols":3})",
              "{}", 0x8010000C, 300)
        .connect(7, 70)
        .transmit("00A4040007A000000308000000", "9000", 70)
        .call("SCardTransmit", R"({"hCard":70,"pbSendBuffer":"0084000008"})", "{}", 0x80100069, 5'000,
              R"(,"reader":"Virtual PCD 00 00")");
    feed_text(m, python + "\n" + w.text);
    return m;
}

// The calls an expression selects, as "pid:seq".
std::set<std::string> selected(const SessionModel& m, const CallFilterExpression& e) {
    std::set<std::string> out;
    for (const CallRecord& c : m.calls())
        if (e.matches(m, c)) out.insert(std::to_string(c.pid) + ":" + std::to_string(c.seq));
    return out;
}

std::set<std::string> opensc(std::initializer_list<int> seqs) {
    std::set<std::string> out;
    for (int s : seqs) out.insert("4242:" + std::to_string(s));
    return out;
}

std::set<std::string> python(std::initializer_list<int> seqs) {
    std::set<std::string> out;
    for (int s : seqs) out.insert("5000:" + std::to_string(s));
    return out;
}

std::set<std::string> operator+(std::set<std::string> a, const std::set<std::string>& b) {
    a.insert(b.begin(), b.end());
    return a;
}

std::set<std::string> all_opensc() {
    std::set<std::string> s;
    for (int i = 1; i <= 18; ++i) s.insert("4242:" + std::to_string(i));
    return s;
}

}  // namespace

TEST_CASE("filter expressions select the calls of a recorded session") {
    const SessionModel m = recorded_session();
    REQUIRE(m.calls().size() == 24);
    struct Case {
        const char* expression;
        std::set<std::string> calls;
    };
    const Case cases[] = {
        // The issue's examples.
        {"ins==A4 && sw!=9000", opensc({9})},
        {"fn==SCardTransmit && dur>50ms", {}},
        {"fn==SCardTransmit && dur>45ms", opensc({9, 11, 12})},
        // Functions, with or without SCard, any case; contains.
        {"fn==Transmit && dur>45.3ms", opensc({12})},
        {"fn==scardtransmit", opensc({9, 10, 11, 12}) + python({5, 6})},
        {"function contains free", opensc({4, 15, 16})},
        {"fn!=SCardTransmit && pid==4242 && seq<9", opensc({1, 2, 3, 4, 5, 6, 7, 8})},
        // Instruction by byte, by name; the other header bytes.
        {"ins==0xA4", opensc({9, 10}) + python({5})},
        {"ins==VERIFY", opensc({12})},
        {"ins==\"GET CHALLENGE\"", opensc({11}) + python({6})},
        {"ins contains select && pid==4242", opensc({9, 10})},
        {"cla==00 && p1==04 && p2==00", opensc({9}) + python({5})},
        {"ins>=84 && ins<A4", opensc({11}) + python({6})},
        // Status words: exact, patterns, presence, absence.
        {"sw==63XX", opensc({12})},
        {"sw==6xxx", opensc({9, 12})},
        {"sw>=9000", opensc({10, 11}) + python({5})},
        {"sw", opensc({9, 10, 11, 12}) + python({5})},
        {"sw!=9000", opensc({9, 12})},
        {"!(sw==9000)", opensc({1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18}) + python({1, 2, 3, 4, 6})},
        // Durations in every unit.
        {"dur>50ms", opensc({17}) + python({2})},
        {"dur>=20242us", opensc({5, 9, 10, 11, 12, 17}) + python({2, 5})},
        {"dur<2000ns", opensc({15, 16})},
        {"duration>0.9s", python({2})},
        {"dur>=1000µs && dur<3ms", opensc({13})},
        // Return codes and errors: a status-change timeout is no error.
        {"rv==SCARD_E_TIMEOUT", python({2})},
        {"rv==e_timeout || rv==0x8010000C", python({2, 3})},
        {"rv!=0", python({2, 3, 6})},
        {"error", python({3, 6})},
        {"error && !(rv==W_REMOVED_CARD)", python({3})},
        {"rv==SUCCESS && pid==5000", python({1, 4, 5})},
        // Processes: the executable's name or the script it runs.
        {"process==opensc-tool", all_opensc()},
        {"process==card_session.py", python({1, 2, 3, 4, 5, 6})},
        {"proc contains PYTHON", python({1, 2, 3, 4, 5, 6})},
        {"process!=opensc-tool && fn==SCardConnect", python({3, 4})},
        {"pid==4242 && tid==4242 && seq==18", opensc({18})},
        // Readers, applets, decoded text, byte counts.
        {"reader==\"virtual pcd 00 01\"", python({3})},
        {"reader contains \"PCD 00 00\" && pid==5000", python({4, 5, 6})},
        {"!reader && pid==4242", opensc({1, 2, 3, 4, 15, 16, 18})},
        {"applet contains PIV", python({5, 6})},
        {"applet && pid==5000", python({5, 6})},
        {"apdu contains challenge", opensc({11}) + python({6})},
        {"fn==Transmit && received>=10", opensc({11})},
        {"sent==5 && pid==4242", opensc({11})},
        // Connectives: words and symbols, precedence, nesting.
        {"seq>=17 || seq==1 and pid==4242", opensc({1, 17, 18}) + python({})},
        {"(seq>=17 || seq==1) and pid==4242", opensc({1, 17, 18})},
        {"not fn==SCardTransmit and seq<5 and pid eq 4242", opensc({1, 2, 3, 4})},
        {"(ins==A4 || ins==84) && sw==9000", opensc({10, 11}) + python({5})},
        {"!!error", python({3, 6})},
        {"((((error))))", python({3, 6})},
        {"seq>100", {}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.expression);
        auto parsed = CallFilterExpression::parse(c.expression);
        REQUIRE_MESSAGE(parsed.expression, (parsed.error ? parsed.error->text() : ""));
        CHECK(parsed.expression->text() == c.expression);
        CHECK(selected(m, *parsed.expression) == c.calls);
    }
}

TEST_CASE("a malformed filter expression gets an error that says where and what") {
    struct Case {
        std::string expression;
        size_t column;  // 0: about the whole expression
        const char* says;
    };
    const Case cases[] = {
        {"", 0, "empty expression"},
        {"   ", 0, "empty expression"},
        {"ins==", 6, "expected a value after =="},
        {"ins=A4", 4, "= alone is not an operator: compare with =="},
        {"foo==1", 1, "unknown field \"foo\"; the fields are fn, process"},
        {"==9000", 1, "expected a field (fn, process"},
        {"sw 9000", 4, "expected an operator (== != < <= > >= contains) after sw, found \"9000\""},
        {"sw==90", 5, "sw takes 4 hex digits, X for any (9000, 63XX), not \"90\""},
        {"sw==90G0", 5, "sw takes 4 hex digits"},
        {"sw>63XX", 4, "a pattern with X cannot be ordered"},
        {"sw contains 90", 13, "contains applies to text"},
        {"dur>50", 5, "dur needs a unit: 50ms, 50us or 50s?"},
        {"dur>50xs", 5, "dur takes a number and a unit"},
        {"dur>-5ms", 5, "dur takes a number and a unit"},
        {"dur>ms", 5, "dur takes a number and a unit"},
        {"fn==SCardTransmit &&", 21, "expected an expression after &&, found the end"},
        {"fn==SCardTransmit ||", 21, "expected an expression after ||, found the end"},
        {"(ins==A4", 9, "expected ) to close the ( at column 1, found the end"},
        {"ins==A4)", 8, "unexpected ): no ( to close"},
        {"ins==A4 sw==9000", 9, "expected && or || or the end, found \"sw\""},
        {"()", 2, "expected a field"},
        {"!", 2, "expected a field"},
        {"fn<SCardTransmit", 4, "fn is text: compare it with ==, != or contains"},
        {"pid contains 1", 14, "contains applies to text; pid is a number"},
        {"pid==abc", 6, "pid takes a number, not \"abc\""},
        {"pid==99999999999999999999", 6, "pid takes a number"},
        {"cla==100", 6, "cla takes a byte in hex (00 to FF), not \"100\""},
        {"ins>=SELECT", 6, "an instruction name cannot be ordered"},
        {"error==1", 6, "error takes no value: write error or !error"},
        {"rv==E_BOGUS", 5, "unknown return code \"E_BOGUS\""},
        {"rv>0", 4, "rv is compared with == or != only"},
        {"rv==0x1FFFFFFFF", 5, "rv is 32 bits"},
        {"reader==\"Virtual", 9, "unterminated string: a \" is missing"},
        {"reader==\"a\\nb\"", 11, "unknown escape \\n"},
        {"reader==\"a\\", 9, "unterminated string"},
        {"fn==a & b", 7, "& alone is not an operator"},
        {"fn==a | b", 7, "| alone is not an operator"},
        {"fn==#", 5, "unexpected character \"#\""},
        {std::string("fn==\x01"), 5, "control character (byte 0x01)"},
        {std::string("fn==a\0b", 7), 6, "control character (byte 0x00)"},
        {"reader==\"a\tb\"", 11, "control character (byte 0x09) in a string"},
        {"fn==a\x1b[31m", 6, "control character (byte 0x1B)"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.expression);
        auto parsed = CallFilterExpression::parse(c.expression);
        CHECK_FALSE(parsed.expression);
        REQUIRE(parsed.error);
        CHECK(parsed.error->column == c.column);
        CHECK_MESSAGE(parsed.error->message.find(c.says) != std::string::npos, parsed.error->message);
        // The text names the column.
        if (c.column) CHECK(parsed.error->text().starts_with("column " + std::to_string(c.column) + ": "));
    }
}

TEST_CASE("huge and deeply nested filter expressions are bounded") {
    const SessionModel m = recorded_session();
    SUBCASE("longer than the limit: refused as a whole") {
        std::string e = "fn==SCardTransmit";
        while (e.size() <= kFilterMaxBytes) e += " || fn==SCardTransmit";
        auto parsed = CallFilterExpression::parse(e);
        REQUIRE(parsed.error);
        CHECK(parsed.error->column == 0);
        CHECK(parsed.error->message.find("too long") != std::string::npos);
    }
    SUBCASE("a long flat chain up to the limit is fine (chains are not deep)") {
        std::string e = "seq==1";
        while (e.size() + 10 < kFilterMaxBytes) e += "||seq==99";
        auto parsed = CallFilterExpression::parse(e);
        REQUIRE(parsed.expression);
        CHECK(selected(m, *parsed.expression) == opensc({1}) + python({1}));
    }
    SUBCASE("nesting up to the limit is fine, one more level is refused") {
        auto nested = [](size_t depth) { return std::string(depth, '(') + "error" + std::string(depth, ')'); };
        auto ok = CallFilterExpression::parse(nested(kFilterMaxDepth));
        REQUIRE(ok.expression);
        CHECK(selected(m, *ok.expression) == python({3, 6}));
        auto deep = CallFilterExpression::parse(nested(kFilterMaxDepth + 1));
        REQUIRE(deep.error);
        CHECK(deep.error->column == kFilterMaxDepth + 1);
        CHECK(deep.error->message.find("nested too deeply") != std::string::npos);
        auto nots = CallFilterExpression::parse(std::string(2000, '!') + "error");
        REQUIRE(nots.error);
        CHECK(nots.error->message.find("nested too deeply") != std::string::npos);
        auto opens = CallFilterExpression::parse(std::string(4000, '('));
        REQUIRE(opens.error);
        CHECK(opens.error->message.find("nested too deeply") != std::string::npos);
    }
    SUBCASE("a string literal as long as the limit allows") {
        auto parsed = CallFilterExpression::parse("reader==\"" + std::string(4000, 'x') + "\"");
        REQUIRE(parsed.expression);
        CHECK(selected(m, *parsed.expression).empty());
    }
}

TEST_CASE("hostile bytes in a filter expression: errors or harmless matches, never a crash") {
    const SessionModel m = recorded_session();
    // Non-ASCII and invalid UTF-8 are text like any other (they match nothing here).
    for (std::string e : {std::string("reader==\xff\xfe"), std::string("process==\xe2\x80\xae"
                                                                        "abc"),
                          std::string("reader==\"\xc3\x28\"")}) {
        CAPTURE(e);
        auto parsed = CallFilterExpression::parse(e);
        REQUIRE(parsed.expression);
        CHECK(selected(m, *parsed.expression).empty());
    }
    // Random token soup, from a fixed seed: every outcome is an expression or an
    // error pointing inside the text (or at its end).
    const std::vector<std::string> pieces = {"fn", "sw", "ins", "dur", "rv", "error", "process", "==", "!=", "<", ">=",
                                             "contains", "&&", "||", "!", "(", ")", "\"", "\\", "9000", "63XX", "50ms",
                                             "A4", "SELECT", "and", "or", "not", " ", "=", "&", "|", "\x01", "\xff", "#"};
    std::mt19937 rng(12);
    size_t parsed_ok = 0, refused = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string e;
        const size_t n = rng() % 12;
        for (size_t i = 0; i < n; ++i) e += pieces[rng() % pieces.size()];
        auto parsed = CallFilterExpression::parse(e);
        CHECK((parsed.expression != nullptr) != parsed.error.has_value());
        if (parsed.expression) {
            ++parsed_ok;
            (void)selected(m, *parsed.expression);
        } else {
            ++refused;
            CHECK(parsed.error->column <= e.size() + 1);
            CHECK_FALSE(parsed.error->message.empty());
        }
    }
    CHECK(parsed_ok > 100);  // the soup does contain valid expressions
    CHECK(refused > 100);
}

TEST_CASE("the help lists every field once, with what it takes") {
    std::vector<std::string> lines = CallFilterExpression::field_help();
    REQUIRE(lines.size() == 18);
    CHECK(lines[0].starts_with("fn|function"));
    bool sw = false;
    for (const std::string& l : lines) sw = sw || (l.starts_with("sw ") && l.find("63XX") != std::string::npos);
    CHECK(sw);
}
