// The session model: what it learns from a recorded opensc-tool session and
// from small hand-written ones (processes, readers, handles, statistics, history).
#include <doctest/doctest.h>

#include "monitor/model/session_model.hpp"
#include "protocol/pcsc_functions.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

TEST_CASE("a recorded opensc-tool session: process, reader, card, APDUs and statistics") {
    SessionModel m;
    feed_file(m, "opensc_tool_session.ndjson");
    CHECK(m.counters().bad_lines == 0);
    CHECK(m.counters().calls == 18);
    REQUIRE(m.processes().size() == 1);
    const ProcessInfo& p = m.processes()[0];
    CHECK(p.pid == 4242);
    CHECK(p.exe_name() == "opensc-tool");
    CHECK(p.via == "dlopen");
    CHECK(p.state == ProcessState::Exited);
    CHECK(p.stats.calls == 18);
    CHECK(p.apdus == 4);
    CHECK(p.in_flight.empty());
    CHECK(p.allocations.empty());  // every autoallocated buffer was freed

    REQUIRE(m.readers().size() == 2);
    const ReaderInfo* r = m.reader_by_name("Virtual PCD 00 00");
    REQUIRE(r);
    CHECK(r->card_present == true);
    CHECK(to_hex(r->atr) == "3B951381018073FF01000B");
    CHECK(r->apdus == 4);
    CHECK(r->bytes_sent == 11 + 7 + 5 + 11);
    CHECK(r->bytes_received == 2 + 2 + 10 + 2);
    CHECK(r->last_sw == 0x63C2);
    CHECK(r->sw_classes[static_cast<size_t>(SwClass::Success)] == 2);
    CHECK(r->sw_classes[static_cast<size_t>(SwClass::Warning)] == 1);
    CHECK(r->sw_classes[static_cast<size_t>(SwClass::Error)] == 1);
    CHECK_FALSE(r->transaction_pid.has_value());  // ended
    REQUIRE(r->features.size() == 3);             // learnt from GET_FEATURE_REQUEST
    CHECK(r->features[0].control_code == 0x4233000A);
    const ReaderInfo* empty = m.reader_by_name("Virtual PCD 00 01");
    REQUIRE(empty);
    CHECK(empty->card_present == false);

    const FunctionStats& tx = m.function_stats().rows()[static_cast<size_t>(PcscFunction::SCardTransmit)];
    CHECK(tx.stats.calls == 4);
    CHECK(tx.stats.total_ns == 45210000 + 44870000 + 45020000 + 45550000);
    CHECK(tx.stats.min_ns == 44870000);
    CHECK(tx.stats.max_ns == 45550000);
    auto sorted = m.function_stats().sorted_by_total();
    REQUIRE(!sorted.empty());
    CHECK(sorted[0]->name == "SCardTransmit");
    CHECK(sorted[1]->name == "SCardDisconnect");
}

TEST_CASE("transmits are decoded with the applet context of their handle") {
    SessionModel m;
    SessionWriter s;
    s.hello().establish().connect()
        .transmit("00A4040007A0000003080000", "9000")  // SELECT PIV
        .transmit("00CB3FFF055C035FC10200", "6A82")      // GET DATA in PIV terms
        .transmit("0020008006313233343536", "63C2");     // VERIFY: a secret
    feed_text(m, s.text);
    REQUIRE(m.calls().size() == 5);
    const CallRecord& select = m.calls()[2];
    CHECK(select.has_apdu());
    CHECK(select.ins == 0xA4);
    CHECK(select.sw == 0x9000);
    CHECK(select.apdu.find("SELECT") != std::string::npos);
    CHECK(m.applet_names()[select.applet] == "PIV");
    const CallRecord& get_data = m.calls()[3];
    CHECK(m.applet_names()[get_data.applet] == "PIV");
    CHECK(get_data.apdu.find("6A82") != std::string::npos);
    const CallRecord& verify = m.calls()[4];
    CHECK((verify.flags & CallRecord::kSecret));
    CHECK(verify.apdu.find("313233") == std::string::npos);  // the summary never shows a PIN

    auto again = m.decode_exchange(get_data.ordinal);
    REQUIRE(again.has_value());
    CHECK(again->applet_name == "PIV");
    CHECK(again->sw == 0x6A82);
}

TEST_CASE("the history is bounded while statistics stay exact") {
    ModelOptions o;
    o.history = 10;
    SessionModel m(o);
    SessionWriter s;
    s.hello().establish().connect();
    for (int i = 0; i < 100; ++i) s.transmit("0084000008", "01020304050607089000");
    feed_text(m, s.text);
    CHECK(m.calls().size() == 10);
    CHECK(m.counters().calls == 102);
    CHECK(m.counters().evicted_calls == 92);
    CHECK(m.first_kept_ordinal() == 93);
    CHECK(m.call_at(92) == nullptr);
    REQUIRE(m.call_at(102) != nullptr);
    CHECK(m.call_at(102)->ordinal == 102);
    CHECK(m.function_stats().rows()[static_cast<size_t>(PcscFunction::SCardTransmit)].stats.calls == 100);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->apdus == 100);
}

TEST_CASE("a begin without its call is a call in flight, until the call arrives") {
    SessionModel m;
    SessionWriter s;
    s.hello().establish();
    s.begin("SCardGetStatusChange", R"(,"ctx":100)");
    feed_text(m, s.text);
    const ProcessInfo& p = m.processes()[0];
    REQUIRE(p.in_flight.size() == 1);
    CHECK(p.in_flight.begin()->second.fn == "SCardGetStatusChange");
    CHECK(p.in_flight.begin()->second.since_us == s.ts_us);
    CHECK(m.in_flight().size() == 1);
    CHECK(p.activity.last_begin_us == s.ts_us);
    SessionWriter rest = s;
    rest.text.clear();
    rest.call("SCardGetStatusChange", R"({"hContext":100,"dwTimeout":4294967295})", "{}", 0x8010000A, 5000000);
    feed_text(m, rest.text);
    CHECK(m.processes()[0].in_flight.empty());
    // A timeout of SCardGetStatusChange is an answer, not an error.
    CHECK(m.processes()[0].stats.errors == 0);
}

TEST_CASE("reader state is learnt from status changes, SCardStatus and card errors") {
    SessionModel m;
    SessionWriter s;
    s.hello().establish().connect();
    feed_text(m, s.text);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == true);
    SessionWriter t = s;
    t.text.clear();
    t.call("SCardGetStatusChange",
           R"({"hContext":100,"dwTimeout":1000,"rgReaderStates":[{"szReader":"Virtual PCD 00 00","dwCurrentState":32}]})",
           R"({"rgReaderStates":[{"szReader":"Virtual PCD 00 00","dwCurrentState":32,"dwEventState":18,"cbAtr":0,"rgbAtr":""},)"
           R"({"szReader":"\\\\?PnP?\\Notification","dwCurrentState":0,"dwEventState":0}]})");
    feed_text(m, t.text);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == false);
    CHECK(m.reader_by_name("\\\\?PnP?\\Notification") == nullptr);  // not a reader
    t.text.clear();
    t.call("SCardStatus", R"({"hCard":200})", R"({"szReaderName":"Virtual PCD 00 00","pdwState":52,"pbAtr":"3B00"})");
    feed_text(m, t.text);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == true);
    CHECK(to_hex(m.reader_by_name("Virtual PCD 00 00")->atr) == "3B00");
    t.text.clear();
    t.transmit("00A4040000", "9000");
    t.card_call("SCardTransmit", 200, 0x80100069);  // SCARD_W_REMOVED_CARD
    feed_text(m, t.text);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == false);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->atr.empty());
}

TEST_CASE("transactions: the reader shows who holds one") {
    SessionModel m;
    SessionWriter s(77);
    s.hello().establish().connect().card_call("SCardBeginTransaction");
    feed_text(m, s.text);
    const ReaderInfo* r = m.reader_by_name("Virtual PCD 00 00");
    REQUIRE(r->transaction_pid.has_value());
    CHECK(*r->transaction_pid == 77);
    SessionWriter t = s;
    t.text.clear();
    t.card_call("SCardEndTransaction", 200, 0, R"(,"dwDisposition":0)");
    feed_text(m, t.text);
    CHECK_FALSE(m.reader_by_name("Virtual PCD 00 00")->transaction_pid.has_value());
}

TEST_CASE("processes: threads, pid reuse, disconnection, lost events, rate") {
    SessionModel m;
    SessionWriter a(10);
    a.hello().establish();
    a.call("SCardIsValidContext", R"({"hContext":100})", "{}", 0, 100, "", 11);
    a.bye();
    SessionWriter b(10, a.ts_us + 1000);  // the same pid, a new program
    b.hello("/usr/bin/pcsc_scan").establish();
    b.text += R"({"v":1,"type":"lost","pid":10,"tid":10,"ts_us":1764030000100000,"count":7})" "\n";
    feed_text(m, a.text + b.text);
    REQUIRE(m.processes().size() == 2);
    CHECK(m.processes()[0].threads.size() == 2);
    CHECK(m.processes()[0].state == ProcessState::Exited);
    CHECK(m.processes()[1].exe_name() == "pcsc_scan");
    CHECK(m.process_by_pid(10) == &m.processes()[1]);
    CHECK(m.processes()[1].lost_events == 7);
    CHECK(m.counters().lost_events == 7);
    m.connection_closed(1, b.ts_us + 5);
    CHECK(m.processes()[1].state == ProcessState::Disconnected);

    // exec: the same pid says hello again on a new connection, without a bye. The
    // program before exec is gone, with what it held (the checker says so).
    SessionModel e;
    SessionWriter before(30);
    before.hello("/bin/sh").establish();
    const int64_t exec_us = before.ts_us + 1000;
    SessionWriter after(30, exec_us);
    after.hello("/usr/bin/opensc-tool").establish();
    feed_text(e, before.text + after.text);
    REQUIRE(e.processes().size() == 2);
    CHECK(e.processes()[0].state == ProcessState::Disconnected);
    CHECK(e.processes()[0].exit_us == exec_us);
    CHECK(e.processes()[1].state == ProcessState::Running);
    CHECK(e.process_by_pid(30) == &e.processes()[1]);
    CHECK(std::any_of(e.findings().begin(), e.findings().end(), [](const Finding& f) { return f.process == 0; }));
    // The old connection closes after the new one said hello: the new process lives on.
    e.connection_closed(0, exec_us + 10);
    CHECK(e.processes()[1].state == ProcessState::Running);

    SessionModel r;
    SessionWriter fast(20);
    fast.hello();
    for (int i = 0; i < 50; ++i) fast.call("SCardIsValidContext", R"({"hContext":1})").wait_us(100'000 - 110);
    feed_text(r, fast.text);
    // 50 calls over 5 s: about 10 calls per second in the last seconds.
    CHECK(r.call_rate(0, fast.ts_us) == doctest::Approx(10.0).epsilon(0.25));
}

TEST_CASE("bad lines are counted by kind and never disturb the model") {
    SessionModel m;
    SessionWriter s;
    s.hello().establish();
    std::string text = s.text + "not json\n" + R"({"v":1,"type":"party","pid":1,"ts_us":1})" + "\n" +
                       R"({"v":1,"type":"call","pid":"x","ts_us":1})" + "\n" + "\xff\xfe\x01\n";
    feed_text(m, text);
    CHECK(m.counters().bad_lines == 4);
    CHECK(m.counters().bad_by_kind[static_cast<size_t>(EventErrorKind::MalformedJson)] == 2);
    CHECK(m.counters().bad_by_kind[static_cast<size_t>(EventErrorKind::UnknownType)] == 1);
    CHECK(m.counters().bad_by_kind[static_cast<size_t>(EventErrorKind::WrongType)] == 1);
    CHECK(m.counters().calls == 1);
    CHECK(m.processes().size() == 1);
}

TEST_CASE("the generation moves with every change and only then") {
    SessionModel m;
    uint64_t g0 = m.generation();
    m.ingest_line(R"({"v":1,"type":"lost","pid":1,"tid":1,"ts_us":5,"count":1})");
    uint64_t g1 = m.generation();
    CHECK(g1 > g0);
    CHECK(m.generation() == g1);
    m.ingest_line("garbage");
    CHECK(m.generation() > g1);
}

TEST_CASE("a session recorded on the test bed through the interposer") {
    SessionModel m;
    feed_file(m, "opensc_tool_testbed.ndjson");
    m.finish();
    CHECK(m.counters().bad_lines == 0);
    CHECK(m.counters().begins == m.counters().calls);  // this interposer sends a begin for every call
    REQUIRE(m.processes().size() == 1);
    const ProcessInfo& p = m.processes()[0];
    CHECK(p.exe_name() == "opensc-tool");
    CHECK(p.state == ProcessState::Exited);
    CHECK(p.in_flight.empty());
    CHECK(p.bye_calls == m.counters().calls);
    const ReaderInfo* r = m.reader_by_name("Virtual PCD 00 00");
    REQUIRE(r);
    CHECK(r->card_present == true);
    CHECK(to_hex(r->atr) == "3B951381018073FF01000B");
    // opensc-tool connects to the empty second slot directly (SCARD_SHARE_DIRECT):
    // that reaches the reader, it does not put a card in it.
    const ReaderInfo* empty = m.reader_by_name("Virtual PCD 00 01");
    REQUIRE(empty);
    CHECK(empty->card_present == false);
    bool select = false, challenge = false;
    for (const CallRecord& c : m.calls()) {
        select |= c.apdu == "SELECT by DF name D27600012401 (OpenPGP card) → 6A82 File or application not found";
        challenge |= c.apdu == "GET CHALLENGE 8-byte challenge → 9000 OK (8 bytes)";
    }
    CHECK(select);
    CHECK(challenge);
    CHECK(m.findings().empty());
}

namespace {

std::string call_line(int64_t pid, uint64_t seq, const std::string& fn, const std::string& dur_ns = "1000",
                      const std::string& ts_us = "10", const std::string& in = "{}") {
    return R"({"v":1,"type":"call","pid":)" + std::to_string(pid) + R"(,"ts_us":)" + ts_us + R"(,"seq":)" +
           std::to_string(seq) + R"(,"fn":")" + fn + R"(","dur_ns":)" + dur_ns + R"(,"rv":0,"in":)" + in +
           R"(,"out":{}})";
}

}  // namespace

TEST_CASE("negative times are refused, huge ones saturate: the statistics never overflow") {
    SessionModel m;
    CHECK(m.ingest_line(call_line(1, 1, "SCardIsValidContext", "-5")).error == EventErrorKind::WrongType);
    CHECK(m.ingest_line(call_line(1, 2, "SCardIsValidContext", "5", "-1")).error == EventErrorKind::WrongType);
    CHECK(m.counters().bad_lines == 2);
    CHECK(m.counters().calls == 0);
    CHECK(m.processes().empty());
    // The largest values the format allows, again and again.
    const std::string max = std::to_string(INT64_MAX);
    for (uint64_t seq = 1; seq <= 3; ++seq) REQUIRE(m.ingest_line(call_line(1, seq, "SCardIsValidContext", max, max)).ok());
    const FunctionStats& f = m.function_stats().rows()[static_cast<size_t>(PcscFunction::SCardIsValidContext)];
    CHECK(f.stats.calls == 3);
    CHECK(f.stats.total_ns == INT64_MAX);
    CHECK(m.function_stats().totals().total_ns == INT64_MAX);
    CHECK(m.latest_ts_us() == INT64_MAX);
    // lost counts saturate at 2^64 - 1.
    const std::string lost = R"({"v":1,"type":"lost","pid":1,"ts_us":1,"count":18446744073709551615})";
    REQUIRE(m.ingest_line(lost).ok());
    REQUIRE(m.ingest_line(lost).ok());
    CHECK(m.counters().lost_events == UINT64_MAX);
    CHECK(m.process_by_pid(1)->lost_events == UINT64_MAX);
}

TEST_CASE("a bye for a pid never seen makes up no process; it is counted") {
    SessionModel m;
    REQUIRE(m.ingest_line(R"({"v":1,"type":"bye","pid":77,"ts_us":1,"calls":5,"lost":2})").ok());
    CHECK(m.processes().empty());
    CHECK(m.counters().orphan_byes == 1);
    CHECK(m.counters().lost_events == 2);
}

TEST_CASE("160,000 distinct unknown function names: bounded rows, exact totals, linear time") {
    SessionModel m;
    const size_t names = 160'000;
    for (size_t i = 0; i < names; ++i) REQUIRE(m.ingest_line(call_line(1, i + 1, "Fn" + std::to_string(i))).ok());
    const auto& rows = m.function_stats().rows();
    CHECK(rows.size() == kFunctionCount + kMaxUnknownFunctions + 1);
    CHECK(rows.back().name == kOtherFunctions);
    CHECK(rows.back().stats.calls == names - kMaxUnknownFunctions);
    CHECK(m.function_stats().totals().calls == names);
    CHECK(m.counters().unknown_functions == names);
    // Every kept call names a row that exists (no 16-bit wrap).
    for (const CallRecord& c : m.calls()) CHECK(c.fn < rows.size());
    CHECK(m.function_name(m.calls().back()) == kOtherFunctions);
    SessionModel few;
    REQUIRE(few.ingest_line(call_line(1, 1, "Fn7")).ok());
    CHECK(few.function_name(few.calls().back()) == "Fn7");
}

TEST_CASE("the history is bounded in bytes as well as in calls; the statistics stay exact") {
    ModelOptions o;
    o.history_bytes = 1 << 20;
    SessionModel m(o);
    const std::string big = R"({"pbSendBuffer":")" + std::string(100'000, 'A') + R"("})";
    for (uint64_t seq = 1; seq <= 150; ++seq) REQUIRE(m.ingest_line(call_line(1, seq, "SCardTransmit", "1000", "10", big)).ok());
    size_t kept = 0;
    for (const CallRecord& c : m.calls()) kept += c.raw.size();
    CHECK(kept <= o.history_bytes);
    CHECK(m.calls().size() == o.history_bytes / m.calls().back().raw.size());
    CHECK(m.counters().evicted_calls == 150 - m.calls().size());
    CHECK(m.function_stats().rows()[static_cast<size_t>(PcscFunction::SCardTransmit)].stats.calls == 150);
    // One call larger than the whole budget is still the newest kept.
    o.history_bytes = 10;
    SessionModel tiny(o);
    REQUIRE(tiny.ingest_line(call_line(1, 1, "SCardTransmit", "1000", "10", big)).ok());
    CHECK(tiny.calls().size() == 1);
}
