// Recordings, replays and session documents: a dump replays to the statistics
// the live session had (also beyond its bounded history), damaged files are
// read up to the damage and the damage is reported.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "monitor/io/recorder.hpp"
#include "monitor/io/replay.hpp"
#include "monitor/io/session_document.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

std::string busy_session() {
    SessionWriter a(100), b(200, 1764030000000500);
    a.hello("/usr/bin/opensc-tool").establish().connect();
    b.hello("/usr/bin/python3").establish(300);
    for (int i = 0; i < 40; ++i) {
        a.transmit(i % 3 ? "0084000008" : "0020008106313233343536", i % 3 ? "01020304050607089000" : "63C1");
        a.wait_us(i * 37);
    }
    b.call("SCardGetStatusChange", R"({"hContext":300,"dwTimeout":0})", "{}", 0x8010000A, 20);
    a.disconnect();  // context left open: a finding
    a.bye();
    return a.text + b.text;
}

mode_t mode_of(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

}  // namespace

TEST_CASE("replaying a dump gives the statistics of the live session, even past its history") {
    TempDir dir;
    for (size_t history : {size_t{1000}, size_t{5}}) {
        CAPTURE(history);
        ModelOptions o;
        o.history = history;
        SessionModel live(o);
        feed_text(live, busy_session());
        live.ingest_line("this line is damaged");
        live.finish();
        REQUIRE_FALSE(write_session_document(live, dir / "s.json", false).has_value());

        SessionModel replayed;
        ReplayReport r = replay_file(dir / "s.json", replayed);
        replayed.finish();
        CHECK(r.is_document);
        CHECK(r.clean());
        CHECK(replayed.function_stats() == live.function_stats());
        CHECK(replayed.function_stats().rows()[11].p95_ns() == live.function_stats().rows()[11].p95_ns());
        CHECK(replayed.findings() == live.findings());
        CHECK(replayed.counters().bad_lines == 1);
        CHECK(replayed.calls().size() == std::min<size_t>(history, live.counters().calls));
        REQUIRE(replayed.processes().size() == 2);
        for (size_t i = 0; i < 2; ++i) {
            CHECK(replayed.processes()[i].stats == live.processes()[i].stats);
            CHECK(replayed.processes()[i].exe == live.processes()[i].exe);
        }
        const ReaderInfo* lr = live.reader_by_name("Virtual PCD 00 00");
        const ReaderInfo* rr = replayed.reader_by_name("Virtual PCD 00 00");
        REQUIRE(rr);
        CHECK(rr->apdus == lr->apdus);
        CHECK(rr->stats == lr->stats);
        CHECK(rr->bytes_sent == lr->bytes_sent);
    }
}

TEST_CASE("a dump is private, atomic, and masks PINs unless asked") {
    TempDir dir;
    SessionModel m;
    feed_text(m, busy_session());
    REQUIRE_FALSE(write_session_document(m, dir / "masked.json", false).has_value());
    REQUIRE_FALSE(write_session_document(m, dir / "shown.json", true).has_value());
    CHECK(mode_of(dir / "masked.json") == 0600);
    CHECK(run("ls " + dir.path + " | grep -c tmp").out == "0\n");
    std::string masked = read_file(dir / "masked.json");
    CHECK(masked.starts_with(kSessionDocumentStart));
    CHECK(masked.find("0020008106313233343536") == std::string::npos);
    CHECK(masked.find("00200081062A2A2A2A2A2A") != std::string::npos);
    CHECK(read_file(dir / "shown.json").find("0020008106313233343536") != std::string::npos);
    // The whole document is one JSON object with the contract's members.
    auto doc = nlohmann::json::parse(masked);
    CHECK(doc["v"] == 1);
    CHECK(doc["type"] == "session");
    for (const char* member : {"processes", "readers", "stats", "events"}) CHECK(doc.contains(member));
    CHECK(doc["stats"]["SCardTransmit"]["calls"] == 40);
    // Replacing an existing dump leaves a complete document, never a mix.
    REQUIRE_FALSE(write_session_document(m, dir / "masked.json", true).has_value());
    CHECK(read_file(dir / "masked.json") == read_file(dir / "shown.json"));
}

TEST_CASE("a damaged recording is read around the damage, which is reported") {
    TempDir dir;
    std::string good = read_file(data_path("opensc_tool_session.ndjson"));
    std::vector<std::string> lines = lines_of(good);
    REQUIRE(lines.size() == 25);

    SUBCASE("a corrupt line in the middle") {
        std::string text;
        for (size_t i = 0; i < lines.size(); ++i) text += (i == 9 ? std::string("{\"v\":1,\x01garbage") : lines[i]) + "\n";
        write_file(dir / "r.ndjson", text);
        SessionModel m;
        ReplayReport r = replay_file(dir / "r.ndjson", m);
        CHECK_FALSE(r.clean());
        CHECK(r.damaged == 1);
        REQUIRE(r.damage.size() == 1);
        CHECK(r.damage[0].line == 10);
        CHECK(r.events == 24);
        CHECK(m.processes()[0].state == ProcessState::Exited);  // the bye after the damage was read
        auto report = damage_lines(r, dir / "r.ndjson");
        REQUIRE(report.size() == 2);
        CHECK(report[1].find("line 10") != std::string::npos);
    }
    SUBCASE("a recording cut in the middle of its last line") {
        std::string cut = good.substr(0, good.size() - 30);
        write_file(dir / "r.ndjson", cut);
        SessionModel m;
        ReplayReport r = replay_file(dir / "r.ndjson", m);
        CHECK(r.truncated);
        CHECK(r.events == 24);
        CHECK(damage_lines(r, "r").at(0).find("truncated") != std::string::npos);
    }
    SUBCASE("a dump cut short keeps what it had") {
        SessionModel live;
        feed_text(live, busy_session());
        REQUIRE_FALSE(write_session_document(live, dir / "d.json", false).has_value());
        std::string doc = read_file(dir / "d.json");
        write_file(dir / "d.json", doc.substr(0, doc.size() * 2 / 3));
        SessionModel m;
        ReplayReport r = replay_file(dir / "d.json", m);
        CHECK(r.is_document);
        CHECK(r.truncated);
        CHECK(r.events > 10);
        CHECK(m.function_stats() == live.function_stats());  // the summary comes first
    }
    SUBCASE("a file that does not exist") {
        SessionModel m;
        ReplayReport r = replay_file(dir / "missing", m);
        CHECK_FALSE(r.opened);
        CHECK(r.error.find("cannot open") != std::string::npos);
    }
}

TEST_CASE("a file that holds no event is not a recording: an error, not an empty session") {
    TempDir dir;
    SUBCASE("a folder") {
        SessionModel m;
        ReplayReport r = replay_file(dir.path, m);
        CHECK(r.error.find("is a folder, not a recording or a session dump") != std::string::npos);
    }
    SUBCASE("a text file") {
        write_file(dir / "passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n");
        SessionModel m;
        ReplayReport r = replay_file(dir / "passwd", m);
        CHECK(r.not_a_recording);
        CHECK(r.error.find("not a recording or a session dump (it does not start with a JSON event)") !=
              std::string::npos);
        CHECK(m.processes().empty());
    }
    SUBCASE("JSON lines that are not events") {
        write_file(dir / "other.ndjson", "{\"name\":\"x\"}\n{\"version\":2}\n");
        SessionModel m;
        ReplayReport r = replay_file(dir / "other.ndjson", m);
        CHECK(r.not_a_recording);
        CHECK(r.error.find("(no event in its 2 lines; line 1: ") != std::string::npos);
    }
    SUBCASE("an empty file is an empty session, not an error") {
        write_file(dir / "empty.ndjson", "");
        SessionModel m;
        ReplayReport r = replay_file(dir / "empty.ndjson", m);
        CHECK(r.error.empty());
        CHECK(r.clean());
    }
    SUBCASE("one good event among damage is a damaged recording") {
        std::vector<std::string> lines = lines_of(read_file(data_path("opensc_tool_session.ndjson")));
        write_file(dir / "r.ndjson", "{garbage\n" + lines.at(0) + "\n");
        SessionModel m;
        ReplayReport r = replay_file(dir / "r.ndjson", m);
        CHECK(r.error.empty());
        CHECK(r.events == 1);
        CHECK(r.damaged == 1);
    }
}

TEST_CASE("the recorder appends raw lines to a private file") {
    TempDir dir;
    write_file(dir / "rec", "earlier\n");
    chmod((dir / "rec").c_str(), 0644);
    {
        Recorder::Result r = Recorder::open(dir / "rec");
        REQUIRE(r.recorder);
        r.recorder->write_line(R"({"v":1})");
        r.recorder->write_line("not even json");
    }
    CHECK(read_file(dir / "rec") == "earlier\n{\"v\":1}\nnot even json\n");
    CHECK(mode_of(dir / "rec") == 0600);
    Recorder::Result fresh = Recorder::open(dir / "new");
    REQUIRE(fresh.recorder);
    CHECK(mode_of(dir / "new") == 0600);
    CHECK_FALSE(Recorder::open(dir / "no/such/dir/rec").recorder.has_value());
}
