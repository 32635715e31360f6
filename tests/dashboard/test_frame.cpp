// Whole screens: the layout at every size from 80x24 up, the message below
// that, overlays, and hostile text from traced programs.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("layout: panes stack without overlap and the call list keeps the most room") {
    for (auto [rows, cols] : {std::pair{24, 80}, {30, 100}, {40, 120}, {60, 200}, {100, 300}}) {
        CAPTURE(rows);
        CAPTURE(cols);
        for (size_t n : {size_t(0), size_t(3), size_t(50)}) {
            Layout l = compute_layout(rows, cols, PaneNeeds{std::max<size_t>(n, 1), std::max<size_t>(n, 1), 18});
            REQUIRE_FALSE(l.too_small);
            CHECK(l.top == Rect{0, 0, 1, cols});
            CHECK(l.footer == Rect{rows - 1, 0, 1, cols});
            CHECK(l.processes.y == 1);
            CHECK(l.readers.y == l.processes.y + l.processes.height);
            CHECK(l.calls.y == l.readers.y + l.readers.height);
            CHECK(l.calls.height - 1 >= 6);
            CHECK(l.calls.height >= l.processes.height);
            if (cols >= kSideBySideCols) {
                CHECK(l.stats.y == l.calls.y);
                CHECK(l.stats.x == l.calls.width + 1);
                CHECK(l.stats.x + l.stats.width == cols);
                CHECK(l.calls.y + l.calls.height == rows - 1);
            } else if (!l.stats.empty()) {
                CHECK(l.stats.y == l.calls.y + l.calls.height);
                CHECK(l.stats.y + l.stats.height == rows - 1);
            }
        }
    }
    CHECK(compute_layout(23, 80, {}).too_small);
    CHECK(compute_layout(24, 79, {}).too_small);
}

TEST_CASE("frame: every size from 80x24 up shows every pane, each line exactly the width") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    for (auto [rows, cols] : {std::pair{24, 80}, {40, 120}, {60, 200}}) {
        CAPTURE(rows);
        CAPTURE(cols);
        Frame f = build_frame(d.now(), d.ui, rows, cols);
        std::vector<std::string> text = frame_text(f);
        REQUIRE(text.size() == static_cast<size_t>(rows));
        std::string all = text_of(f);
        for (std::string_view pane : {"pcscspy-top", "Processes 1", "Readers 2", "Calls 18", "Time by function", "quit"})
            CHECK(all.find(pane) != std::string::npos);
        CHECK(text[0].find("LIVE") != std::string::npos);
        for (const PlacedLine& pl : f.lines) {
            CHECK(pl.y >= 0);
            CHECK(pl.y < rows);
            CHECK(pl.x + static_cast<int>(display_width(pl.line.text())) <= cols);
        }
        for (const std::string& line : text) CHECK(display_width(line) <= static_cast<size_t>(cols));
        // The newest call is on screen.
        CHECK(all.find("ReleaseContext") != std::string::npos);
    }
}

TEST_CASE("frame: below 80x24 the screen says it is too small") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    std::string text = text_of(build_frame(d.now(), d.ui, 20, 70));
    CHECK(text.find("terminal too small: 70x20") != std::string::npos);
    CHECK(text.find("at least 80x24") != std::string::npos);
    CHECK(text.find("Processes") == std::string::npos);
    CHECK(text_of(build_frame(d.now(), d.ui, 3, 10)).size() > 0);  // tiny: no crash
    CHECK(text_of(build_frame(d.now(), d.ui, 0, 0)).empty());
}

TEST_CASE("frame: the top bar counts lost events, bad lines and findings") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    d.feed("this is not JSON");
    d.feed("{\"v\":1,\"type\":\"lost\",\"pid\":4242,\"tid\":4242,\"ts_us\":1764030001000000,\"count\":7}");
    StyledLine bar = top_bar(d.now(), d.ui, 200);
    CHECK(bar.text().find("calls 18") != std::string::npos);
    CHECK(span_with(bar, "lost 7")->role == Role::Paused);  // stands out
    CHECK(span_with(bar, "bad 1")->role == Role::Paused);
    d.info.live = false;
    d.info.source = "session.ndjson";
    bar = top_bar(d.now(), d.ui, 200);
    CHECK(bar.text().find("REPLAY") != std::string::npos);
    CHECK(bar.text().find("session.ndjson") != std::string::npos);
    // Narrow: the least important go first, the counters stay.
    bar = top_bar(d.now(), d.ui, 80);
    CHECK(display_width(bar.text()) == 80);
    CHECK(bar.text().find("calls 18") != std::string::npos);
    CHECK(bar.text().find("lost 7") != std::string::npos);
}

TEST_CASE("frame: the top bar and the process table count what the monitor finds missing, and seq out of order") {
    Dashboard d;
    auto line = [](const std::string& type, const std::string& rest) {
        return R"({"v":1,"type":")" + type + R"(","pid":77,"tid":77,"ts_us":1764030000000000)" + rest + "}";
    };
    auto call = [&](int seq) {
        return line("call", R"(,"seq":)" + std::to_string(seq) +
                                R"(,"fn":"SCardIsValidContext","dur_ns":1000,"rv":0,"in":{"hContext":1},"out":{})");
    };
    d.feed(line("hello", R"(,"exe":"/usr/bin/pcsc_scan","argv":["pcsc_scan"],"via":"preload")"));
    d.feed(call(1));
    d.feed(call(3));
    d.feed(line("bye", R"(,"calls":5,"lost":1)"));  // it reported 1 of the 3 missing (2, 4, 5)
    StyledLine bar = top_bar(d.now(), d.ui, 200);
    REQUIRE(span_with(bar, "lost 3"));
    CHECK(span_with(bar, "lost 3")->role == Role::Paused);
    CHECK(bar.text().find("out of order") == std::string::npos);
    CHECK(text_of(build_frame(d.now(), d.ui, 40, 200)).find("3 events lost") != std::string::npos);
    d.feed(call(3));  // again
    bar = top_bar(d.now(), d.ui, 200);
    REQUIRE(span_with(bar, "out of order 1"));
    CHECK(span_with(bar, "out of order 1")->role == Role::Paused);
    CHECK(bar.text().find("lost 3") != std::string::npos);
}

TEST_CASE("frame: overlays draw inside a frame over the panes") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    d.ui.overlay = Overlay::Help;
    std::vector<std::string> help = frame_text(build_frame(d.now(), d.ui, 24, 80));
    std::string all;
    for (const std::string& l : help) all += l + "\n";
    CHECK(all.find("pcscspy-top keys") != std::string::npos);
    CHECK(all.find("┌") != std::string::npos);
    CHECK(all.find("┘") != std::string::npos);
    // 24 rows cannot show the whole help: it scrolls.
    CHECK(all.find(" of ") != std::string::npos);
    d.ui.help_scroll = 1000;
    all = text_of(build_frame(d.now(), d.ui, 24, 80));
    CHECK(all.find("without colour") != std::string::npos);  // the last lines
}

TEST_CASE("frame: without UTF-8 everything drawn is ASCII") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    d.glyphs = Glyphs::for_locale(false);
    for (Overlay o : {Overlay::None, Overlay::Help, Overlay::Findings}) {
        d.ui.overlay = o;
        for (const std::string& line : frame_text(build_frame(d.now(), d.ui, 40, 120)))
            for (char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);
    }
    d.ui.overlay = Overlay::None;
    CHECK(text_of(build_frame(d.now(), d.ui, 40, 120)).find("->") != std::string::npos);
}

TEST_CASE("frame: hostile reader and exe names are shown escaped, never as control sequences") {
    Dashboard d;
    // ESC sequences, a C1 CSI (U+009B, as the stream escapes it) and a bidi override.
    const std::string reader = "Reader\x1b[H\x1b[2J\xc2\x9b" "31m\xe2\x80\xae";
    d.feed(Events::hello(66, 1'000'000, "/tmp/\x1b]0;pwned\x07sh", {"sh\x1b[5m", "-c"}));
    d.feed(Events::establish(66, 1'000'100, 1, 7));
    d.feed(Events::connect(66, 1'000'200, 2, 7, reader, 70));
    d.feed(Events::transmit(66, 1'000'300, 3, 70, reader, "0084000008", "01020304050607089000"));
    d.feed(Events::status_change(66, 1'100'000, 4, 7, "Other\nReader\r", 0x22, "3B00"));
    d.ui.filter.process = 0;
    d.ui.filter.reader = 0;
    for (Overlay o : {Overlay::None, Overlay::Findings}) {
        d.ui.overlay = o;
        for (StatsTable t : {StatsTable::Functions, StatsTable::Readers, StatsTable::Processes}) {
            d.ui.stats = t;
            Frame f = build_frame(d.now(), d.ui, 40, 160);
            for (const PlacedLine& pl : f.lines)
                for (const Span& s : pl.line.spans)
                    for (size_t i = 0; i < s.text.size(); ++i) {
                        auto c = static_cast<unsigned char>(s.text[i]);
                        CHECK((c >= 0x20 && c != 0x7f));
                        // No C1 control (U+0080-U+009F is C2 80-9F in UTF-8).
                        if (c == 0xC2 && i + 1 < s.text.size())
                            CHECK_FALSE((static_cast<unsigned char>(s.text[i + 1]) >= 0x80 &&
                                         static_cast<unsigned char>(s.text[i + 1]) <= 0x9F));
                    }
        }
    }
    d.ui.overlay = Overlay::None;
    std::string text = text_of(build_frame(d.now(), d.ui, 40, 160));
    CHECK(text.find("Reader\\x1b[H") != std::string::npos);
    CHECK(text.find("\\x1b]0;pwned\\x07sh") != std::string::npos);
    CHECK(text.find("Other\\x0aReader") != std::string::npos);
}

TEST_CASE("frame: nothing time-dependent shown, nothing to animate") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    CHECK_FALSE(build_frame(d.at(d.model.latest_ts_us() + 10'000'000), d.ui, 40, 120).animated);
    CHECK(build_frame(d.now(), d.ui, 40, 120).animated);  // the last calls' lights still fade
    Frame a = build_frame(d.at(d.model.latest_ts_us() + 10'000'000), d.ui, 40, 120);
    Frame b = build_frame(d.at(d.model.latest_ts_us() + 10'000'000), d.ui, 40, 120);
    CHECK(a == b);  // same inputs, same frame: the screen is not touched
}
