// What the event builder makes of the probes' records, without a kernel: the
// records are built here as the probes build them (probe_records.h).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/ebpf/event_builder.hpp"

using namespace pcscspy;
using namespace pcscspy::ebpf;
using nlohmann::json;

namespace {

constexpr uint32_t kPid = 4242;
constexpr uint64_t kMs = 1'000'000;

class Record {
public:
    Record(uint32_t type, uint32_t pid, uint64_t seq, uint64_t time_ns, PcscFunction fn = PcscFunction::SCardEstablishContext) {
        h_.type = type;
        h_.fn = static_cast<uint32_t>(fn);
        h_.pid = pid;
        h_.tid = pid;
        h_.seq = seq;
        h_.time_ns = time_ns;
    }
    Record& arg(size_t i, uint64_t v) {
        h_.args[i] = v;
        return *this;
    }
    Record& rv(int64_t v) {
        h_.rv = v;
        return *this;
    }
    Record& lost(uint64_t v) {
        h_.lost = v;
        return *this;
    }
    Record& item(uint8_t arg, pcscspy_probe_item_kind kind, const void* data, size_t n, uint16_t index = 0) {
        pcscspy_probe_item it{arg, static_cast<uint8_t>(kind), index, static_cast<uint32_t>(n)};
        const auto* p = reinterpret_cast<const uint8_t*>(&it);
        items_.insert(items_.end(), p, p + sizeof it);
        const auto* d = static_cast<const uint8_t*>(data);
        items_.insert(items_.end(), d, d + n);
        return *this;
    }
    Record& value(uint8_t arg, uint64_t v) { return item(arg, PROBE_ITEM_VALUE, &v, sizeof v); }
    Record& text(uint8_t arg, const std::string& s, pcscspy_probe_item_kind kind = PROBE_ITEM_STRING) {
        return item(arg, kind, s.data(), s.size());
    }
    std::vector<uint8_t> bytes() const {
        pcscspy_probe_header h = h_;
        h.data_len = items_.size();
        std::vector<uint8_t> out(sizeof h);
        std::memcpy(out.data(), &h, sizeof h);
        out.insert(out.end(), items_.begin(), items_.end());
        return out;
    }

private:
    pcscspy_probe_header h_{};
    std::vector<uint8_t> items_;
};

struct Harness {
    std::vector<json> events;
    std::optional<ProcessIdentity> identity = ProcessIdentity{1, 1000, "/usr/bin/prog", {"prog", "-x"}};
    EventBuilder builder{
        [this] {
            EventBuilderOptions o;
            o.identify = [this](uint32_t) { return identity; };
            o.spy_version = "test";
            return o;
        }(),
        [this](std::string_view line) { events.push_back(json::parse(line)); }};

    Harness() {
        builder.set_library(0, "/lib/libpcsclite.so.1");
        builder.set_wall_offset(1'000'000'000'000'000);  // the epoch, 1e6 s before boot
    }
    void feed(const Record& r) {
        auto b = r.bytes();
        REQUIRE(builder.on_record(b.data(), b.size()));
    }
    std::vector<json> of(const std::string& type) const {
        std::vector<json> out;
        for (const json& e : events)
            if (e["type"] == type) out.push_back(e);
        return out;
    }
    // An SCardEstablishContext call, seq `seq`, from t ms to t + 1 ms.
    void establish(uint64_t seq, uint64_t t_ms, uint32_t pid = kPid) {
        uint64_t out_pointer = 0x7fff0000;
        feed(Record(PROBE_CALL_ENTRY, pid, seq, t_ms * kMs).arg(0, 2).arg(3, out_pointer));
        feed(Record(PROBE_CALL_RETURN, pid, seq, (t_ms + 1) * kMs).rv(0).value(3, 0x1234 + seq));
    }
};

}  // namespace

TEST_CASE("event builder: a process's first call brings its hello from /proc, with via ebpf and the library") {
    Harness h;
    h.establish(1, 10);
    REQUIRE(h.events.size() == 2);
    const json& hello = h.events[0];
    CHECK(hello["type"] == "hello");
    CHECK(hello["pid"] == kPid);
    CHECK(hello["exe"] == "/usr/bin/prog");
    CHECK(hello["argv"] == json::array({"prog", "-x"}));
    CHECK(hello["uid"] == 1000);
    CHECK(hello["ppid"] == 1);
    CHECK(hello["via"] == "ebpf");
    CHECK(hello["backend"] == "/lib/libpcsclite.so.1");
    CHECK(hello["ts_us"] == 1'000'000'000'000 + 10'000);
    const json& call = h.events[1];
    CHECK(call["type"] == "call");
    CHECK(call["seq"] == 1);
    CHECK(call["fn"] == "SCardEstablishContext");
    CHECK(call["dur_ns"] == 1'000'000);
    CHECK(call["ts_us"] == 1'000'000'000'000 + 10'000);
    CHECK(call["in"] == json::parse(R"({"dwScope":2,"pvReserved1":null,"pvReserved2":null})"));
    CHECK(call["out"]["phContext"] == 0x1235);
}

TEST_CASE("event builder: a process gone before /proc was read is named from what the kernel captured") {
    Harness h;
    h.identity.reset();
    uint32_t ids[2] = {1000, 77};
    std::string argv("opensc-tool\0-a\0", 15);
    h.feed(Record(PROBE_PROCESS_FIRST, kPid, 0, 5 * kMs)
               .item(0, PROBE_ITEM_IDS, ids, sizeof ids)
               .text(0, std::string("opensc-tool\0\0\0\0\0", 16), PROBE_ITEM_COMM)
               .text(0, argv, PROBE_ITEM_ARGV));
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0]["exe"] == "opensc-tool");
    CHECK(h.events[0]["argv"] == json::array({"opensc-tool", "-a"}));
    CHECK(h.events[0]["uid"] == 1000);
    CHECK(h.events[0]["ppid"] == 77);
    h.establish(1, 10);
    CHECK(h.of("hello").size() == 1);
}

TEST_CASE("event builder: a call still running gets its begin after a moment, quick calls none") {
    Harness h;
    h.establish(1, 10);
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 2, 20 * kMs, PcscFunction::SCardGetStatusChange).arg(0, 0x1235).arg(1, 5000));
    h.builder.tick(25 * kMs);
    CHECK(h.of("begin").empty());
    h.builder.tick(45 * kMs);
    REQUIRE(h.of("begin").size() == 1);
    json begin = h.of("begin")[0];
    CHECK(begin["seq"] == 2);
    CHECK(begin["fn"] == "SCardGetStatusChange");
    CHECK(begin["ctx"] == 0x1235);
    h.builder.tick(90 * kMs);
    CHECK(h.of("begin").size() == 1);  // once
    CHECK(h.builder.calls_running() == 1);
}

TEST_CASE("event builder: calls a process was in when it ended get their begin, then bye with the kernel's counts") {
    Harness h;
    h.establish(1, 10);
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 2, 20 * kMs, PcscFunction::SCardGetStatusChange).arg(0, 0x1235));
    h.feed(Record(PROBE_PROCESS_EXIT, kPid, 2, 30 * kMs).lost(3));
    REQUIRE(h.events.size() == 4);
    CHECK(h.events[2]["type"] == "begin");
    CHECK(h.events[3]["type"] == "bye");
    CHECK(h.events[3]["calls"] == 2);
    CHECK(h.events[3]["lost"] == 3);
    CHECK(h.builder.processes().empty());
}

TEST_CASE("event builder: lost calls are said once, as the difference since last said") {
    Harness h;
    h.establish(1, 10);
    h.builder.lost_total(kPid, 5, 20 * kMs);
    h.builder.lost_total(kPid, 5, 21 * kMs);
    h.builder.lost_total(kPid, 7, 22 * kMs);
    auto lost = h.of("lost");
    REQUIRE(lost.size() == 2);
    CHECK(lost[0]["count"] == 5);
    CHECK(lost[1]["count"] == 2);
    // A process of which every call was lost still appears, with its losses.
    h.builder.lost_total(kPid + 1, 4, 23 * kMs);
    CHECK(h.of("hello").size() == 2);
    CHECK(h.of("lost").back()["count"] == 4);
}

TEST_CASE("event builder: exec ends the image (the next call says hello again), with its losses") {
    Harness h;
    h.establish(1, 10);
    h.feed(Record(PROBE_PROCESS_EXEC, kPid, 1, 20 * kMs).lost(1));
    CHECK(h.of("bye").empty());
    CHECK(h.of("lost").size() == 1);
    h.establish(1, 30);
    CHECK(h.of("hello").size() == 2);
    CHECK(h.of("call").back()["seq"] == 1);
}

TEST_CASE("event builder: a process with the interposer loaded is held until its interposer's stream wins") {
    Harness h;
    h.identity->interposer_loaded = true;
    h.establish(1, 10);
    CHECK(h.events.empty());
    h.builder.interposed(kPid);
    h.establish(2, 20);
    h.builder.tick(5000 * kMs);
    CHECK(h.events.empty());
    // ...until the process exits: the pid may then be someone else's.
    h.feed(Record(PROBE_PROCESS_EXIT, kPid, 2, 30 * kMs));
    CHECK(h.events.empty());
    h.identity->interposer_loaded = false;
    h.establish(1, 40);
    CHECK(h.of("hello").size() == 1);
}

TEST_CASE("event builder: a process with the interposer loaded that never speaks to us is shown after the hold") {
    Harness h;
    h.identity->interposer_loaded = true;
    h.establish(1, 10);
    h.builder.tick(1000 * kMs);
    CHECK(h.events.empty());
    h.builder.tick(2011 * kMs);
    REQUIRE(h.events.size() == 2);
    CHECK(h.events[0]["type"] == "hello");
    h.establish(2, 2020);
    CHECK(h.events.size() == 3);
}

TEST_CASE("event builder: only the pids asked for") {
    std::vector<json> events;
    EventBuilderOptions o;
    o.pids = {kPid};
    EventBuilder b(o, [&](std::string_view line) { events.push_back(json::parse(line)); });
    auto other = Record(PROBE_CALL_ENTRY, kPid + 1, 1, kMs).bytes();
    b.on_record(other.data(), other.size());
    CHECK(events.empty());
    auto mine = Record(PROBE_CALL_ENTRY, kPid, 1, kMs).bytes();
    b.on_record(mine.data(), mine.size());
    CHECK(events.size() == 1);
}

TEST_CASE("event builder: card handles carry their reader name, as the interposer's table does") {
    Harness h;
    h.establish(1, 10);
    const uint64_t ctx = 0x1235, phCard = 0x7fff1000, proto = 0x7fff2000;
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 2, 20 * kMs, PcscFunction::SCardConnect)
               .arg(0, ctx).arg(1, 0x5000).arg(2, 2).arg(3, 3).arg(4, phCard).arg(5, proto)
               .text(1, "Reader A"));
    h.feed(Record(PROBE_CALL_RETURN, kPid, 2, 21 * kMs, PcscFunction::SCardConnect).rv(0).value(4, 77).value(5, 2));
    const json connect = h.of("call").back();
    CHECK(connect["reader"] == "Reader A");
    CHECK(connect["ctx"] == ctx);
    CHECK(connect["out"] == json::parse(R"({"phCard":77,"pdwActiveProtocol":2})"));
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 3, 30 * kMs, PcscFunction::SCardBeginTransaction).arg(0, 77));
    h.feed(Record(PROBE_CALL_RETURN, kPid, 3, 31 * kMs, PcscFunction::SCardBeginTransaction).rv(0));
    CHECK(h.of("call").back()["reader"] == "Reader A");
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 4, 40 * kMs, PcscFunction::SCardReleaseContext).arg(0, ctx));
    h.feed(Record(PROBE_CALL_RETURN, kPid, 4, 41 * kMs, PcscFunction::SCardReleaseContext).rv(0));
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 5, 50 * kMs, PcscFunction::SCardBeginTransaction).arg(0, 77));
    h.feed(Record(PROBE_CALL_RETURN, kPid, 5, 51 * kMs, PcscFunction::SCardBeginTransaction).rv(0));
    CHECK_FALSE(h.of("call").back().contains("reader"));
}

TEST_CASE("event builder: memory the kernel could not read is named in unreadable, shown as zeros") {
    Harness h;
    h.establish(1, 10);
    const uint64_t send = 0x6000;
    h.feed(Record(PROBE_CALL_ENTRY, kPid, 2, 20 * kMs, PcscFunction::SCardTransmit)
               .arg(0, 77).arg(1, 0).arg(2, send).arg(3, 4).arg(4, 0).arg(5, 0x7000).arg(6, 0x8000)
               .item(2, PROBE_ITEM_UNREADABLE, nullptr, 0)
               .value(6, 16));
    uint8_t resp[] = {0x90, 0x00};
    h.feed(Record(PROBE_CALL_RETURN, kPid, 2, 21 * kMs, PcscFunction::SCardTransmit)
               .rv(0).item(5, PROBE_ITEM_BYTES, resp, 2).value(6, 2));
    const json call = h.of("call").back();
    CHECK(call["in"]["pbSendBuffer"] == "00000000");
    CHECK(call["unreadable"] == json::array({"in.pbSendBuffer"}));
    CHECK(call["out"]["pbRecvBuffer"] == "9000");
}

TEST_CASE("event builder: a return without its entry, and bytes that are no record, are counted") {
    Harness h;
    h.feed(Record(PROBE_CALL_RETURN, kPid, 9, kMs).rv(0));
    CHECK(h.builder.records_dropped() == 1);
    uint8_t junk[3] = {1, 2, 3};
    CHECK_FALSE(h.builder.on_record(junk, sizeof junk));
    CHECK(h.builder.records_dropped() == 2);
    CHECK(h.of("call").empty());
}
