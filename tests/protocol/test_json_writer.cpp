// JsonWriter is the interposer's hand-written encoder: every output must be what
// nlohmann_json reads back to the same values.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "protocol/json_writer.hpp"

using namespace pcscspy;
using nlohmann::json;

namespace {
json written(auto&& fill, size_t cap = 4096) {
    std::string buf(cap, '\0');
    JsonWriter w(buf.data(), buf.size());
    fill(w);
    REQUIRE_FALSE(w.overflowed());
    return json::parse(buf.substr(0, w.size()));
}
}  // namespace

TEST_CASE("objects, arrays and numbers round-trip through nlohmann_json") {
    json j = written([](JsonWriter& w) {
        w.begin_object();
        w.member_int("v", 1);
        w.member_string("type", "call");
        w.key("neg"); w.integer(INT64_MIN);
        w.key("big"); w.unsigned_integer(UINT64_MAX);
        w.key("zero"); w.integer(0);
        w.key("in");
        w.begin_object();
        w.key("list"); w.begin_array(); w.integer(1); w.null(); w.boolean(true); w.begin_object(); w.end_object(); w.end_array();
        w.key("empty"); w.begin_array(); w.end_array();
        w.end_object();
        w.end_object();
    });
    CHECK(j["v"] == 1);
    CHECK(j["type"] == "call");
    CHECK(j["neg"].get<int64_t>() == INT64_MIN);
    CHECK(j["big"].get<uint64_t>() == UINT64_MAX);
    CHECK(j["zero"] == 0);
    CHECK(j["in"]["list"] == json::parse(R"([1,null,true,{}])"));
    CHECK(j["in"]["empty"].empty());
}

TEST_CASE("strings escape quotes, backslashes and every control character") {
    std::string all;
    for (int c = 0; c < 0x80; ++c) all += static_cast<char>(c);
    json j = written([&](JsonWriter& w) { w.string(all.data(), all.size()); });
    CHECK(j.get<std::string>() == all);

    std::string buf(256, '\0');
    JsonWriter w(buf.data(), buf.size());
    w.string("a\x1b[2Jb\n");
    std::string text = buf.substr(0, w.size());
    CHECK(text == R"("a\u001b[2Jb\n")");
    CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("valid UTF-8 passes through, invalid bytes become \\u00XX") {
    CHECK(written([](JsonWriter& w) { w.string("Lecteur \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xb3"); }) ==
          "Lecteur \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xb3");
    // 0xE9 alone (Latin-1 é), a truncated sequence, an overlong '/', a surrogate.
    const char* bad[] = {"\xe9", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
    for (const char* s : bad) {
        CAPTURE(s);
        std::string buf(64, '\0');
        JsonWriter w(buf.data(), buf.size());
        w.string(s);
        std::string text = buf.substr(0, w.size());
        json j = json::parse(text);  // strict parser: valid UTF-8 only
        std::u32string expected;
        for (const unsigned char* p = reinterpret_cast<const unsigned char*>(s); *p; ++p) expected += char32_t(*p);
        // every byte came out as the code point of the same value
        std::string as_utf8;
        for (char32_t cp : expected) {
            if (cp < 0x80) as_utf8 += char(cp);
            else { as_utf8 += char(0xC0 | (cp >> 6)); as_utf8 += char(0x80 | (cp & 0x3F)); }
        }
        CHECK(j.get<std::string>() == as_utf8);
    }
}

TEST_CASE("random byte strings always give valid JSON") {
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        std::string s(rng() % 40, '\0');
        for (char& c : s) c = static_cast<char>(rng());
        std::string buf(JsonWriter::max_string_bytes(s.size()), '\0');
        JsonWriter w(buf.data(), buf.size());
        w.string(s.data(), s.size());
        REQUIRE_FALSE(w.overflowed());
        CHECK(json::accept(buf.substr(0, w.size())));
    }
}

TEST_CASE("hex is upper case without spaces") {
    const uint8_t b[] = {0x00, 0xA4, 0x04, 0x0F};
    CHECK(written([&](JsonWriter& w) { w.hex(b, 4); }) == "00A4040F");
    CHECK(written([&](JsonWriter& w) { w.hex(b, 0); }) == "");
}

TEST_CASE("a full buffer is reported, never overrun") {
    char buf[8];
    std::fill(std::begin(buf), std::end(buf), 'X');
    JsonWriter w(buf, 6);
    w.begin_object();
    w.member_string("key", "value");
    w.end_object();
    CHECK(w.overflowed());
    CHECK(w.size() <= 6);
    CHECK(buf[6] == 'X');
    CHECK(buf[7] == 'X');
    uint8_t big[100] = {};
    JsonWriter h(buf, 6);
    h.hex(big, 100);
    CHECK(h.overflowed());
    CHECK(h.size() == 0);
}
