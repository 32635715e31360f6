// The process and reader panes: Tab, arrows and Enter pick a row to filter by;
// the processes sorted by a column and shown as a tree.
#include <doctest/doctest.h>

#include "monitor/views/dashboard/process_order.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("panes: Tab, arrows and Enter pick a process or a reader to filter by") {
    Keys k;
    workload(k.d);
    k.press({keys::Tab});
    CHECK(k.d.ui.focus == Focus::Processes);
    REQUIRE(k.d.ui.pane.process);
    CHECK(*k.d.ui.pane.process == 0u);
    CHECK(k.screen().find("▶ Processes 2") != std::string::npos);
    // Arrows move in the pane, not in the call list.
    k.press({keys::Down});
    CHECK(*k.d.ui.pane.process == 1u);
    CHECK(k.d.ui.cursor.following());
    k.press({keys::Enter});
    CHECK(k.d.ui.filter.process == 1u);
    CHECK(k.screen().find("filter: pid 2 beta") != std::string::npos);
    k.press({keys::Enter});  // again: all processes
    CHECK_FALSE(k.d.ui.filter.process);
    // Tab: the readers.
    k.press({keys::Tab});
    CHECK(k.d.ui.focus == Focus::Readers);
    CHECK(k.screen().find("▶ Readers 2") != std::string::npos);
    k.press({keys::End, keys::Enter});
    CHECK(k.d.ui.filter.reader == 1u);
    CHECK(k.screen().find("filter: reader Reader B") != std::string::npos);
    // The other keys still work; Esc gives the arrows back to the call list.
    k.press({'c'});
    CHECK_FALSE(k.d.ui.filter.active());
    k.press({keys::Escape});
    CHECK(k.d.ui.focus == Focus::Calls);
    k.press({keys::Up});
    CHECK_FALSE(k.d.ui.cursor.following());
    // Shift-Tab goes the other way round.
    k.press({keys::BackTab});
    CHECK(k.d.ui.focus == Focus::Readers);
    k.press({keys::BackTab, keys::BackTab});
    CHECK(k.d.ui.focus == Focus::Calls);
}

TEST_CASE("panes: o sorts the processes by a column, O reverses, the heading marks it") {
    Dashboard d;
    d.feed(Events::hello(10, 1'000'000, "/usr/bin/zeta"));
    d.feed(Events::hello(30, 1'000'000, "/usr/bin/alpha"));
    d.feed(Events::hello(20, 1'000'000, "/usr/bin/mid"));
    for (int i = 0; i < 3; ++i) d.feed(Events::establish(20, 1'000'100 + i, 1 + i, 5));
    d.feed(Events::establish(30, 1'000'100, 1, 6));
    auto names = [&](ProcessOrder o) {
        std::string s;
        for (const ProcessRow& r : process_rows(d.model, o, d.model.latest_ts_us())) s += r.process->exe_name() + " ";
        return s;
    };
    CHECK(names({}) == "zeta alpha mid ");  // arrival
    CHECK(names({ProcessSort::Name}) == "alpha mid zeta ");
    CHECK(names({ProcessSort::Name, true}) == "zeta mid alpha ");
    CHECK(names({ProcessSort::Pid}) == "zeta mid alpha ");
    CHECK(names({ProcessSort::Calls}) == "mid alpha zeta ");
    CHECK(names({ProcessSort::Calls, true}) == "zeta alpha mid ");

    DashboardController c(d.model, d.ui, {}, false, d.glyphs);
    c.handle_key('o');
    CHECK(d.ui.process_order.sort == ProcessSort::Name);
    c.handle_key('o');
    c.handle_key('o');  // CALLS
    Pane p = process_pane(d.now(), d.ui, 120, 10);
    CHECK(p.heading.text().find("▼CALLS") != std::string::npos);
    CHECK(p.rows[0].text().find("mid") != std::string::npos);
    c.handle_key('O');
    p = process_pane(d.now(), d.ui, 120, 10);
    CHECK(p.heading.text().find("▲CALLS") != std::string::npos);
    CHECK(p.rows[0].text().find("zeta") != std::string::npos);
}

TEST_CASE("panes: T shows the processes as a tree of parents and children") {
    Dashboard d;
    d.feed(Events::hello(100, 1'000'000, "/usr/bin/gpg-agent"));
    d.feed(Events::hello(300, 1'000'000, "/usr/bin/opensc-tool"));
    d.feed(Events::hello(200, 2'000'000, "/usr/lib/gnupg/scdaemon", {}, 100));
    d.feed(Events::hello(201, 2'000'000, "/usr/bin/helper", {}, 200));
    d.feed(Events::hello(202, 2'000'000, "/usr/bin/other-child", {}, 100));
    // A parent that started after its "child" (a reused pid) is no parent.
    d.feed(Events::hello(400, 1'000'000, "/usr/bin/early", {}, 500));
    d.feed(Events::hello(500, 3'000'000, "/usr/bin/late"));
    // A cycle of reused pids ends nowhere.
    d.feed(Events::hello(600, 5'000'000, "/usr/bin/a", {}, 601));
    d.feed(Events::hello(601, 5'000'000, "/usr/bin/b", {}, 600));
    d.ui.process_order.tree = true;
    std::vector<ProcessRow> rows = process_rows(d.model, d.ui.process_order, d.model.latest_ts_us());
    std::string order;
    for (const ProcessRow& r : rows) order += std::to_string(r.process->pid) + ":" + std::to_string(r.depth) + " ";
    CHECK(order == "100:0 200:1 201:2 202:1 300:0 400:0 500:0 600:0 601:1 ");
    Pane p = process_pane(d.now(), d.ui, 120, 20);
    CHECK(p.heading.text().starts_with("Processes 9 tree"));
    CHECK(row_with(p.rows, "├ scdaemon"));
    CHECK(row_with(p.rows, "  └ helper"));
    CHECK(row_with(p.rows, "└ other-child"));
}

TEST_CASE("panes: a long chain of parents is drawn without recursion and with bounded indent") {
    Dashboard d;
    for (int i = 1; i <= 20000; ++i) d.feed(Events::hello(i, 1'000'000 + i, "/bin/sh", {}, i - 1));
    ProcessOrder o;
    o.tree = true;
    std::vector<ProcessRow> rows = process_rows(d.model, o, 0);
    REQUIRE(rows.size() == 20000);
    CHECK(rows.back().depth == 8);
}
