// What "/" matches in a call.
#include <doctest/doctest.h>

#include "monitor/views/dashboard/call_search.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("search: function, reader, exe, INS name, SW meaning, return code and hex bytes") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    auto count = [&](std::string_view query, bool show_secrets = false) {
        CallSearch s(query, show_secrets);
        size_t n = 0;
        for (const CallRecord& c : d.model.calls()) n += s.matches(d.model, c);
        return n;
    };
    struct Case {
        std::string query;
        size_t matches;
    } cases[] = {
        {"SCardTransmit", 4},
        {"scardtransmit", 4},          // any case
        {"virtual pcd 00 00", 11},     // reader (calls on its handles)
        {"opensc", 18},                // exe
        {"GET CHALLENGE", 1},          // INS name
        {"select", 2},
        {"Verification failed", 1},    // SW meaning
        {"00A4", 2},                   // hex: both SELECTs
        {"00 a4 04 00", 1},            // spaced, lower case
        {"3F:00", 1},
        {"1A2B3C", 1},                 // response bytes
        {"3B951381", 2},               // ATR bytes (SCardGetStatusChange, SCardStatus)
        {"A404", 1},                   // SELECT by name: 00 A4 04 00
        {"0A40", 0},                   // on byte boundaries only: "00A404" holds it at an odd offset
        {"313233", 0},                 // the masked PIN is not searchable...
        {"00200081", 1},               // ...but its command's header is
        {"nothing at all", 0},
        {"", 0},
    };
    for (const Case& c : cases) {
        CAPTURE(c.query);
        CHECK(count(c.query) == c.matches);
    }
    CHECK(count("313233", true) == 1);  // ...unless secrets are shown
}

TEST_CASE("search: failing calls match their return code name") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/bin/x"));
    d.feed(Events::establish(1, 1'000'100, 1, 7));
    d.feed(Events::call(1, 1, 1'000'200, 2, "SCardConnect", 1000, 0x8010000C, {{"hContext", 7}, {"szReader", "R"}},
                        json::object()));
    CallSearch s("NO_SMARTCARD", false);
    CHECK(s.matches(d.model, d.model.calls().back()));
    CHECK_FALSE(s.matches(d.model, d.model.calls().front()));
}
