// The fast line reader (simdjson, or nlohmann's SAX parser for what simdjson
// leaves to it) and the reference (protocol's decode_event + facts_from_event)
// agree on every line: recorded sessions, hand-written oddities, and thousands
// of mutations of real lines. When asked for what a view prints (in, out,
// rv_name; same pass), it is exactly what nlohmann's parse of the line holds there.
#include <doctest/doctest.h>

#include <random>

#include "monitor/model/event_facts.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

void check_agree(const std::string& line) {
    EventFacts fast, ref;
    std::optional<EventErrorKind> fast_error = read_event_facts(line, fast);
    DecodedEvent d = decode_event(line);
    CAPTURE(line);
    REQUIRE(fast_error.has_value() == !d.ok());
    if (fast_error) {
        CHECK(*fast_error == d.error->kind);
        return;
    }
    facts_from_event(*d.event, ref);
    CHECK(fast == ref);

    EventFacts with_value;
    nlohmann::json value;
    REQUIRE_FALSE(read_event_facts(line, with_value, nullptr, &value).has_value());
    CHECK(with_value == fast);
    nlohmann::json printed = nlohmann::json::object();
    for (const char* member : {"in", "out", "rv_name"})
        if (auto full = nlohmann::json::parse(line); full.contains(member)) printed[member] = full[member];
    CHECK(value == printed);
}

// Which lexer read the lines `read` gives to read_event_facts.
LineLexerCounts lexed_by(const std::vector<std::string>& lines) {
    LineLexerCounts before = line_lexer_counts();
    EventFacts facts;
    for (const std::string& l : lines) (void)read_event_facts(l, facts);
    LineLexerCounts after = line_lexer_counts();
    return {after.simdjson - before.simdjson, after.nlohmann - before.nlohmann};
}

}  // namespace

TEST_CASE("fast and reference readers agree on recorded sessions") {
    for (const char* file : {"opensc_tool_session.ndjson", "opensc_tool_testbed.ndjson"})
        for (const std::string& line : lines_of(read_file(data_path(file)))) check_agree(line);
}

TEST_CASE("simdjson lexes what producers write; nlohmann only what simdjson refuses or reads otherwise") {
    std::vector<std::string> recorded = lines_of(read_file(data_path("opensc_tool_session.ndjson")));
    LineLexerCounts real = lexed_by(recorded);
    CHECK(real.simdjson == recorded.size());
    CHECK(real.nlohmann == 0);

    const std::string call = R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":{"x":)";
    LineLexerCounts odd = lexed_by({
        call + "1e3}}",                                  // an integer written as a float
        call + "-0.0}}",                                 // a negative zero
        call + "18446744073709551616}}",                 // past 2^64
        call + "\"\\uDC00\"}}",                        // a lone surrogate
        call + "\"a\x01b\"}}",                           // a raw control character
        call + "1} trailing",                            // not one JSON text
        call + "\"" + std::string(300 * 1024, 'A') + "\"}}",  // longer than simdjson's share
    });
    CHECK(odd.simdjson == 0);
    CHECK(odd.nlohmann == 7);
}

TEST_CASE("fast and reference readers agree on odd and bad lines") {
    const std::string lines[] = {
        "",
        "{",
        "[]",
        "null",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":null,"out":null})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":[]})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":-3,"fn":"X","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3.5,"fn":"X","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":18446744073709551615,"fn":"X","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"reader":7})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"rv_name":null,"tid":null})",
        R"({"v":1,"type":"call","pid":1,"pid":5,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"hCard":1},"in":{"hCard":2}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"hCard":"1","hContext":1.5,"pvMem":18446744073709551615}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardGetStatusChange","dur_ns":4,"rv":0,"in":{"rgReaderStates":[{"szReader":"A","dwCurrentState":1},7,{"szReader":"B","x":{"dwEventState":9}}]},"out":{"rgReaderStates":null}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardGetStatusChange","dur_ns":4,"rv":0,"in":{"rgReaderStates":[{"szReader":"A"}]},"out":{"rgReaderStates":[{"szReader":"A","dwEventState":34,"rgbAtr":"3B00"}]}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardListReaders","dur_ns":4,"rv":0,"out":{"mszReaders":["a",1,["b"],"c"],"z_alloc":9,"a_alloc":3,"b_alloc":"x"}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardStatus","dur_ns":4,"rv":0,"out":{"pdwActiveProtocol":"x","pdwProtocol":2}})",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect","ctx":5,"card":6,"reader":"R","in":{"hCard":1}})",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3})",
        R"({"v":1,"type":"hello","pid":1,"ts_us":2,"argv":["a",{}]})",
        R"({"v":1,"type":"hello","pid":1,"ts_us":2,"argv":[["a"]]})",
        R"({"v":1,"type":"hello","pid":1,"ts_us":2,"argv":null,"exe":null,"ppid":null,"ctx":3})",
        R"({"v":1,"type":"hello","pid":1,"ts_us":2,"exe":5})",
        R"({"v":1,"type":"bye","pid":1,"ts_us":2,"calls":1})",
        R"({"v":1,"type":"bye","pid":1,"ts_us":2,"calls":1,"lost":2,"count":3})",
        R"({"v":1,"type":"lost","pid":1,"ts_us":2,"count":3,"lost":4})",
        R"({"v":2,"type":"lost","pid":1,"ts_us":2,"count":3})",
        R"({"v":1.0,"type":"lost","pid":1,"ts_us":2,"count":3})",
        R"({"v":true,"type":"lost","pid":1,"ts_us":2,"count":3})",
        R"({"v":1,"type":"lost","pid":{},"ts_us":2,"count":3})",
        R"({"v":1,"type":"mystery","pid":1,"ts_us":2})",
        R"({"v":1,"type":"lost","pid":1,"ts_us":2,"count":3} trailing)",
        "{\"v\":1,\"type\":\"hello\",\"pid\":1,\"ts_us\":2,\"exe\":\"\xff\xfe\"}",
        // where simdjson and nlohmann might read a line differently
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":-0,"in":{"hCard":-0,"hContext":1e3}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"hCard":-0.0}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"hCard":18446744073709551616}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":-9223372036854775809})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":9223372036854775808,"fn":"X","dur_ns":4,"rv":0})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"szReader":"\uD800"}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"szReader":"\uDC00x"}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"in":{"szReader":"\uD83D\uDE00 \u0000"}})",
        "{\"v\":1,\"type\":\"call\",\"pid\":1,\"ts_us\":2,\"seq\":3,\"fn\":\"X\",\"dur_ns\":4,\"rv\":0,\"in\":{\"szReader\":\"a\x1b[2Jb\"}}",
        "{\"v\":1,\"type\":\"call\",\"pid\":1,\"ts_us\":2,\"seq\":3,\"fn\":\"X\",\"dur_ns\":4,\"rv\":0,\"in\":{\"szReader\":\"a\x7f\xc3\xa9\xed\xa0\x80\"}}",
        "{\"v\":1,\"type\":\"call\",\"pid\":1,\"ts_us\":2,\"seq\":3,\"fn\":\"X\",\"dur_ns\":4,\"rv\":0,\"in\":{\"szReader\":\"\xc0\xaf\"}}",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"X","dur_ns":4,"rv":0,"out":{"pbRecvBuffer":"9000","pbRecvBuffer":"6A82"}})",
        R"( {"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect"} )",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect"}{})",
        R"({"v":1,"type":"begin","pid":01,"ts_us":2,"seq":3,"fn":"SCardConnect"})",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect",})",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect","x":[1,2,]})",
        R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect","x":tru})",
        std::string(R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect"})") + '\0',
        // what follows a NUL counts too (found by fuzz.event_facts: nesting past the NUL)
        std::string(R"({"v":1,"type":"begin","pid":1,"ts_us":2,"seq":3,"fn":"SCardConnect"})") + '\0' +
            std::string(kMaxEventNesting + 1, '['),
        // an argument repeated in its object: the last value counts, whatever its type
        // (the first found by fuzz.event_facts: a reader state's dwEventState, 0 then a float)
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardGetStatusChange","dur_ns":4,"rv":0,"in":{"rgReaderStates":[{"szReader":"A","dwEventState":0,"dwEventState":6.5e42}]}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardGetStatusChange","dur_ns":4,"rv":0,"in":{"rgReaderStates":[{"szReader":"A","szReader":null,"dwCurrentState":1,"dwCurrentState":2}]}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":{"hCard":1,"hCard":"x","pbSendBuffer":"00","pbSendBuffer":7}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":{"hCard":1,"hCard":2}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardGetStatusChange","dur_ns":4,"rv":0,"out":{"rgReaderStates":[{"szReader":"A"}],"rgReaderStates":null}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardListReaders","dur_ns":4,"rv":0,"out":{"mszReaders":["a"],"mszReaders":{},"x_alloc":5,"x_alloc":6,"y_alloc":7}})",
        R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardListReaders","dur_ns":4,"rv":0,"out":{"x_alloc":5,"x_alloc":"z"}})",
    };
    for (const std::string& l : lines) check_agree(l);
}

TEST_CASE("fast and reference readers agree on nesting: as deep as allowed, one deeper, 100,000 deep") {
    const std::string head = R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":{"x":)";
    for (int levels : {kMaxEventNesting - 2, kMaxEventNesting - 1, 100'000}) {
        CAPTURE(levels);
        const std::string line = head + std::string(levels, '[') + std::string(levels, ']') + "}}";
        check_agree(line);
        EventFacts facts;
        nlohmann::json value = 1;
        std::string message;
        auto error = read_event_facts(line, facts, &message, &value);
        CHECK(error.has_value() == (levels > kMaxEventNesting - 2));
        if (error) {
            CHECK(*error == EventErrorKind::TooDeep);
            CHECK(message.find("nested deeper") != std::string::npos);
            CHECK(value.is_null());  // no partial tree handed to a view
        }
    }
}

TEST_CASE("fast and reference readers agree on mutated real lines") {
    std::vector<std::string> seeds = lines_of(read_file(data_path("opensc_tool_session.ndjson")));
    std::mt19937 rng(7);
    const std::string alphabet = "{}[]\",:0123456789-.eEtrufalsn \\x\x01\xff";
    for (int i = 0; i < 3000; ++i) {
        std::string line = seeds[rng() % seeds.size()];
        switch (rng() % 4) {
            case 0: line.resize(rng() % line.size()); break;                                  // truncated
            case 1: line[rng() % line.size()] = alphabet[rng() % alphabet.size()]; break;   // one byte changed
            case 2: line.insert(rng() % line.size(), 1, alphabet[rng() % alphabet.size()]); break;
            case 3: line.erase(rng() % line.size(), 1 + rng() % 8); break;
        }
        check_agree(line);
    }
}
