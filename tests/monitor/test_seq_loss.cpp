// The monitor's own count of lost calls, behind the interposer's `lost`: a
// process's seq numbers that never arrived (gaps, and bye.calls above the last
// one seen) are lost calls of that process once it ended, counted with what it
// reported itself without counting a call twice; seq numbers going backwards in
// a thread, or a call's repeated, are counted as out of order.
#include <doctest/doctest.h>

#include "monitor/io/session_document.hpp"
#include "monitor/io/replay.hpp"
#include "monitor/model/seq_ledger.hpp"
#include "monitor/model/session_model.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

std::string header(const char* type, int64_t pid, int64_t tid) {
    return R"({"v":1,"type":")" + std::string(type) + R"(","pid":)" + std::to_string(pid) + R"(,"tid":)" +
           std::to_string(tid) + R"(,"ts_us":1764030000000000)";
}
std::string hello(int64_t pid) {
    return header("hello", pid, pid) + R"(,"exe":"/usr/bin/opensc-tool","argv":["opensc-tool"],"via":"preload"})";
}
std::string begin(int64_t pid, uint64_t seq, int64_t tid = 0) {
    return header("begin", pid, tid ? tid : pid) + R"(,"seq":)" + std::to_string(seq) + R"(,"fn":"SCardGetStatusChange"})";
}
std::string call(int64_t pid, uint64_t seq, int64_t tid = 0) {
    return header("call", pid, tid ? tid : pid) + R"(,"seq":)" + std::to_string(seq) +
           R"(,"fn":"SCardIsValidContext","dur_ns":1000,"rv":0,"in":{"hContext":1},"out":{}})";
}
std::string bye(int64_t pid, uint64_t calls, uint64_t lost = 0) {
    return header("bye", pid, pid) + R"(,"calls":)" + std::to_string(calls) + R"(,"lost":)" + std::to_string(lost) + "}";
}
std::string lost(int64_t pid, uint64_t count) {
    return header("lost", pid, pid) + R"(,"count":)" + std::to_string(count) + "}";
}

// Feeds lines, every one of which must be an event.
void feed(SessionModel& m, std::initializer_list<std::string> lines) {
    for (const std::string& l : lines) REQUIRE(m.ingest_line(l).ok());
}

}  // namespace

TEST_CASE("SeqLedger: runs of numbers in any order, repeats known, gaps counted over the span") {
    SeqLedger l;
    CHECK(l.missing(10) == 0);  // nothing seen: nothing to count from
    for (uint64_t s : {5, 7, 6, 9, 12}) CHECK(l.add_call(s) == SeqLedger::Arrival::New);
    CHECK(l.add_call(6) == SeqLedger::Arrival::Repeated);
    CHECK(l.add_call(12) == SeqLedger::Arrival::Repeated);
    CHECK(l.calls() == 5);
    CHECK(l.lowest() == 5);
    CHECK(l.missing(0) == 3);    // 8, 10, 11
    CHECK(l.missing(14) == 5);   // and 13, 14
    l.add_unfinished(13);        // begun, never returned
    CHECK(l.missing(14) == 4);
    CHECK(l.add_call(13) == SeqLedger::Arrival::New);  // returned after all
    CHECK(l.missing(14) == 4);
    CHECK(l.add_call(UINT64_MAX) == SeqLedger::Arrival::New);  // no overflow at the top
    CHECK(l.add_call(0) == SeqLedger::Arrival::New);
    CHECK(l.missing(0) == UINT64_MAX - 8);  // the span (2^64 numbers) saturates; 8 came
}

TEST_CASE("SeqLedger: memory is bounded; past the bound the oldest gaps stay counted") {
    SeqLedger l;
    const uint64_t n = SeqLedger::kMaxRuns * 3;
    for (uint64_t i = 0; i < n; ++i) REQUIRE(l.add_call(2 * i + 1) == SeqLedger::Arrival::New);  // every other one
    CHECK(l.calls() == n);
    CHECK(l.missing(0) == n - 1);
}

TEST_CASE("seq gaps of a process that ended are its lost calls: process, totals") {
    SessionModel m;
    feed(m, {hello(10), call(10, 1), call(10, 2), call(10, 4), call(10, 5), call(10, 8)});
    // While it runs, a gap may still be a call in flight: nothing is counted yet.
    CHECK(m.process_by_pid(10)->lost() == 0);
    CHECK(m.counters().lost() == 0);
    feed(m, {bye(10, 8)});
    const ProcessInfo& p = *m.process_by_pid(10);
    CHECK(p.missing_calls == 3);  // 3, 6 and 7
    CHECK(p.lost_events == 0);
    CHECK(p.lost() == 3);
    CHECK(m.counters().lost_events == 0);
    CHECK(m.counters().lost_missing == 3);
    CHECK(m.counters().lost() == 3);
    CHECK(m.counters().seq_disorder == 0);
}

TEST_CASE("bye.calls above the last call seen: the calls after it are lost") {
    SessionModel m;
    feed(m, {hello(11), call(11, 1), call(11, 2), call(11, 3), bye(11, 7)});
    CHECK(m.process_by_pid(11)->lost() == 4);
    CHECK(m.counters().lost() == 4);

    // The same when the connection closed without bye and the monitor wrote one.
    SessionModel k;
    feed(k, {hello(12), call(12, 1), call(12, 2),
             header("bye", 12, 12) + R"(,"calls":5,"lost":0,"by":"monitor"})"});
    CHECK(k.process_by_pid(12)->state == ProcessState::Exited);
    CHECK(k.process_by_pid(12)->lost() == 3);
}

TEST_CASE("a process whose connection closed is counted too, and a late call fills its gap") {
    SessionModel m;
    feed(m, {hello(13), call(13, 1), call(13, 3)});
    m.connection_closed(0, 1764030000000100);
    CHECK(m.process_by_pid(13)->lost() == 1);
    CHECK(m.counters().lost() == 1);
    // A thread's call that returned as the process ended, read after its end.
    feed(m, {call(13, 2, 14)});
    CHECK(m.process_by_pid(13)->lost() == 0);
    CHECK(m.counters().lost() == 0);
}

TEST_CASE("calls in flight when the process ended are not lost, nor are calls before the first one seen") {
    SessionModel m;
    // Seen from seq 41 on: the process made 40 calls before it connected.
    feed(m, {hello(20), call(20, 41), begin(20, 42, 21), call(20, 43), begin(20, 44), bye(20, 44)});
    const ProcessInfo& p = *m.process_by_pid(20);
    CHECK(p.lost() == 0);
    CHECK(m.counters().unmatched_begins == 2);
    CHECK(m.counters().lost() == 0);
    // A begin that comes after the end is a call that never returned, not a lost one.
    SessionModel k;
    feed(k, {hello(22), call(22, 1), bye(22, 2)});
    CHECK(k.process_by_pid(22)->lost() == 1);  // 2 was numbered and not seen...
    feed(k, {begin(22, 2, 23)});
    CHECK(k.process_by_pid(22)->lost() == 0);  // ...it had begun on another thread, as the process ended
    CHECK(k.counters().lost() == 0);
}

TEST_CASE("a begin whose thread went on to later calls had returned: its missing call is lost") {
    SessionModel m;
    // Thread 25's begin 2 fitted where its call did not; it went on to 3. Thread
    // 26 was still in 4 at the end.
    feed(m, {hello(24), call(24, 1, 25), begin(24, 2, 25), begin(24, 3, 25), call(24, 3, 25), begin(24, 4, 26),
             bye(24, 4)});
    CHECK(m.process_by_pid(24)->lost() == 1);
    CHECK(m.counters().unmatched_begins == 2);
}

TEST_CASE("threads returning out of order are neither lost nor out of order") {
    SessionModel m;
    // Thread 31 waits in seq 1 while thread 32 makes 2 and 3.
    feed(m, {hello(30), begin(30, 1, 31), begin(30, 2, 32), call(30, 2, 32), call(30, 3, 32), call(30, 1, 31),
             bye(30, 3)});
    CHECK(m.counters().seq_disorder == 0);
    CHECK(m.counters().lost() == 0);
    CHECK(m.process_by_pid(30)->lost() == 0);
}

TEST_CASE("the process's own lost and the monitor's count are of the same calls: never counted twice") {
    SUBCASE("the process reported every gap") {
        SessionModel m;
        feed(m, {hello(40), call(40, 1), call(40, 2), lost(40, 2), call(40, 5), bye(40, 5, 2)});
        CHECK(m.process_by_pid(40)->missing_calls == 2);
        CHECK(m.process_by_pid(40)->lost() == 2);
        CHECK(m.counters().lost_events == 2);
        CHECK(m.counters().lost_missing == 0);
        CHECK(m.counters().lost() == 2);
    }
    SUBCASE("the monitor found more than the process reported") {
        SessionModel m;
        feed(m, {hello(41), call(41, 1), lost(41, 1), call(41, 4), bye(41, 6, 1)});
        CHECK(m.process_by_pid(41)->lost() == 4);  // 2, 3, 5, 6
        CHECK(m.counters().lost_events == 1);
        CHECK(m.counters().lost_missing == 3);
        CHECK(m.counters().lost() == 4);
    }
    SUBCASE("the process reported more than the monitor can see (lost before its first call seen)") {
        SessionModel m;
        feed(m, {hello(42), lost(42, 5), call(42, 6), call(42, 8), bye(42, 8, 6)});
        CHECK(m.process_by_pid(42)->missing_calls == 1);
        CHECK(m.process_by_pid(42)->lost() == 6);
        CHECK(m.counters().lost() == 6);
        CHECK(m.counters().lost_missing == 0);
    }
    SUBCASE("a lost line after the end raises the reported count over the monitor's") {
        SessionModel m;
        feed(m, {hello(43), call(43, 1), call(43, 4), bye(43, 4)});
        CHECK(m.counters().lost() == 2);
        feed(m, {lost(43, 3)});
        CHECK(m.process_by_pid(43)->lost() == 3);
        CHECK(m.counters().lost_events == 3);
        CHECK(m.counters().lost_missing == 0);
        CHECK(m.counters().lost() == 3);
    }
}

TEST_CASE("seq going backwards in a thread, or a call's seq repeated, is counted as out of order") {
    SUBCASE("a call repeated") {
        SessionModel m;
        feed(m, {hello(50), call(50, 1), call(50, 2), call(50, 2)});
        CHECK(m.counters().seq_disorder == 1);
        CHECK(m.counters().calls == 3);  // still shown
    }
    SUBCASE("a thread going backwards to a number never seen") {
        SessionModel m;
        feed(m, {hello(51), call(51, 5), call(51, 4)});
        CHECK(m.counters().seq_disorder == 1);
    }
    SUBCASE("another thread repeating a call's number: the repeat covers no gap") {
        SessionModel m;
        feed(m, {hello(52), call(52, 1), call(52, 1, 53), call(52, 3), bye(52, 3)});
        CHECK(m.counters().seq_disorder == 1);
        CHECK(m.process_by_pid(52)->lost() == 1);  // 2 never came
    }
    SUBCASE("a begin below its thread's last call") {
        SessionModel m;
        feed(m, {hello(54), call(54, 3), begin(54, 2)});
        CHECK(m.counters().seq_disorder == 1);
    }
    SUBCASE("a begin and its call share their number: in order") {
        SessionModel m;
        feed(m, {hello(55), begin(55, 1), call(55, 1), call(55, 2), begin(55, 3), call(55, 3)});
        CHECK(m.counters().seq_disorder == 0);
    }
}

TEST_CASE("exec and pid reuse start a new process with its own seq: nothing out of order, nothing lost") {
    SessionModel m;
    // exec: the same pid says hello again (a new connection), numbering from 1.
    feed(m, {hello(60), call(60, 1), call(60, 2), call(60, 3), hello(60), call(60, 1), call(60, 2), bye(60, 2)});
    // pid reuse: a new program with an old pid.
    feed(m, {hello(61), call(61, 1), call(61, 2), bye(61, 2), hello(61), call(61, 1), bye(61, 1)});
    REQUIRE(m.processes().size() == 4);
    CHECK(m.processes()[0].state == ProcessState::Disconnected);
    CHECK(m.counters().seq_disorder == 0);
    CHECK(m.counters().lost() == 0);
    for (const ProcessInfo& p : m.processes()) CHECK(p.lost() == 0);
    // A forked child is another pid, numbering from 1 too.
    feed(m, {hello(62), call(62, 1), bye(62, 1)});
    CHECK(m.counters().seq_disorder == 0);
}

TEST_CASE("the session document has each process's lost and the totals; a replay gives them back, old dumps too") {
    TempDir dir;
    for (size_t history : {size_t{1000}, size_t{2}}) {
        CAPTURE(history);
        ModelOptions o;
        o.history = history;
        SessionModel live(o);
        // 80: 3 missing (2, 4, 5) of which 1 reported; 81: 2 calls after its last one seen.
        feed(live, {hello(80), call(80, 1), lost(80, 1), call(80, 3), call(80, 6), call(80, 7), bye(80, 7, 1),
                    hello(81), call(81, 1), bye(81, 3)});
        live.finish();
        REQUIRE(live.counters().lost() == 5);
        REQUIRE_FALSE(write_session_document(live, dir / "s.json", false).has_value());
        nlohmann::json doc = nlohmann::json::parse(read_file(dir / "s.json"));
        REQUIRE(doc["processes"].size() == 2);
        CHECK(doc["processes"][0]["lost"] == 3);
        CHECK(doc["processes"][0]["lost_events"] == 1);
        CHECK(doc["processes"][0]["missing_calls"] == 3);
        CHECK(doc["processes"][1]["lost"] == 2);
        CHECK(doc["counters"]["lost"] == 5);
        CHECK(doc["counters"]["lost_events"] == 1);
        CHECK(doc["counters"]["lost_missing"] == 4);

        // Replayed, whatever calls the history kept (the events lack the evicted ones).
        SessionModel replayed;
        CHECK(replay_file(dir / "s.json", replayed).clean());
        CHECK(replayed.processes()[0].lost() == 3);
        CHECK(replayed.processes()[1].lost() == 2);
        CHECK(replayed.counters().lost() == 5);

        // A document written before the monitor counted: lost is what the processes reported.
        for (auto& p : doc["processes"]) {
            p.erase("lost");
            p.erase("missing_calls");
        }
        doc["counters"].erase("lost");
        doc["counters"].erase("lost_missing");
        doc["counters"].erase("seq_disorder");
        std::string old = "{\"v\":1,\"type\":\"session\"";
        for (auto it = doc.begin(); it != doc.end(); ++it)
            if (it.key() != "v" && it.key() != "type") old += ",\"" + it.key() + "\":" + it->dump();
        write_file(dir / "old.json", old + "}\n");
        SessionModel from_old;
        CHECK(replay_file(dir / "old.json", from_old).is_document);
        CHECK(from_old.processes()[0].lost() == 1);
        CHECK(from_old.processes()[1].lost() == 0);
        CHECK(from_old.counters().lost() == 1);
    }
}

TEST_CASE("seq out of order is kept in the session document") {
    TempDir dir;
    SessionModel live;
    feed(live, {hello(90), call(90, 2), call(90, 1)});
    REQUIRE(live.counters().seq_disorder == 1);
    REQUIRE_FALSE(write_session_document(live, dir / "s.json", false).has_value());
    CHECK(nlohmann::json::parse(read_file(dir / "s.json"))["counters"]["seq_disorder"] == 1);
    SessionModel replayed;
    replay_file(dir / "s.json", replayed);
    CHECK(replayed.counters().seq_disorder == 1);
}
