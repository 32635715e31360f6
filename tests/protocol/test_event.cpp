// The event schema (contract, schema v1): reading is tolerant of what it does not
// know and strict about what it does, and never throws.
#include <doctest/doctest.h>

#include "protocol/event.hpp"

using namespace pcscspy;
using nlohmann::json;

TEST_CASE("each of the five event types is read") {
    auto hello = decode_event(R"({"v":1,"type":"hello","pid":42,"tid":42,"ts_us":1700000000000000,"ppid":1,"uid":1000,
        "exe":"/usr/bin/opensc-tool","argv":["opensc-tool","-a"],"via":"dlopen",
        "backend":"/usr/lib/x86_64-linux-gnu/libpcsclite.so.1","spy":"0.1.0"})");
    REQUIRE(hello.ok());
    const auto& h = std::get<HelloEvent>(*hello.event);
    CHECK(h.h.pid == 42);
    CHECK(h.argv == std::vector<std::string>{"opensc-tool", "-a"});
    CHECK(h.via == "dlopen");

    auto begin = decode_event(R"({"v":1,"type":"begin","pid":42,"tid":43,"ts_us":5,"seq":7,"fn":"SCardGetStatusChange","ctx":16908812})");
    REQUIRE(begin.ok());
    CHECK(std::get<BeginEvent>(*begin.event).ctx == 16908812);
    CHECK_FALSE(std::get<BeginEvent>(*begin.event).card.has_value());

    auto call = decode_event(R"({"v":1,"type":"call","pid":42,"tid":43,"ts_us":5,"seq":8,"fn":"SCardTransmit",
        "dur_ns":45000000,"rv":0,"rv_name":"SCARD_S_SUCCESS","reader":"Virtual PCD 00 00",
        "in":{"hCard":1,"pbSendBuffer":"0084000008"},"out":{"pbRecvBuffer":"01020304050607089000"}})");
    REQUIRE(call.ok());
    const auto& c = std::get<CallEvent>(*call.event);
    CHECK(c.seq == 8);
    CHECK(c.dur_ns == 45000000);
    CHECK(c.reader == "Virtual PCD 00 00");
    CHECK(c.in["pbSendBuffer"] == "0084000008");

    auto bye = decode_event(R"({"v":1,"type":"bye","pid":42,"tid":42,"ts_us":9,"calls":12,"lost":0})");
    REQUIRE(bye.ok());
    CHECK(std::get<ByeEvent>(*bye.event).calls == 12);

    auto lost = decode_event(R"({"v":1,"type":"lost","pid":42,"tid":42,"ts_us":9,"count":3})");
    REQUIRE(lost.ok());
    CHECK(std::get<LostEvent>(*lost.event).count == 3);
}

TEST_CASE("unknown fields are ignored") {
    auto r = decode_event(R"({"v":1,"type":"lost","pid":1,"tid":1,"ts_us":2,"count":1,"future":{"x":[1,2]}})");
    CHECK(r.ok());
}

TEST_CASE("bad lines give one error of the right kind, never an exception") {
    struct Case {
        const char* line;
        EventErrorKind kind;
    } cases[] = {
        {"", EventErrorKind::MalformedJson},
        {"{\"v\":1,", EventErrorKind::MalformedJson},
        {"\x01\x02garbage\xff", EventErrorKind::MalformedJson},
        {"[1,2]", EventErrorKind::NotAnObject},
        {"\"hello\"", EventErrorKind::NotAnObject},
        {R"({"type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0})", EventErrorKind::MissingField},
        {R"({"v":2,"type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0})", EventErrorKind::UnsupportedVersion},
        {R"({"v":"1","type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"bye","pid":"1","ts_us":1,"calls":0,"lost":0})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"bye","pid":1,"ts_us":1,"calls":-1,"lost":0})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"bye","pid":1,"ts_us":1,"calls":0})", EventErrorKind::MissingField},
        {R"({"v":1,"type":"call","pid":1,"ts_us":1,"seq":1,"fn":"SCardCancel","dur_ns":1,"rv":0,"in":[]})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"hello","pid":1,"ts_us":1,"argv":"opensc-tool"})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"hello","pid":1,"ts_us":1,"argv":["a",2]})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"begin","pid":1,"ts_us":1,"seq":1.5,"fn":"x"})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"lost","pid":18446744073709551615,"ts_us":1,"count":0})", EventErrorKind::WrongType},
        {R"({"v":1,"type":"party","pid":1,"ts_us":1})", EventErrorKind::UnknownType},
        {R"({"v":1,"type":"\u001b[2J","pid":1,"ts_us":1})", EventErrorKind::UnknownType},
    };
    for (const auto& c : cases) {
        std::string line = c.line;
        CAPTURE(line);
        DecodedEvent r;
        CHECK_NOTHROW(r = decode_event(c.line));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->kind == c.kind);
        CHECK_FALSE(r.error->message.empty());
        for (char ch : r.error->message) CHECK((ch >= 0x20 && ch < 0x7F));
    }
}

TEST_CASE("a raw NUL byte makes a line malformed JSON, wherever it is (nlohmann alone would stop there)") {
    const std::string event = R"({"v":1,"type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0})";
    REQUIRE(decode_event(event).ok());
    for (const std::string& line : {event + '\0', event + std::string(1, '\0') + "garbage[[[", std::string(1, '\0') + event,
                                    std::string(R"({"v":1,"type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0,"x":"a)") +
                                        '\0' + "b\"}"}) {
        CAPTURE(line);
        DecodedEvent r = decode_event(line);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->kind == EventErrorKind::MalformedJson);
        CHECK(r.error->message.find("NUL byte at offset " + std::to_string(line.find('\0'))) != std::string::npos);
    }
}

namespace {

// A call whose "in" holds `extra` as the value of an unknown argument.
std::string call_with(const std::string& extra) {
    return R"({"v":1,"type":"call","pid":1,"ts_us":2,"seq":3,"fn":"SCardTransmit","dur_ns":4,"rv":0,"in":{"x":)" +
           extra + "}}";
}

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("a line nested deeper than events ever need is refused as too deep, without a tree of it") {
    // The event object is level 1, "in" level 2: x may add 14 more.
    CHECK(decode_event(call_with(nested(kMaxEventNesting - 2))).ok());
    DecodedEvent deep = decode_event(call_with(nested(kMaxEventNesting - 1)));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error->kind == EventErrorKind::TooDeep);
    CHECK(deep.error->message.find("nested deeper than 16") != std::string::npos);
    CHECK(to_string(EventErrorKind::TooDeep) == "nested too deep");

    // 100,000 levels (200 KB, under the line limit): refused, no crash.
    DecodedEvent hostile = decode_event(call_with(nested(100'000)));
    REQUIRE_FALSE(hostile.ok());
    CHECK(hostile.error->kind == EventErrorKind::TooDeep);
    // Also when only objects nest, or the nesting is not even closed.
    std::string objects;
    for (int i = 0; i < 100'000; ++i) objects += R"({"a":)";
    CHECK(decode_event(call_with(objects)).error->kind == EventErrorKind::TooDeep);

    // Brackets inside strings (escaped quotes too) are text, not nesting.
    const std::string text = R"(")" + nested(40) + R"(\")" + std::string(40, '{') + R"(")";
    CHECK(json_nesting_within(text, 1));
    CHECK(decode_event(call_with(text)).ok());

    // A value already built is measured without recursion.
    nlohmann::json v = nlohmann::json::array();
    nlohmann::json* inner = &v;
    for (int i = 0; i < 100'000; ++i) {
        inner->push_back(nlohmann::json::array());
        inner = &inner->back();
    }
    CHECK_FALSE(json_value_nesting_within(v, kMaxEventNesting));
    CHECK(json_value_nesting_within(nlohmann::json::parse(nested(16)), 16));
    CHECK_FALSE(json_value_nesting_within(nlohmann::json::parse(nested(17)), 16));
    CHECK(decode_event_value(nlohmann::json::parse(call_with(nested(20)))).error->kind == EventErrorKind::TooDeep);
}

TEST_CASE("encode_event gives one line that decodes to the same event") {
    CallEvent c;
    c.h = {1, 99, 100, 1234567};
    c.seq = 3;
    c.fn = "SCardConnect";
    c.dur_ns = 20242;
    c.rv = 0x80100069;
    c.rv_name = "SCARD_W_REMOVED_CARD";
    c.in = {{"szReader", "Virtual PCD 00 00"}, {"dwShareMode", 2}};
    c.reader = "Lecteur \xe9";  // not UTF-8: escaped, not rejected
    std::string line = encode_event(c);
    CHECK(line.find('\n') == std::string::npos);
    auto back = decode_event(line);
    REQUIRE(back.ok());
    const auto& d = std::get<CallEvent>(*back.event);
    CHECK(d.h.pid == 99);
    CHECK(d.h.tid == 100);
    CHECK(d.rv == 0x80100069);
    CHECK(d.in == c.in);
    CHECK(*d.reader == "Lecteur \xc3\xa9");

    HelloEvent h;
    h.h = {1, 5, 5, 6};
    h.argv = {"a b", "\n"};
    auto hb = decode_event(encode_event(h));
    REQUIRE(hb.ok());
    CHECK(std::get<HelloEvent>(*hb.event).argv == h.argv);
    CHECK(type_name(*hb.event) == "hello");
}

TEST_CASE("events can be read from an already parsed value (dump entries)") {
    json j = json::parse(R"({"v":1,"type":"lost","pid":1,"tid":1,"ts_us":2,"count":4})");
    auto r = decode_event_value(j);
    REQUIRE(r.ok());
    CHECK(std::get<LostEvent>(*r.event).count == 4);
}
