// Fitting text into columns: widths as the terminal counts them, cuts with an
// ellipsis, and sanitising of text from traced programs.
#include <doctest/doctest.h>

#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

using namespace pcscspy::dashboard;

namespace {
const Glyphs kUnicode = Glyphs::for_locale(true);
const Glyphs kAscii = Glyphs::for_locale(false);
}  // namespace

TEST_CASE("display width counts columns, not bytes") {
    struct Case {
        std::string text;
        size_t width;
    } cases[] = {
        {"", 0},
        {"Virtual PCD 00 00", 17},
        {"é", 1},               // 2 bytes, 1 column
        {"e\xcc\x81", 1},       // e + combining acute accent
        {"読取機", 6},          // wide characters
        {"→", 1},
        {"\xff\xfe", 2},        // bytes that are not UTF-8 count one column each
        {"\xe2\x82", 2},        // a sequence cut short
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        CHECK(display_width(c.text) == c.width);
    }
}

TEST_CASE("fit pads or cuts to exactly the width, with an ellipsis") {
    struct Case {
        std::string text;
        size_t width;
        Align align;
        Cut cut;
        std::string expected;
    } cases[] = {
        {"abc", 5, Align::Left, Cut::End, "abc  "},
        {"abc", 5, Align::Right, Cut::End, "  abc"},
        {"abcdefgh", 5, Align::Left, Cut::End, "abcd…"},
        {"abcdefgh", 5, Align::Left, Cut::Middle, "ab…gh"},
        {"Virtual PCD 00 00", 11, Align::Left, Cut::Middle, "Virtu…00 00"},
        {"abc", 0, Align::Left, Cut::End, ""},
        {"abc", 1, Align::Left, Cut::End, "a"},  // no room for more than the ellipsis: plain cut
        {"読取機読取機", 5, Align::Left, Cut::End, "読取…"},
        {"読取機読取機", 6, Align::Left, Cut::End, "読取… "},  // a wide character never straddles the cut
        {"", 3, Align::Right, Cut::End, "   "},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        CAPTURE(c.width);
        std::string got = fit(c.text, c.width, kUnicode, c.align, c.cut);
        CHECK(got == c.expected);
        CHECK(display_width(got) == c.width);
    }
}

TEST_CASE("fit never leaves a combining character without its base") {
    std::string text = "ae\xcc\x81z";  // a, e + accent, z
    CHECK(fit(text, 2, kUnicode) == "a…");
    CHECK(truncate(text, 3, kUnicode) == text);
    CHECK(truncate("e\xcc\x81" "abcdef", 4, kUnicode, Cut::Middle).find("e\xcc\x81") == 0);
}

TEST_CASE("text from traced programs reaches the screen with no control character") {
    struct Case {
        std::string hostile;
        std::string shown;
    } cases[] = {
        {"Reader\x1b[2J\x1b]0;owned\x07", "Reader\\x1b[2J\\x1b]0;owned\\x07"},
        {"tab\there\nnewline\rcr", "tab\\x09here\\x0anewline\\x0dcr"},
        {"c1\xc2\x9b" "31m", "c1\\u009b31m"},                     // C1 CSI
        {"bidi\xe2\x80\xaegnp.exe", "bidi\\u202egnp.exe"},        // Trojan Source
        {"bad\xff utf8", "bad\\xff utf8"},
        {"del\x7f", "del\\x7f"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.hostile);
        std::string shown = display_text(c.hostile, kUnicode);
        CHECK(shown == c.shown);
        for (char ch : shown) CHECK((static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f));
    }
}

TEST_CASE("without a UTF-8 locale every glyph and character becomes ASCII") {
    CHECK(display_text("SELECT → 9000 OK", kAscii) == "SELECT -> 9000 OK");
    CHECK(display_text("Lecteur été", kAscii) == "Lecteur ?t?");
    CHECK(fit("abcdefgh", 5, kAscii) == "abcd~");
    CHECK(kAscii.light_on == "o");
    for (std::string_view g : {kAscii.ellipsis, kAscii.arrow, kAscii.bar_full, kAscii.rule, kAscii.side, kAscii.corner_tl,
                               kAscii.micro})
        for (char c : g) CHECK(static_cast<unsigned char>(c) < 0x80);
    CHECK(format_duration(250'000, kAscii) == "250us");
}

TEST_CASE("durations, rates and uptimes stay short") {
    struct Case {
        int64_t ns;
        std::string text;
    } cases[] = {
        {0, "0µs"},
        {850'000, "850µs"},
        {4'520'000, "4.52ms"},
        {12'340'000, "12.3ms"},
        {123'400'000, "123ms"},
        {1'204'000'000, "1.20s"},
        {12'340'000'000, "12.3s"},
        {123'000'000'000, "2m03s"},
        {3'723'000'000'000, "1h02m"},
        {-5, "0µs"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.ns);
        CHECK(format_duration(c.ns, kUnicode) == c.text);
        CHECK(display_width(format_duration(c.ns, kUnicode)) <= 6);
    }
    CHECK(format_rate(0) == "");
    CHECK(format_rate(0.4) == "0.4/s");
    CHECK(format_rate(42) == "42/s");
    CHECK(format_rate(1234) == "1.2k/s");
    CHECK(format_uptime(7'000'000) == "0:07");
    CHECK(format_uptime(3'723'000'000) == "1:02:03");
    CHECK(format_uptime(90'061'000'000) == "1d 01:01");
    CHECK(sw_hex(0x6A82) == "6A82");
}

TEST_CASE("styled lines are cut and padded to the pane's width") {
    StyledLine l;
    l.add("abc", Role::Strong).add("defgh", Role::Error).add("ij");
    StyledLine cut = fit_line(l, 6, kUnicode);
    CHECK(cut.text() == "abcde…");
    REQUIRE(cut.spans.size() == 2);
    CHECK(cut.spans[1].role == Role::Error);
    StyledLine padded = fit_line(l, 14, kUnicode);
    CHECK(padded.text() == "abcdefghij    ");
    CHECK(line_width(padded) == 14);

    StyledLine left, right;
    left.add("left");
    right.add("right", Role::Dim);
    CHECK(join_left_right(left, right, 12, kUnicode).text() == "left   right");
    CHECK(join_left_right(left, right, 9, kUnicode).text() == "left     ");  // no room: the right part goes
}
