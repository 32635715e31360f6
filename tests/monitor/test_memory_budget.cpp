// The session model's memory budget and caps: whatever the stream, the model
// stays within its budget by folding old exited processes into totals, and
// within its caps for readers, threads, handles, calls in flight and
// allocations; every statistic stays exact and every fold is counted.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "monitor/app/options.hpp"
#include "monitor/io/replay.hpp"
#include "monitor/io/session_document.hpp"
#include "monitor/views/text_view.hpp"
#include "protocol/pcsc_functions.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

constexpr int64_t kStart = 1764030000000000;

// The process's resident memory, in bytes (/proc/self/statm's second field).
size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// One short process, as `opensc-tool -a` is: hello, a transmit (an error every
// seventh process), bye. Lines as the interposer writes them.
struct ShortProcess {
    std::string hello, call, bye;
    ShortProcess(int64_t pid, int64_t ts_us, bool error) {
        hello = R"({"v":1,"type":"hello","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
                R"(,"ts_us":)" + std::to_string(ts_us) +
                R"(,"ppid":1,"uid":1000,"exe":"/usr/bin/opensc-tool","argv":["opensc-tool","-a"],"via":"preload","backend":"/usr/lib/x86_64-linux-gnu/libpcsclite.so.1","spy":"0.1.0"})";
        call = R"({"v":1,"type":"call","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
               R"(,"ts_us":)" + std::to_string(ts_us + 10) +
               R"(,"seq":1,"fn":"SCardTransmit","dur_ns":)" + std::to_string(40000 + pid % 1000) + R"(,"rv":)" +
               (error ? "2148532247" : "0") +
               R"(,"rv_name":"x","reader":"Virtual PCD 00 00","in":{"hCard":200,"pbSendBuffer":"00A4040007A0000000030000"},"out":{"pbRecvBuffer":"9000"}})";
        bye = R"({"v":1,"type":"bye","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
              R"(,"ts_us":)" + std::to_string(ts_us + 100) + R"(,"calls":1,"lost":0})";
    }
    void feed(SessionModel& m) const {
        REQUIRE(m.ingest_line(hello).ok());
        REQUIRE(m.ingest_line(call).ok());
        REQUIRE(m.ingest_line(bye).ok());
    }
};

// The model's totals agree with themselves: what is listed plus what was folded
// is what the per-function and per-reader statistics count (`calls` transmits,
// `errors` of them failed, and `others` calls of other functions without error).
void check_exact(const SessionModel& m, uint64_t processes, uint64_t calls, uint64_t errors, uint64_t others = 0) {
    const FoldedTotals& f = m.folded();
    uint64_t listed_calls = 0, listed_errors = 0, listed_apdus = 0;
    for (const ProcessInfo& p : m.processes()) {
        listed_calls += p.stats.calls;
        listed_errors += p.stats.errors;
        listed_apdus += p.apdus;
    }
    CHECK(m.processes().size() + f.processes == processes);
    CHECK(f.processes == f.exited + f.disconnected);
    CHECK(listed_calls + f.stats.calls == calls + others);
    CHECK(listed_errors + f.stats.errors == errors);
    const FunctionStats& tx = m.function_stats().rows()[static_cast<size_t>(PcscFunction::SCardTransmit)];
    CHECK(tx.stats.calls == calls);
    CHECK(tx.stats.errors == errors);
    CHECK(m.function_stats().totals().calls == calls + others);
    CHECK(m.counters().calls == calls + others);
    const ReaderInfo* r = m.reader_by_name("Virtual PCD 00 00");
    REQUIRE(r);
    CHECK(r->stats.calls == calls);
    CHECK(listed_apdus + f.apdus == calls - errors);
    CHECK(r->apdus == calls - errors);
}

}  // namespace

TEST_CASE("300,000 short processes stream through a 32 MiB budget: the model and the RSS stay bounded, totals exact") {
    ModelOptions o;
    o.memory_budget = 32u << 20;
    const size_t rss_before = resident_bytes();
    size_t peak_estimate = 0;
    uint64_t errors = 0;
    {
        SessionModel m(o);
        const size_t processes = 300'000;
        for (size_t i = 0; i < processes; ++i) {
            const bool error = i % 7 == 3;
            errors += error;
            ShortProcess(static_cast<int64_t>(100'000 + i), kStart + static_cast<int64_t>(i) * 1000, error).feed(m);
            if (i % 1000 == 0) peak_estimate = std::max(peak_estimate, m.memory_bytes());
        }
        peak_estimate = std::max(peak_estimate, m.memory_bytes());
        const size_t rss_growth = resident_bytes() - std::min(rss_before, resident_bytes());
        MESSAGE("estimate peak ", peak_estimate >> 10, " KiB; RSS growth ", rss_growth >> 10, " KiB");
        CHECK(peak_estimate <= o.memory_budget);
        // The estimate is an estimate: the real growth may pass it, within a
        // generous margin (without the budget it is ~287 MB).
        CHECK(rss_growth < 2 * o.memory_budget + (16u << 20));
        CHECK(m.folded().processes > 250'000);
        CHECK(m.counters().processes_exited == processes);
        check_exact(m, processes, processes, errors);
        // What stays listed are the latest exits; kept lines of folded processes are gone.
        CHECK(m.processes().back().pid == static_cast<int64_t>(100'000 + processes - 1));
        CHECK(m.kept_events().size() <= 2 * m.processes().size());
        for (const auto& e : m.kept_events()) CHECK(m.process_at(e.process) != nullptr);
    }
}

TEST_CASE("a running process is never folded, however far past the budget") {
    ModelOptions o;
    o.memory_budget = kMinMemoryBudget;
    SessionModel m(o);
    SessionWriter keeper(7);
    keeper.hello("/usr/bin/pcsc_scan").establish();
    feed_text(m, keeper.text);
    const size_t keeper_index = m.process_by_pid(7)->index;
    // Thousands of running processes (no bye): far more than the budget holds.
    for (int64_t pid = 1000; pid < 4000; ++pid) {
        SessionWriter w(pid, kStart + pid);
        w.hello().establish();
        feed_text(m, w.text);
    }
    CHECK(m.memory_bytes() > o.memory_budget);
    CHECK(m.folded().processes == 0);
    CHECK(m.processes().size() == 3001);
    // Exited ones are folded, the running ones stay.
    for (int64_t pid = 5000; pid < 8000; ++pid) ShortProcess(pid, kStart + pid * 1000, false).feed(m);
    CHECK(m.folded().processes > 0);
    const ProcessInfo* p = m.process_at(keeper_index);
    REQUIRE(p);
    CHECK(p->state == ProcessState::Running);
    CHECK(p->stats.calls == 1);
    size_t running = 0;
    for (const ProcessInfo& q : m.processes()) running += q.state == ProcessState::Running;
    CHECK(running == 3001);
    check_exact(m, 6001, 3000, 0, 3001);
}

TEST_CASE("a kept call whose process was folded still renders, with its pid and (folded)") {
    ModelOptions o;
    o.memory_budget = 2u << 20;
    SessionModel m(o);
    ShortProcess(4242, kStart, false).feed(m);
    const size_t first = m.process_by_pid(4242)->index;
    const uint64_t ordinal = m.calls().back().ordinal;
    int64_t pid = 5000;
    for (; m.process_at(first) && pid < 20000; ++pid) ShortProcess(pid, kStart + pid * 1000, false).feed(m);
    REQUIRE(m.process_at(first) == nullptr);
    const CallRecord* c = m.call_at(ordinal);
    REQUIRE(c);  // still in the history: the history keeps more calls than the processes
    CHECK(c->pid == 4242);
    std::ostringstream out;
    TextViewOptions to;
    TextView view(out, to);
    view.print_call(m, *c, nullptr);
    CHECK(out.str().find("[4242 (folded)]") != std::string::npos);
    CHECK(out.str().find("SCardTransmit") != std::string::npos);
    std::ostringstream summary;
    TextView(summary, to).print_statistics(m);
    CHECK(summary.str().find(std::to_string(m.folded().processes) + " exited processes folded into totals") !=
          std::string::npos);
}

TEST_CASE("a dump of a folded session replays to the same totals") {
    TempDir dir;
    ModelOptions o;
    o.memory_budget = 2u << 20;
    SessionModel live(o);
    uint64_t errors = 0;
    for (int64_t i = 0; i < 5000; ++i) {
        errors += i % 7 == 3;
        ShortProcess(10'000 + i, kStart + i * 1000, i % 7 == 3).feed(live);
    }
    SessionWriter running(99);
    running.hello("/usr/bin/pcsc_scan").establish();
    feed_text(live, running.text);
    live.finish();
    REQUIRE(live.folded().processes > 0);
    REQUIRE_FALSE(write_session_document(live, dir / "s.json", false).has_value());

    SessionModel replayed;  // the default budget: nothing of its own to fold
    ReplayReport r = replay_file(dir / "s.json", replayed);
    CHECK(r.is_document);
    CHECK(r.clean());
    CHECK(replayed.function_stats() == live.function_stats());
    CHECK(replayed.folded() == live.folded());
    CHECK(replayed.counters().calls == live.counters().calls);
    CHECK(replayed.counters().processes_exited == live.counters().processes_exited);
    REQUIRE(replayed.processes().size() == live.processes().size());
    for (size_t i = 0; i < live.processes().size(); ++i) {
        CHECK(replayed.processes()[i].pid == live.processes()[i].pid);
        CHECK(replayed.processes()[i].stats == live.processes()[i].stats);
    }
    check_exact(replayed, 5001, 5000, errors, 1);
    // And a dump written before any folding (old dumps have no "folded") replays as before.
    SessionModel small;
    ShortProcess(1, kStart, false).feed(small);
    REQUIRE_FALSE(write_session_document(small, dir / "t.json", false).has_value());
    SessionModel again;
    CHECK(replay_file(dir / "t.json", again).clean());
    CHECK(again.processes().size() == 1);
    CHECK(again.folded().processes == 0);
}

TEST_CASE("hostile distinct reader names share one row past the cap; totals exact") {
    SessionModel m;
    SessionWriter w(1);
    w.hello();
    const size_t names = 10'000;
    for (size_t i = 0; i < names; ++i)
        w.call("SCardStatus", R"({"hCard":200})", "{}", 0, 10, R"(,"reader":"Reader )" + std::to_string(i) + "\"");
    feed_text(m, w.text);
    REQUIRE(m.readers().size() == kMaxReaders + 1);
    const ReaderInfo& shared = m.readers().back();
    CHECK(shared.name == kOtherReaders);
    CHECK(shared.shared);
    CHECK(shared.stats.calls == names - kMaxReaders);
    CHECK(m.folded().reader_names == names - kMaxReaders);
    uint64_t calls = 0;
    for (const ReaderInfo& r : m.readers()) calls += r.stats.calls;
    CHECK(calls == names);
}

TEST_CASE("hostile thread ids, handles, begins and allocations are capped within a running process") {
    SessionModel m;
    SessionWriter w(1);
    w.hello();
    const int n = 20'000;
    for (int i = 0; i < n; ++i) w.call("SCardIsValidContext", R"({"hContext":100})", "{}", 0, 10, "", 100'000 + i);
    for (int i = 0; i < n; ++i)  // contexts established and released
        w.call("SCardEstablishContext", R"({"dwScope":0})", R"({"phContext":)" + std::to_string(1'000'000 + i) + "}")
            .release(1'000'000 + i);
    for (int i = 0; i < n; ++i)  // card handles connected and never disconnected
        w.connect(100, 2'000'000 + i);
    for (int i = 0; i < n; ++i)  // autoallocated buffers never freed
        w.call("SCardListReaders", R"({"hContext":100,"pcchReaders":"SCARD_AUTOALLOCATE"})",
               R"({"mszReaders":["R"],"mszReaders_alloc":)" + std::to_string(3'000'000 + i) + "}");
    feed_text(m, w.text);
    for (int i = 0; i < n; ++i)  // calls that never return
        REQUIRE(m.ingest_line(R"({"v":1,"type":"begin","pid":1,"tid":1,"ts_us":1764040000000000,"seq":)" +
                              std::to_string(w.seq + 1 + i) + R"(,"fn":"SCardGetStatusChange"})")
                    .ok());
    const ProcessInfo* p = m.process_by_pid(1);
    REQUIRE(p);
    CHECK(p->state == ProcessState::Running);
    CHECK(p->threads.size() <= kMaxThreadsPerProcess);
    CHECK(p->contexts.size() <= kMaxClosedHandlesPerProcess + kMaxClosedHandlesPerProcess / 4 + 2);
    CHECK(p->cards.size() <= kMaxHandlesPerProcess + kMaxClosedHandlesPerProcess / 4);
    CHECK(p->allocations.size() <= kMaxAllocationsPerProcess);
    CHECK(p->in_flight.size() == kMaxInFlightPerProcess);
    const FoldedTotals& f = m.folded();
    CHECK(f.threads >= static_cast<uint64_t>(n) + 1 - kMaxThreadsPerProcess);
    CHECK(f.contexts > 0);
    CHECK(f.cards > 0);
    CHECK(f.allocations > 0);
    CHECK(f.begins == n - kMaxInFlightPerProcess);
    CHECK(m.counters().unmatched_begins == f.begins);
    // Every call is still counted.
    CHECK(p->stats.calls == static_cast<uint64_t>(5 * n));
    CHECK(m.function_stats().totals().calls == static_cast<uint64_t>(5 * n));
    CHECK(f.entries() > 0);
    // The process ends: the begins dropped past the cap count as the others do
    // (their thread went on: returned, their calls lost; its last one still
    // running), as if nothing had been capped.
    REQUIRE(m.ingest_line(R"({"v":1,"type":"bye","pid":1,"tid":1,"ts_us":1764040000000001,"calls":)" +
                          std::to_string(w.seq + n) + R"(,"lost":0})")
                .ok());
    CHECK(m.process_by_pid(1)->lost() == static_cast<uint64_t>(n - 1));
    CHECK(m.counters().lost() == static_cast<uint64_t>(n - 1));
}

TEST_CASE("--memory-budget and --history-bytes take sizes; a bad one is a one-line error, exit 2") {
    const auto parse = [](std::vector<const char*> args) {
        args.insert(args.begin(), "pcscspy-top");
        return parse_options(static_cast<int>(args.size()), args.data());
    };
    OptionsParse p = parse({"--memory-budget", "64M", "--history-bytes=1G"});
    REQUIRE_FALSE(p.error);
    CHECK(p.options.memory_budget == size_t{64} << 20);
    CHECK(p.options.history_bytes == size_t{1} << 30);
    CHECK(parse({"--memory-budget", "2048K"}).options.memory_budget == size_t{2} << 20);
    CHECK(parse({"--memory-budget", "3000000"}).options.memory_budget == 3'000'000);
    Options d = parse({}).options;
    CHECK(d.memory_budget == kDefaultMemoryBudget);
    CHECK(d.history_bytes == kDefaultHistoryBytes);
    for (const char* bad : {"12Q", "", "M", "-5M", "100K", "99999999999999999999G"}) {
        CAPTURE(bad);
        CHECK(parse({"--memory-budget", bad}).error);
    }
    CHECK(parse({"--history-bytes", "lots"}).error);
    const std::string top = PCSCSPY_TOP;
    RunResult r = run(top + " --memory-budget 12Q 2>&1");
    CHECK(r.status == 2);
    CHECK(r.out == "pcscspy-top: --memory-budget 12Q: unknown size suffix \"Q\" (K, M or G) (pcscspy-top --help for more)\n");
    RunResult help = run(top + " --help");
    CHECK(help.out.find("--memory-budget SIZE") != std::string::npos);
    CHECK(help.out.find("--history-bytes SIZE") != std::string::npos);
}
