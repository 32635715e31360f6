// Activity lights over time: in flight, then the result fading.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("a result lights bright, then normal, then dim, then the light is idle") {
    Activity a;
    a.last_success_us = 10'000'000;
    struct Step {
        int64_t after_us;
        Light light;
    } steps[] = {
        {-200'000, {LightKind::Success, LightLevel::Bright}},  // clocks of traced processes may run ahead
        {0, {LightKind::Success, LightLevel::Bright}},
        {499'999, {LightKind::Success, LightLevel::Bright}},
        {500'000, {LightKind::Success, LightLevel::Normal}},
        {999'999, {LightKind::Success, LightLevel::Normal}},
        {1'000'000, {LightKind::Success, LightLevel::Dim}},
        {1'499'999, {LightKind::Success, LightLevel::Dim}},
        {1'500'000, {LightKind::Idle, LightLevel::Normal}},
        {60'000'000, {LightKind::Idle, LightLevel::Normal}},
    };
    for (const Step& s : steps) {
        CAPTURE(s.after_us);
        CHECK(light_of(a, false, a.last_success_us + s.after_us) == s.light);
    }
}

TEST_CASE("the most recent result colours the light; a call in flight overrides it") {
    Activity a;
    a.last_success_us = 1'000'000;
    a.last_error_us = 1'200'000;
    CHECK(light_of(a, false, 1'300'000).kind == LightKind::Error);
    a.last_success_us = 1'250'000;
    CHECK(light_of(a, false, 1'300'000).kind == LightKind::Success);
    CHECK(light_of(a, true, 1'300'000) == Light{LightKind::InFlight, LightLevel::Bright});
    CHECK(light_of(Activity{}, false, 5'000'000).kind == LightKind::Idle);
    CHECK(light_is_fading({LightKind::Error, LightLevel::Dim}));
    CHECK_FALSE(light_is_fading({LightKind::Idle, LightLevel::Normal}));
}

TEST_CASE("each light kind has its own character for terminals without colour") {
    std::set<std::string_view> seen;
    for (LightKind k : {LightKind::Idle, LightKind::InFlight, LightKind::Success, LightKind::Error})
        seen.insert(light_character(k));
    CHECK(seen == std::set<std::string_view>{".", "*", "+", "!"});
}

TEST_CASE("process and reader lights follow the calls of a recorded session") {
    Dashboard d;
    d.feed(Events::hello(100, 1'000'000, "/usr/bin/app"));
    d.feed(Events::establish(100, 1'000'100, 1, 7));
    d.feed(Events::connect(100, 1'001'000, 2, 7, "Reader A", 55));
    // A transmit in flight: the process and its reader are busy.
    d.feed(Events::begin(100, 100, 1'100'000, 3, "SCardTransmit", 55));
    Pane procs = process_pane(d.at(1'200'000), d.ui, 120, 5);
    Pane readers = reader_pane(d.at(1'200'000), d.ui, 120, 5);
    REQUIRE(procs.rows.size() == 1);
    REQUIRE(readers.rows.size() == 1);
    CHECK(procs.rows[0].spans[0].light == Light{LightKind::InFlight, LightLevel::Bright});
    CHECK(readers.rows[0].spans[0].light == Light{LightKind::InFlight, LightLevel::Bright});
    CHECK(procs.rows[0].spans[0].text == "*");
    CHECK(procs.animated);

    // It fails: red, fading; a second later, dim; later still, idle.
    d.feed(Events::transmit(100, 1'100'000, 3, 55, "Reader A", "00B0000000", "", 50'000'000, 0x80100069));
    const int64_t end = 1'150'000;
    CHECK(process_pane(d.at(end + 100'000), d.ui, 120, 5).rows[0].spans[0].light == Light{LightKind::Error, LightLevel::Bright});
    CHECK(reader_pane(d.at(end + 1'200'000), d.ui, 120, 5).rows[0].spans[0].light == Light{LightKind::Error, LightLevel::Dim});
    Pane later = process_pane(d.at(end + 2'000'000), d.ui, 120, 5);
    CHECK(later.rows[0].spans[0].light == Light{LightKind::Idle, LightLevel::Normal});
    CHECK(later.rows[0].spans[0].text == ".");
    CHECK_FALSE(later.animated);
}

TEST_CASE("waiting in SCardGetStatusChange does not light the process as busy") {
    Dashboard d;
    d.feed(Events::hello(200, 1'000'000, "/usr/bin/watcher"));
    d.feed(Events::establish(200, 1'000'100, 1, 9));
    d.feed(Events::begin(200, 200, 1'001'000, 2, "SCardGetStatusChange"));
    Pane p = process_pane(d.at(30'000'000), d.ui, 120, 5);
    CHECK(p.rows[0].spans[0].light->kind == LightKind::Idle);
}
