// What each key does to the dashboard, from the key to what the frame shows.
#include <doctest/doctest.h>

#include <filesystem>

#include "monitor/io/session_document.hpp"
#include "monitor/views/dashboard/dashboard_controller.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;


TEST_CASE("keys: p and r cycle the filters through every process and reader, c clears") {
    Keys k;
    workload(k.d);
    k.press({'p'});
    CHECK(k.d.ui.filter.process == 0u);
    CHECK(k.screen().find("filter: pid 1 alpha") != std::string::npos);
    k.press({'p'});
    CHECK(k.d.ui.filter.process == 1u);
    std::string s = k.screen();
    CHECK(s.find("filter: pid 2 beta") != std::string::npos);
    CHECK(s.find("GET CHALLENGE") != std::string::npos);
    CHECK(s.find("READ BINARY") == std::string::npos);  // alpha's call is filtered out
    k.press({'p'});
    CHECK_FALSE(k.d.ui.filter.process);
    k.press({'r', 'r'});
    CHECK(k.d.ui.filter.reader == 1u);
    CHECK(k.screen().find("reader Reader B") != std::string::npos);
    k.press({'p', 'c'});
    CHECK_FALSE(k.d.ui.filter.active());
    CHECK(k.screen().find("filter:") == std::string::npos);
}

TEST_CASE("keys: d dumps the session and shows the file name") {
    Keys k;
    workload(k.d);
    k.press({'d'});
    REQUIRE(k.dumped.size() == 1);
    CHECK(k.dumped[0] == "/tmp/x/pcscspy-dump-1.json");
    CHECK(k.d.ui.message.role == Role::Ok);
    CHECK(k.screen().find("session dumped to /tmp/x/pcscspy-dump-1.json") != std::string::npos);
    k.dump_error = "cannot write /tmp/x: Permission denied";
    k.press({'d'});
    CHECK(k.d.ui.message.role == Role::Error);
    CHECK(k.screen().find("dump failed: cannot write /tmp/x") != std::string::npos);
}

TEST_CASE("keys: d writes a real session document that replays") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    std::string path = std::filesystem::temp_directory_path() / ("pcscspy-dashboard-dump-" + std::to_string(getpid()) + ".json");
    DashboardController c(d.model, d.ui,
                          ControllerServices{[&] { return path; },
                                             [&](const std::string& p) { return write_session_document(d.model, p, false); }},
                          false, Glyphs::for_locale(true));
    c.handle_key('d');
    REQUIRE(std::filesystem::exists(path));
    SessionModel replayed;
    for (const std::string& l : file_lines(path)) replayed.ingest_line(l);
    std::filesystem::remove(path);
    CHECK(d.ui.message.text == "session dumped to " + path);
}

TEST_CASE("keys: space pauses the list while events keep coming") {
    Keys k;
    workload(k.d);
    k.press({' '});
    CHECK(k.d.ui.cursor.paused);
    k.d.feed(Events::transmit(1, 3'000'000, 5, 111, "Reader A", "00CA9F7F00", "6A88"));
    std::string s = k.screen();
    CHECK(s.find("PAUSED") != std::string::npos);
    CHECK(s.find("+1 new") != std::string::npos);
    CHECK(s.find("GET DATA") == std::string::npos);
    CHECK(s.find("calls 9") != std::string::npos);  // counted all the same
    k.press({' '});
    CHECK(k.screen().find("GET DATA") != std::string::npos);
}

TEST_CASE("keys: arrows, Home, End select calls; Enter opens the detail, Esc closes it") {
    Keys k;
    workload(k.d);
    k.screen();
    k.press({keys::Up});
    CHECK(k.d.ui.cursor.selected == k.d.model.calls().back().ordinal - 1);
    k.press({keys::Home});
    CHECK(k.d.ui.cursor.selected == 1);
    k.press({keys::Down, keys::Down, keys::Down, keys::Down});  // the SELECT (call 5)
    REQUIRE(k.d.model.call_at(k.d.ui.cursor.selected));
    CHECK(k.d.model.function_name(*k.d.model.call_at(k.d.ui.cursor.selected)) == "SCardTransmit");
    k.press({keys::Enter});
    CHECK(k.d.ui.overlay == Overlay::Detail);
    std::string s = k.screen();
    CHECK(s.find("Call detail") != std::string::npos);
    CHECK(s.find("Command APDU") != std::string::npos);
    CHECK(s.find("SELECT") != std::string::npos);
    CHECK(s.find("case 3 short, Lc = 7") != std::string::npos);
    k.press({'p'});  // overlay keys only: p does nothing here
    CHECK_FALSE(k.d.ui.filter.process);
    k.press({keys::Escape});
    CHECK(k.d.ui.overlay == Overlay::None);
    k.press({keys::End});
    CHECK(k.d.ui.cursor.following());
    // Enter while following opens the newest call.
    k.press({keys::Enter});
    CHECK(k.d.ui.detail.ordinal == k.d.model.calls().back().ordinal);
    k.press({'q'});  // closes the detail, does not quit
    CHECK(k.d.ui.overlay == Overlay::None);
    CHECK_FALSE(k.d.ui.quit);
    k.press({'q'});
    CHECK(k.d.ui.quit);
}

TEST_CASE("keys: / searches as you type, Enter counts the matches, n and N move between them") {
    Keys k;
    workload(k.d);
    k.press({'/'});
    CHECK(k.d.ui.search.editing);
    CHECK(k.screen().find("/_") != std::string::npos);
    k.type("select");
    CHECK(k.screen().find("/select_") != std::string::npos);
    REQUIRE(k.d.ui.cursor.selected);
    CHECK(k.d.model.call_at(k.d.ui.cursor.selected)->apdu.starts_with("SELECT"));
    k.press({keys::Enter});
    CHECK_FALSE(k.d.ui.search.editing);
    CHECK(k.d.ui.search.matches == 1);
    CHECK(k.screen().find("/select (1)") != std::string::npos);

    // Hex, on byte boundaries: 0084 is the GET CHALLENGE header.
    k.press({keys::End, '/'});
    k.type("00 84");
    k.press({keys::Enter});
    CHECK(k.d.ui.search.matches == 1);
    CHECK(k.d.model.call_at(k.d.ui.cursor.selected)->pid == 2);

    // By process name: beta's calls, newest first with n, back with N.
    k.press({keys::End, '/'});
    k.type("beta");
    k.press({keys::Enter});
    CHECK(k.d.ui.search.matches == 4);
    const uint64_t newest_beta = k.d.ui.cursor.selected;
    CHECK(k.d.model.function_name(*k.d.model.call_at(newest_beta)) == "SCardDisconnect");
    k.press({'n'});
    CHECK(k.d.ui.cursor.selected < newest_beta);
    CHECK(k.d.model.call_at(k.d.ui.cursor.selected)->pid == 2);
    k.press({'N'});
    CHECK(k.d.ui.cursor.selected == newest_beta);
    k.press({'N'});
    CHECK(k.d.ui.message.text.find("no newer match") != std::string::npos);

    // Esc leaves the prompt and puts the list back.
    k.press({keys::End, '/'});
    k.type("alpha");
    CHECK_FALSE(k.d.ui.cursor.following());
    k.press({keys::Escape});
    CHECK(k.d.ui.cursor.following());
    CHECK_FALSE(k.d.ui.search.editing);

    k.press({'/'});
    k.type("nothing like this");
    k.press({keys::Backspace, keys::Enter});
    CHECK(k.d.ui.search.matches == 0);
    CHECK(k.d.ui.message.text.find("no call matches") != std::string::npos);
}

TEST_CASE("keys: s switches the statistics table, ? and k open their views") {
    Keys k;
    workload(k.d);
    CHECK(k.screen().find("Time by function") != std::string::npos);
    k.press({'s'});
    CHECK(k.screen().find("Time by reader") != std::string::npos);
    k.press({'s'});
    CHECK(k.screen().find("Time by process") != std::string::npos);
    k.press({'s'});
    CHECK(k.screen().find("Time by function") != std::string::npos);

    k.press({'?'});
    std::string help = k.screen();
    CHECK(help.find("pcscspy-top keys") != std::string::npos);
    CHECK(help.find("process filter") != std::string::npos);
    k.press({keys::Escape, 'k'});
    std::string findings = k.screen();
    CHECK(findings.find("Correctness findings 0") != std::string::npos);
    CHECK(findings.find("no finding") != std::string::npos);
}

TEST_CASE("keys: Enter on a finding shows its call in the list") {
    Keys k;
    workload(k.d);
    // SCardEndTransaction without a transaction: a finding about seq 5 of alpha.
    k.d.feed(Events::card_call(1, 4'000'000, 5, "SCardEndTransaction", 111, "Reader A"));
    REQUIRE(k.d.model.findings().size() == 1);
    k.press({'p', 'p'});  // filtered on beta: the call is alpha's
    k.press({'!'});
    std::string s = k.screen();
    CHECK(s.find("end-without-begin") != std::string::npos);
    CHECK(s.find("#5") != std::string::npos);
    k.press({keys::Enter});
    CHECK(k.d.ui.overlay == Overlay::None);
    CHECK_FALSE(k.d.ui.filter.process);  // the filter hid it
    REQUIRE(k.d.ui.cursor.selected);
    CHECK(k.d.model.function_name(*k.d.model.call_at(k.d.ui.cursor.selected)) == "SCardEndTransaction");
}
