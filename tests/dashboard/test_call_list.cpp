// The call list: its rows for a recorded session, the decoded APDUs, colours,
// following live, scrolling, pausing and filters.
#include <doctest/doctest.h>

#include "monitor/views/dashboard/call_summary.hpp"
#include "monitor/views/dashboard/call_window.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

namespace {

// Two processes, each on its own reader, their transmits interleaved.
void two_processes(Dashboard& d, int transmits) {
    d.feed(Events::hello(1, 1'000'000, "/usr/bin/alpha"));
    d.feed(Events::hello(2, 1'000'000, "/usr/bin/beta"));
    d.feed(Events::establish(1, 1'000'100, 1, 11));
    d.feed(Events::establish(2, 1'000'100, 1, 22));
    d.feed(Events::connect(1, 1'000'200, 2, 11, "Reader A", 111));
    d.feed(Events::connect(2, 1'000'200, 2, 22, "Reader B", 222));
    for (int i = 0; i < transmits; ++i) {
        d.feed(Events::transmit(1, 2'000'000 + i * 1000, 3 + i, 111, "Reader A", "0084000008", "0102030405060708" "9000"));
        d.feed(Events::transmit(2, 2'000'500 + i * 1000, 3 + i, 222, "Reader B", "00B0000010", "6B00"));
    }
}

std::vector<uint64_t> ordinals(const Pane& p, const SessionModel& m) {
    std::vector<uint64_t> out;
    for (const StyledLine& l : p.rows) {
        std::string t = l.text();
        for (const CallRecord& c : m.calls())
            if (t.starts_with(clock_time_ms(c.end_us()) + " ") && t.find(" " + std::to_string(c.pid) + " ") != std::string::npos) {
                out.push_back(c.ordinal);
                break;
            }
    }
    return out;
}

}  // namespace

TEST_CASE("call list: the recorded session with decoded APDUs, newest at the bottom") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    Pane p = call_list_pane(d.now(), d.ui, 140, 30);
    CHECK(p.heading.text().starts_with("Calls 18"));
    for (std::string_view column : {"PID", "FUNCTION", "READER", "CALL", "TIME"})
        CHECK(p.heading.text().find(column) != std::string::npos);
    REQUIRE(p.rows.size() == 18);
    CHECK(p.rows.front().text().find("SCardEstablishContext") != std::string::npos);
    CHECK(p.rows.back().text().find("SCardReleaseContext") != std::string::npos);

    const StyledLine* select = row_with(p.rows, "SELECT by file id 3F00 (MF)");
    REQUIRE(select);
    CHECK(select->text().find("Virtual PCD 00 00") != std::string::npos);
    CHECK(span_with(*select, "SELECT by file id")->role == Role::Info);
    CHECK(span_with(*select, "→"));
    CHECK(span_with(*select, "9000 OK")->role == Role::Ok);
    CHECK(select->text().find("44.9ms") != std::string::npos);

    const StyledLine* missing = row_with(p.rows, "D27600012401");
    REQUIRE(missing);
    CHECK(span_with(*missing, "6A82")->role == Role::Error);

    const StyledLine* challenge = row_with(p.rows, "GET CHALLENGE");
    REQUIRE(challenge);
    CHECK(challenge->text().find("9000 OK (8 bytes)") != std::string::npos);

    // The PIN of the VERIFY is never in the list.
    const StyledLine* verify = row_with(p.rows, "VERIFY");
    REQUIRE(verify);
    CHECK(row_with(call_list_pane(d.now(), d.ui, 200, 30).rows, "6 bytes (secret)"));
    CHECK(verify->text().find("313233") == std::string::npos);
    CHECK(span_with(*verify, "63C2")->role == Role::Warn);

    // Key arguments of the other calls, with short constant names.
    CHECK(row_with(p.rows, "SHARED, T=0, T=1 → T=1"));
    CHECK(row_with(p.rows, "CM_IOCTL_GET_FEATURE_REQUEST 0 bytes → 18 bytes"));
    CHECK(row_with(p.rows, "timeout 0 ms Virtual PCD 00 00: CHANGED|PRESENT"));
    CHECK(row_with(p.rows, "RESET_CARD"));
    CHECK(row_with(p.rows, "2: Virtual PCD 00 00, Virtual PCD 00 01"));
    for (const StyledLine& l : p.rows) CHECK(display_width(l.text()) == 140);

    // Narrower, the command part is cut, never the answer.
    Pane narrow = call_list_pane(d.now(), d.ui, 100, 30);
    const StyledLine* cut = row_with(narrow.rows, "VERIFY");
    REQUIRE(cut);
    CHECK(cut->text().find("…") != std::string::npos);
    CHECK(cut->text().find("→ 63C2 Verific") != std::string::npos);
    CHECK(cut->text().find("VERIFY specific reference") != std::string::npos);
}

TEST_CASE("call list: failing calls in red with their return code") {
    Dashboard d;
    d.feed(Events::hello(5, 1'000'000, "/bin/x"));
    d.feed(Events::establish(5, 1'000'100, 1, 7));
    d.feed(Events::call(5, 5, 1'000'200, 2, "SCardConnect", 1000, 0x8010000C,
                        {{"hContext", 7}, {"szReader", "R"}, {"dwShareMode", 2}, {"dwPreferredProtocols", 3}},
                        json::object()));
    d.feed(Events::status_change(5, 1'000'300, 3, 7, "R", 0x12, "", 0x8010000A));
    Pane p = call_list_pane(d.now(), d.ui, 120, 10);
    const StyledLine* connect = row_with(p.rows, "SCardConnect");
    REQUIRE(connect);
    CHECK(span_with(*connect, "SCardConnect")->role == Role::Error);
    CHECK(span_with(*connect, "SCARD_E_NO_SMARTCARD")->role == Role::Error);
    // A status-change timeout is its normal answer: named, but not an error.
    const StyledLine* wait = row_with(p.rows, "SCardGetStatusChange");
    REQUIRE(wait);
    CHECK(span_with(*wait, "SCardGetStatusChange")->role == Role::Strong);
    CHECK(span_with(*wait, "SCARD_E_TIMEOUT")->role == Role::Dim);
}

TEST_CASE("call list: threads get a pid/tid column, narrow terminals short names") {
    Dashboard d;
    d.feed(Events::hello(9, 1'000'000, "/bin/threads"));
    d.feed(Events::call(9, 9, 1'000'100, 1, "SCardEstablishContext", 1000, 0, {{"dwScope", 2}}, {{"phContext", 1}}));
    d.feed(Events::call(9, 91, 1'000'200, 2, "SCardIsValidContext", 1000, 0, {{"hContext", 1}}, json::object()));
    Pane wide = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(wide.heading.text().find("PID/TID") != std::string::npos);
    CHECK(row_with(wide.rows, "9/91"));
    CHECK(row_with(wide.rows, "SCardIsValidContext"));
    Pane narrow = call_list_pane(d.now(), d.ui, 80, 5);
    CHECK(row_with(narrow.rows, " IsValidContext"));
    CHECK_FALSE(row_with(narrow.rows, "SCardIsValidContext"));
    CHECK(narrow.heading.text().find("READER") == std::string::npos);  // no room for it
}

TEST_CASE("call list: follows the newest calls, scrolls, pauses") {
    Dashboard d;
    two_processes(d, 10);  // 26 calls
    const uint64_t newest = d.model.calls().back().ordinal;
    Pane p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(ordinals(p, d.model) == std::vector<uint64_t>{newest - 4, newest - 3, newest - 2, newest - 1, newest});
    for (const StyledLine& l : p.rows) CHECK_FALSE(l.selected);

    CallNavigator nav(d.model, d.ui.filter, d.ui.cursor);
    nav.move(-1);  // from following: the call before the newest
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(d.ui.cursor.selected == newest - 1);
    CHECK(p.rows[3].selected);
    CHECK(p.heading.text().find("End follows") != std::string::npos);

    // New calls arrive: a scrolled list stays where it is.
    d.feed(Events::transmit(1, 9'000'000, 100, 111, "Reader A", "0084000008", "9000"));
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(ordinals(p, d.model).back() == newest);

    nav.move(-10);
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(d.ui.cursor.selected == newest - 11);
    CHECK(p.rows[0].selected);  // scrolled up so that the selection is on screen
    nav.home();
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(ordinals(p, d.model).front() == 1);
    CHECK(p.rows[0].selected);
    nav.move(+1000);  // past the newest: follows again
    CHECK(d.ui.cursor.following());

    // Pause: the list keeps showing what it showed; new calls are counted.
    nav.toggle_pause();
    const uint64_t frozen = d.model.calls().back().ordinal;
    d.feed(Events::transmit(1, 9'100'000, 101, 111, "Reader A", "0084000008", "9000"));
    d.feed(Events::transmit(1, 9'200'000, 102, 111, "Reader A", "0084000008", "9000"));
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(ordinals(p, d.model).back() == frozen);
    CHECK(p.heading.text().find("PAUSED +2 new") != std::string::npos);
    CHECK(span_with(p.heading, "PAUSED")->role == Role::Paused);
    nav.move(+5);  // paused: moving down stops at the last shown call
    CHECK(d.ui.cursor.selected == frozen);
    nav.toggle_pause();
    nav.end();
    p = call_list_pane(d.now(), d.ui, 120, 5);
    CHECK(ordinals(p, d.model).back() == frozen + 2);
}

TEST_CASE("call list: process and reader filters") {
    Dashboard d;
    two_processes(d, 4);
    d.ui.filter.process = 1;  // beta
    Pane p = call_list_pane(d.now(), d.ui, 120, 20);
    REQUIRE(p.rows.size() == 6);  // establish, connect, 4 transmits, and nothing of alpha
    for (const StyledLine& l : p.rows) CHECK(l.text().find(" 2 ") != std::string::npos);
    d.ui.filter = {};
    d.ui.filter.reader = 0;  // Reader A: alpha's connect and transmits
    p = call_list_pane(d.now(), d.ui, 120, 20);
    REQUIRE(p.rows.size() == 5);
    for (const StyledLine& l : p.rows) CHECK(l.text().find("Reader A") != std::string::npos);
    d.ui.filter.process = 1;  // beta on Reader A: nothing
    p = call_list_pane(d.now(), d.ui, 120, 20);
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].text().find("no call passes the filter") != std::string::npos);
}

TEST_CASE("call list: a selection that leaves the history or the filter moves to its neighbour") {
    ModelOptions o;
    o.history = 6;
    Dashboard d;
    d.model = SessionModel(o);
    two_processes(d, 4);  // 14 calls, 6 kept
    CallNavigator nav(d.model, d.ui.filter, d.ui.cursor);
    nav.home();
    const uint64_t oldest = d.ui.cursor.selected;
    CHECK(oldest == d.model.first_kept_ordinal());
    d.feed(Events::transmit(1, 9'000'000, 100, 111, "Reader A", "0084000008", "9000"));  // evicts it
    Pane p = call_list_pane(d.now(), d.ui, 120, 3);
    CHECK(d.ui.cursor.selected == d.model.first_kept_ordinal());
    CHECK(p.rows[0].selected);
    // The selected call is alpha's; filtering on beta moves the selection to a beta call.
    d.ui.filter.process = 1;
    p = call_list_pane(d.now(), d.ui, 120, 3);
    REQUIRE(d.model.call_at(d.ui.cursor.selected));
    CHECK(d.model.call_at(d.ui.cursor.selected)->pid == 2);
}

TEST_CASE("call list: the calls matching the search in force are marked") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    d.ui.search.query = "select";
    Pane p = call_list_pane(d.now(), d.ui, 120, 30);
    size_t marked = 0;
    for (const StyledLine& l : p.rows) {
        bool is_select = l.text().find("SELECT") != std::string::npos;
        CHECK((l.spans[0].role == Role::Paused) == is_select);
        marked += l.spans[0].role == Role::Paused;
    }
    CHECK(marked == 2);
}

TEST_CASE("call summary: constant names are shortened only at their prefix") {
    CHECK(compact_constants("SCARD_STATE_CHANGED|SCARD_STATE_PRESENT (event 1)") == "CHANGED|PRESENT (event 1)");
    CHECK(compact_constants("SCARD_SHARE_SHARED") == "SHARED");
    CHECK(compact_constants("SCARD_LEAVE_CARD") == "LEAVE_CARD");
    CHECK(compact_constants("MY_SCARD_THING") == "MY_SCARD_THING");
    CHECK(compact_constants("SCARD_") == "SCARD_");
    CHECK(sw_role(0x9000, AppletKind::Unknown) == Role::Ok);
    CHECK(sw_role(0x6283, AppletKind::Unknown) == Role::Warn);
    CHECK(sw_role(0x6D00, AppletKind::Unknown) == Role::Error);
}

TEST_CASE("call list: in the order calls end, showing when each ended") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/usr/bin/alpha"));
    // A long call that started first and ended last, a short one in between.
    d.feed(Events::call(1, 1, 1'500'000, 2, "SCardListReaders", 10'000'000, 0, json::object(), json::object()));
    d.feed(Events::call(1, 2, 1'000'000, 1, "SCardGetStatusChange", 2'000'000'000, 0, json::object(), json::object()));
    Pane p = call_list_pane(d.now(), d.ui, 120, 10);
    CHECK(p.heading.text().find("CALL  (as they ended; time: the end)") != std::string::npos);
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0].text().starts_with(clock_time_ms(1'510'000) + " "));
    CHECK(p.rows[1].text().starts_with(clock_time_ms(3'000'000) + " "));
}
