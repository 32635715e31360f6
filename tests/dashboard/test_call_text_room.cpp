// The call text's room: on wide terminals the call list keeps its width before
// the statistics take a side, S hides them, and ← → scroll a long line.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("layout: the call text keeps its room on wide terminals; S hides the statistics") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    auto summary_width = [&](int cols) {
        Layout l = compute_layout(40, cols, {1, 2, 10}, d.ui.stats_hidden);
        return l.calls.width;
    };
    // Up to kSideBySideCols the statistics go below: the list has the full width.
    for (int cols : {130, 160, 200, 232}) {
        CAPTURE(cols);
        Layout l = compute_layout(40, cols, {1, 2, 10});
        CHECK(l.calls.width == cols);
        CHECK(l.stats.y > l.calls.y);
    }
    // Wider, they go beside it, and the list keeps kCallListWidth columns.
    Layout wide = compute_layout(40, 240, {1, 2, 10});
    CHECK(wide.stats.y == wide.calls.y);
    CHECK(wide.calls.width >= kCallListWidth);
    // The decoded APDU at 160 columns is not cut where it is whole at 130.
    std::string at160 = text_of(build_frame(d.now(), d.ui, 40, 160));
    CHECK(at160.find("SELECT by DF name D27600012401 (OpenPGP card) → 6A82 File or application not found") !=
          std::string::npos);
    // S: no statistics, more calls.
    CHECK(summary_width(240) < 240);
    d.ui.stats_hidden = true;
    CHECK(summary_width(240) == 240);
    Layout hidden = compute_layout(40, 120, {1, 2, 10}, true);
    CHECK(hidden.stats.empty());
    CHECK(hidden.calls.y + hidden.calls.height == 39);
    CHECK(text_of(build_frame(d.now(), d.ui, 40, 120)).find("Time by function") == std::string::npos);
}

TEST_CASE("call list: ← → scroll the call text of every row, within the longest") {
    Keys k;
    k.d.feed(Events::hello(1, 1'000'000, "/usr/bin/alpha"));
    k.d.feed(Events::establish(1, 1'000'100, 1, 11));
    k.d.feed(Events::connect(1, 1'000'200, 2, 11, "Reader A", 111));
    // A long SELECT by name: its AID and SW meaning do not fit at 80 columns.
    k.d.feed(Events::transmit(1, 2'000'000, 3, 111, "Reader A", "00A4040010A0000000030000000000000000000001", "6A82"));
    std::string before = k.screen(30, 80);
    CHECK(before.find("File or application not found") == std::string::npos);
    for (int i = 0; i < 20; ++i) k.press({keys::Right});
    std::string after = k.screen(30, 80);
    CHECK(after.find("not found") != std::string::npos);
    CHECK(k.d.ui.call_scroll > 0);
    CHECK(k.d.ui.call_scroll < 20 * 16);  // clamped to what the longest row needs
    CHECK(after.find("+" + std::to_string(k.d.ui.call_scroll) + " cols") != std::string::npos);
    for (int i = 0; i < 20; ++i) k.press({keys::Left});
    CHECK(k.d.ui.call_scroll == 0);
    CHECK(k.screen(30, 80) == before);
}
