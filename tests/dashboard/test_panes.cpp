// What the processes, readers and statistics panes show for recorded and
// hand-written sessions.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("processes pane: the recorded opensc-tool session") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    Pane p = process_pane(d.now(), d.ui, 120, 5);
    CHECK(p.total == 1);
    CHECK(p.heading.text().starts_with("Processes 1"));
    for (std::string_view column : {"PID", "CALLS", "ERR", "RATE", "NOW", "COMMAND"})
        CHECK(p.heading.text().find(column) != std::string::npos);
    REQUIRE(p.rows.size() == 1);
    const StyledLine& row = p.rows[0];
    CHECK(row.text().find("opensc-tool") != std::string::npos);
    CHECK(row.text().find("4242") != std::string::npos);
    CHECK(row.text().find("  18  ") != std::string::npos);  // calls
    // It said bye: greyed, with its exit time, no light.
    const Span* state = span_with(row, "exited ");
    REQUIRE(state);
    CHECK(state->role == Role::Dim);
    CHECK(span_with(row, "opensc-tool -s 00A4000C023F00"));
    CHECK(row.spans[0].light->kind == LightKind::Idle);
    for (const StyledLine& l : p.rows) CHECK(display_width(l.text()) == 120);
}

TEST_CASE("processes pane: a wide terminal also says how each process is traced and when it started") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    // Narrow: the command line keeps the room.
    CHECK(process_pane(d.now(), d.ui, 120, 5).heading.text().find("VIA") == std::string::npos);
    Pane p = process_pane(d.now(), d.ui, 200, 5);
    CHECK(p.heading.text().find("VIA") != std::string::npos);
    CHECK(p.heading.text().find("COMMAND") != std::string::npos);
    REQUIRE(p.rows.size() == 1);
    CHECK(span_with(p.rows[0], "dlopen"));  // the hello's "via"
    CHECK(span_with(p.rows[0], "opensc-tool -s 00A4000C023F00"));
    for (const StyledLine& l : p.rows) CHECK(display_width(l.text()) == 200);
}

TEST_CASE("processes pane: what each process is doing now") {
    Dashboard d;
    d.feed(Events::hello(10, 1'000'000, "/usr/bin/busy"));
    d.feed(Events::establish(10, 1'000'100, 1, 7));
    d.feed(Events::connect(10, 1'000'200, 2, 7, "R", 70));
    d.feed(Events::hello(11, 1'000'000, "/usr/bin/watcher"));
    d.feed(Events::establish(11, 1'000'100, 1, 8));
    d.feed(Events::hello(12, 1'000'000, "/usr/bin/holder"));
    d.feed(Events::establish(12, 1'000'100, 1, 9));
    d.feed(Events::connect(12, 1'000'300, 2, 9, "R", 90));
    d.feed(Events::card_call(12, 1'000'400, 3, "SCardBeginTransaction", 90, "R"));
    d.feed(Events::begin(10, 10, 2'000'000, 3, "SCardBeginTransaction", 70));
    d.feed(Events::begin(11, 11, 1'500'000, 2, "SCardGetStatusChange"));

    struct Case {
        int64_t now_us;
        int64_t pid;
        std::string doing;
        Role role;
    } cases[] = {
        // Blocked behind process 12's transaction: normal at first, a warning past 2 s.
        {3'000'000, 10, "SCardBeginTransaction 1.00s", Role::Normal},
        {6'000'000, 10, "SCardBeginTransaction blocked 4.00s", Role::Warn},
        // A status-change wait is normal, however long: shown calmly.
        {13'800'000, 11, "SCardGetStatusChange 12.3s", Role::Dim},
        // Holding a transaction between calls: information, then a warning past 5 s.
        {2'000'400, 12, "in transaction 1.00s", Role::Info},
        {7'000'400, 12, "in transaction 6.00s", Role::Warn},
    };
    for (const Case& c : cases) {
        CAPTURE(c.doing);
        Doing doing = process_doing(d.at(c.now_us), *d.model.process_by_pid(c.pid));
        CHECK(doing.text == c.doing);
        CHECK(doing.role == c.role);
        CHECK(doing.animated);
    }
    Doing idle = process_doing(d.at(3'000'000), *d.model.process_by_pid(12));
    CHECK(idle.text.starts_with("in transaction"));
    d.feed(Events::bye(11, 20'000'000));
    Doing gone = process_doing(d.at(21'000'000), *d.model.process_by_pid(11));
    CHECK(gone.text.starts_with("exited "));
    CHECK_FALSE(gone.animated);
}

TEST_CASE("processes pane: running processes first, the filtered one always shown") {
    Dashboard d;
    for (int64_t pid = 1; pid <= 6; ++pid) d.feed(Events::hello(pid, 1'000'000 + pid, "/bin/p" + std::to_string(pid)));
    d.feed(Events::bye(1, 2'000'000));
    d.feed(Events::bye(2, 3'000'000));
    Pane p = process_pane(d.now(), d.ui, 100, 3);
    REQUIRE(p.rows.size() == 3);
    CHECK(p.total == 6);
    CHECK(p.rows[0].text().find(" p3 ") != std::string::npos);
    CHECK(top_bar(d.now(), d.ui, 120).text().find("procs 6 (4 running)") != std::string::npos);
    d.ui.filter.process = 1;  // pid 2, ended, would not fit
    p = process_pane(d.now(), d.ui, 100, 3);
    REQUIRE(p.rows.size() == 3);
    CHECK(p.rows[2].text().find(" p2 ") != std::string::npos);
    CHECK(p.rows[2].selected);
    CHECK_FALSE(p.rows[0].selected);
}

TEST_CASE("processes pane: scripts go by their name, not their interpreter's") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/usr/bin/python3.11", {"/usr/bin/python3", "-u", "/work/demo/card_session.py", "3"}));
    d.feed(Events::hello(2, 1'000'000, "/usr/bin/bash", {"bash", "-c", "opensc-tool -a"}));
    d.feed(Events::hello(3, 1'000'000, "/usr/bin/opensc-tool", {"opensc-tool", "-a"}));
    d.feed(Events::hello(4, 1'000'000, "/usr/bin/shred", {"shred", "x.py"}));  // "sh" prefix, not an interpreter
    Pane p = process_pane(d.now(), d.ui, 120, 5);
    REQUIRE(p.rows.size() == 4);
    CHECK(p.rows[0].text().find(" card_session.py ") != std::string::npos);
    CHECK(p.rows[1].text().find(" bash ") != std::string::npos);
    CHECK(p.rows[2].text().find(" opensc-tool ") != std::string::npos);
    CHECK(p.rows[3].text().find(" shred ") != std::string::npos);
}

TEST_CASE("processes pane: an empty live session says how to trace a program") {
    Dashboard d;
    Pane p = process_pane(d.at(1), d.ui, 100, 3);
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].text().find("pcscspy-run -- CMD") != std::string::npos);
    d.info.live = false;
    CHECK(process_pane(d.at(1), d.ui, 100, 3).rows[0].text().find("no process") != std::string::npos);
}

TEST_CASE("readers pane: card, ATR, card name, APDUs, last SW coloured by class") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    Pane p = reader_pane(d.now(), d.ui, 140, 5);
    CHECK(p.total == 2);
    REQUIRE(p.rows.size() == 2);
    const StyledLine& a = p.rows[0];
    CHECK(a.text().find("Virtual PCD 00 00") != std::string::npos);
    const Span* card = span_with(a, "present");
    REQUIRE(card);
    CHECK(card->role == Role::Ok);
    CHECK(span_with(a, "3B95"));  // ATR, shortened
    // The last SW was 63C2 (VERIFY failed, 2 retries): a warning.
    const Span* sw = span_with(a, "63C2");
    REQUIRE(sw);
    CHECK(sw->role == Role::Warn);
    CHECK(a.text().find("      4  ") != std::string::npos);  // APDUs
    const StyledLine& b = p.rows[1];
    CHECK(b.text().find("Virtual PCD 00 01") != std::string::npos);
    CHECK(span_with(b, "empty")->role == Role::Dim);
}

TEST_CASE("readers pane: who holds a transaction, and for how long") {
    Dashboard d;
    d.feed(Events::hello(30, 1'000'000, "/usr/bin/signer"));
    d.feed(Events::establish(30, 1'000'100, 1, 3));
    d.feed(Events::connect(30, 1'000'200, 2, 3, "Token", 33));
    d.feed(Events::card_call(30, 1'000'300, 3, "SCardBeginTransaction", 33, "Token"));
    d.feed(Events::transmit(30, 1'000'500, 4, 33, "Token", "00A4040007A0000000041010", "6F10840E325041592E5359532E4444463031A5009000"));
    const int64_t since = 1'000'300 + 100;
    Pane p = reader_pane(d.at(since + 1'000'000), d.ui, 140, 5);
    const Span* holder = span_with(p.rows[0], "30 signer");
    REQUIRE(holder);
    CHECK(holder->text.find("1.00s") != std::string::npos);
    CHECK(holder->role == Role::Info);
    CHECK(p.animated);
    CHECK(span_with(reader_pane(d.at(since + 9'000'000), d.ui, 140, 5).rows[0], "30 signer")->role == Role::Warn);
    CHECK(span_with(p.rows[0], "9000")->role == Role::Ok);
    d.feed(Events::card_call(30, 2'000'000, 5, "SCardEndTransaction", 33, "Token"));
    CHECK_FALSE(span_with(reader_pane(d.at(2'100'000), d.ui, 140, 5).rows[0], "signer"));
}

TEST_CASE("statistics pane: per function sorted by total time, then per reader and per process") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    Pane f = stats_pane(d.now(), d.ui, 120, 20);
    CHECK(f.heading.text().starts_with("Time by function"));
    for (std::string_view column : {"CALLS", "ERR", "TOTAL", "MEAN", "MAX", "SHARE"})
        CHECK(f.heading.text().find(column) != std::string::npos);
    REQUIRE(f.rows.size() >= 3);
    CHECK(f.rows[0].text().starts_with("SCardTransmit "));
    CHECK(f.rows[0].text().find("68.5%") != std::string::npos);
    CHECK(f.rows[1].text().starts_with("SCardDisconnect "));
    CHECK(f.total == d.model.function_stats().sorted_by_total().size());

    d.ui.stats = StatsTable::Readers;
    Pane r = stats_pane(d.now(), d.ui, 120, 20);
    CHECK(r.heading.text().starts_with("Time by reader"));
    REQUIRE(r.rows.size() == 1);  // only the reader with calls
    CHECK(r.rows[0].text().starts_with("Virtual PCD 00 00"));

    d.ui.stats = StatsTable::Processes;
    Pane p = stats_pane(d.now(), d.ui, 120, 20);
    CHECK(p.heading.text().starts_with("Time by process"));
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].text().starts_with("4242 opensc-tool"));
    CHECK(p.rows[0].text().find("100.0%") != std::string::npos);
}

TEST_CASE("statistics pane: errors in red, rows capped") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/bin/x"));
    d.feed(Events::establish(1, 1'000'100, 1, 7));
    d.feed(Events::connect(1, 1'000'200, 2, 7, "R", 70));
    d.feed(Events::transmit(1, 1'000'300, 3, 70, "R", "00B0000000", "", 1'000'000, 0x80100069));
    Pane p = stats_pane(d.now(), d.ui, 120, 2);
    CHECK(p.rows.size() == 2);
    CHECK(p.total == 3);
    const StyledLine* transmit = row_with(p.rows, "SCardTransmit");
    REQUIRE(transmit);
    const Span* errors = nullptr;
    for (const Span& s : transmit->spans)
        if (s.text == "      1") errors = &s;
    REQUIRE(errors);
    CHECK(errors->role == Role::Error);
}

TEST_CASE("processes pane and status line: exited processes folded past the memory budget are one last row") {
    Dashboard d;
    ModelOptions o;
    o.memory_budget = kMinMemoryBudget;
    d.model = SessionModel(o);
    d.feed(Events::hello(7, 1'000'000, "/usr/bin/keeper"));  // running: never folded
    d.feed(Events::establish(7, 1'000'100, 1, 70));
    for (int64_t pid = 100; pid < 3100; ++pid) {
        const int64_t ts = 2'000'000 + pid * 1000;
        d.feed(Events::hello(pid, ts, "/usr/bin/opensc-tool"));
        d.feed(Events::establish(pid, ts + 100, 1, pid));
        d.feed(Events::bye(pid, ts + 200, 1));
    }
    const FoldedTotals& f = d.model.folded();
    REQUIRE(f.processes > 0);
    REQUIRE(d.model.process_by_pid(7));
    Pane p = process_pane(d.now(), d.ui, 120, 8);
    REQUIRE(p.rows.size() == 8);
    const std::string last = p.rows.back().text();
    CHECK(last.find(std::to_string(f.processes) + " exited folded") != std::string::npos);
    CHECK(last.find(" " + std::to_string(f.stats.calls) + " ") != std::string::npos);
    CHECK(last.find("into totals") != std::string::npos);
    CHECK(display_width(last) == 120);
    const std::string bar = top_bar(d.now(), d.ui, 200).text();
    CHECK(bar.find("+" + std::to_string(f.processes) + " folded") != std::string::npos);
}
