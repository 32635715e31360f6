#include <doctest/doctest.h>

#include "protocol/hex.hpp"

#include <cstdio>

using namespace pcscspy;

TEST_CASE("parse_hex accepts the forms users paste") {
    struct Case {
        const char* text;
        Bytes bytes;
    } cases[] = {
        {"00A40400", {0x00, 0xA4, 0x04, 0x00}},
        {"00 a4 04 00", {0x00, 0xA4, 0x04, 0x00}},
        {"3B:95:13", {0x3B, 0x95, 0x13}},
        {"3B9513810180 73FF01000B", {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B}},
        {"0x6A82", {0x6A, 0x82}},
        {"  \t\n", {}},
        {"", {}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        HexParse r = parse_hex(c.text);
        REQUIRE(r.ok());
        CHECK(r.bytes == c.bytes);
    }
}

TEST_CASE("parse_hex rejects bad input with a one-line message") {
    const char* bad[] = {"0", "ABC", "00 1", "GG", "00\x1b[31m", "0x", "00-11"};
    for (const char* text : bad) {
        CAPTURE(text);
        HexParse r = parse_hex(text);
        REQUIRE_FALSE(r.ok());
        CHECK(r.bytes.empty());
        CHECK(r.error->message.find('\n') == std::string::npos);
        CHECK(r.error->message.find('\x1b') == std::string::npos);
    }
    CHECK(parse_hex("00 1").error->message.find("odd") != std::string::npos);
    CHECK(parse_hex("0Z").error->position == 1);
}

TEST_CASE("to_hex and to_hex_spaced are upper case") {
    Bytes b{0x00, 0xAB, 0x7F};
    CHECK(to_hex(b) == "00AB7F");
    CHECK(to_hex_spaced(b) == "00 AB 7F");
    CHECK(to_hex(Bytes{}) == "");
    CHECK(to_hex_spaced(Bytes{}) == "");
}

TEST_CASE("hex_dump shows offset, hex and printable ASCII only") {
    Bytes b{'O', 'K', 0x1B, '[', 0x00, 0x7F, 0xC3, 0xA9};
    auto lines = hex_dump(b, 4);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "0000 4F 4B 1B 5B  OK.[");
    CHECK(lines[1] == "0004 00 7F C3 A9  ....");
    Bytes seventeen(17, 0x41);
    auto l2 = hex_dump(seventeen);
    REQUIRE(l2.size() == 2);
    CHECK(l2[1].rfind("0010 41", 0) == 0);
    CHECK(hex_dump(Bytes{}).empty());
}

TEST_CASE("hex_digits pads to the width asked and never cuts a value") {
    struct Case {
        uint64_t value;
        int digits;
        const char* text;
    } cases[] = {
        {0, 2, "00"}, {0x0A, 2, "0A"}, {0xABC, 2, "ABC"}, {0x3F00, 4, "3F00"}, {0x80100069, 8, "80100069"},
        {0, 0, "0"}, {0xFFFFFFFFFFFFFFFF, 2, "FFFFFFFFFFFFFFFF"}, {0x1, 8, "00000001"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.value);
        CHECK(hex_digits(c.value, c.digits) == c.text);
        char expected[32];
        std::snprintf(expected, sizeof expected, "%0*llX", c.digits, static_cast<unsigned long long>(c.value));
        CHECK(hex_digits(c.value, c.digits) == expected);  // the same as printf's
    }
    CHECK(hex2(0x7) == "07");
    CHECK(hex4(0x9000) == "9000");
}

TEST_CASE("printf_string formats short and long texts whole") {
    CHECK(printf_string("%s=%zu (0x%02X)", "Lc", size_t{7}, 7u) == "Lc=7 (0x07)");
    std::string long_text(1000, 'x');
    CHECK(printf_string("[%s]", long_text.c_str()) == "[" + long_text + "]");
    CHECK(printf_string("%s", "") == "");
}
