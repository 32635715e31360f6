// A process is what its hello says: every hello field (protocol/event_format.def)
// reaches the model's process and the session document's process entry, with
// nothing copied by hand on the way.
#include <doctest/doctest.h>

#include "monitor/io/session_document.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;
using nlohmann::json;

TEST_CASE("every field of a hello reaches the process and its entry in the session document") {
    const std::string hello =
        R"({"v":1,"type":"hello","pid":77,"tid":77,"ts_us":1764030000000000,"ppid":1,"uid":1000,)"
        R"("started_us":1764029999990000,"exe":"/usr/bin/opensc-tool","argv":["opensc-tool","-a"],)"
        R"("argv_truncated":true,"via":"delegate","backend":"","backend_error":"cannot load the backend",)"
        R"("spy":"0.1.0"})";
    SessionModel m;
    REQUIRE(m.ingest_line(hello).ok());
    REQUIRE(m.processes().size() == 1);
    const ProcessInfo& p = m.processes()[0];
    CHECK(p.started_us == 1764029999990000);
    CHECK(p.via == "delegate");
    CHECK(p.backend_error == "cannot load the backend");

    TempDir dir;
    REQUIRE_FALSE(write_session_document(m, dir / "d.json", false).has_value());
    const json entry = json::parse(read_file(dir / "d.json"))["processes"].at(0);
    const json sent = json::parse(hello);
    for (const auto& [key, value] : sent.items()) {
        if (key == "v" || key == "type" || key == "tid" || key == "ts_us") continue;  // the event's, not the process's
        CAPTURE(key);
        CHECK(entry.at(key) == value);
    }
}
