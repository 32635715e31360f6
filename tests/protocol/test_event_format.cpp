// The allocation-free side of the event format (event_format.hpp, what the
// interposer writes with) and the owned side (event.hpp: decode_event,
// to_json) are derived from the same description: whatever a producer writes
// reads back as the same event, and is the very JSON to_json gives for it.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "protocol/event.hpp"

using namespace pcscspy;
using nlohmann::json;

namespace {

// A view's values as the owned event holds them.
int64_t owned(int64_t v) { return v; }
uint64_t owned(uint64_t v) { return v; }
bool owned(bool v) { return v; }
std::string owned(std::string_view v) { return std::string(v); }
std::vector<std::string> owned(StringListView v) {
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size;) {
        size_t end = i;
        while (end < v.size && v.data[end] != '\0') ++end;
        out.emplace_back(v.data + i, end - i);
        i = end + 1;
    }
    return out;
}
json owned(ObjectView v) {
    if (!v.write) return json::object();
    char buf[256];
    JsonWriter w(buf, sizeof buf);
    w.begin_object();
    v.write(w, v.context);
    w.end_object();
    return json::parse(std::string_view(buf, w.size()));
}
template <class T>
auto owned(const std::optional<T>& v) -> std::optional<decltype(owned(*v))> {
    if (!v) return std::nullopt;
    return owned(*v);
}

#define PCSCSPY_FIELD(name, kind, presence, dflt) e.name = owned(v.name);
#define PCSCSPY_EVENT(Name, type, fields)                               \
    [[maybe_unused]] Name##Event owned_event(const EventHeader& h, const Name##View& v) { \
        Name##Event e;                                                  \
        e.h = h;                                                        \
        fields                                                          \
        return e;                                                       \
    }
#include "protocol/event_format.def"

// Writes the view as a line, checks the line's framing, and checks it against
// the owned side: decode_event reads the same event, to_json gives the same JSON.
template <class View>
void check_round_trip(const EventHeader& h, const View& v) {
    std::vector<char> buffer(4096, '#');
    size_t n = write_event_line(buffer.data(), 4000, h, v);
    REQUIRE(n > 0);
    REQUIRE(n <= 4000);
    CHECK(buffer[4000] == '#');
    std::string line(buffer.data(), n);
    CAPTURE(line);
    REQUIRE(line.back() == '\n');
    line.pop_back();
    CHECK(line.find('\n') == std::string::npos);
    const auto expected = owned_event(h, v);
    DecodedEvent d = decode_event(line);
    REQUIRE(d.ok());
    CHECK(*d.event == Event(expected));
    CHECK(json::parse(line) == to_json(expected));
}

void answer(JsonWriter& w, const void* context) {
    w.key("pbRecvBuffer");
    w.string(*static_cast<const std::string_view*>(context));
}

}  // namespace

TEST_CASE("every event type written by the allocation-free writer reads back as the same event") {
    const EventHeader h{1, 4242, 4243, 1764030000000000};
    const EventHeader extreme{1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0};
    static constexpr char kArgv[] = "opensc-tool\0-s\0\0\"quoted\" \\ \t\x01 tab";
    check_round_trip(h, HelloView{.ppid = 1,
                                  .uid = 1000,
                                  .exe = "/usr/bin/opensc-tool",
                                  .argv = StringListView{kArgv, sizeof kArgv - 1},
                                  .via = "preload",
                                  .backend = "/usr/lib/x86_64-linux-gnu/libpcsclite.so.1",
                                  .spy = "0.1.0"});
    check_round_trip(extreme, HelloView{.argv_truncated = true, .backend_error = "cannot load the backend"});
    check_round_trip(h, HelloView{});
    check_round_trip(h, BeginView{.seq = 7, .fn = "SCardGetStatusChange", .ctx = 16908812});
    check_round_trip(h, BeginView{.seq = std::numeric_limits<uint64_t>::max(), .fn = "SCardTransmit", .card = -1});
    static constexpr char kNotes[] = "in.pbSendBuffer\0out.pbRecvBuffer";
    const std::string_view response = "9000";
    check_round_trip(h, CallView{.seq = 3,
                                 .fn = "SCardTransmit",
                                 .dur_ns = 45210000,
                                 .rv = 0x80100069,
                                 .rv_name = "SCARD_W_REMOVED_CARD",
                                 .out = ObjectView{&answer, &response},
                                 .reader = "Lecteur \xc3\xa9",
                                 .ctx = -5,
                                 .truncated = StringListView{kNotes, sizeof kNotes},
                                 .clamped = StringListView{kNotes, 15}});
    check_round_trip(h, ByeView{.calls = 17, .lost = 0});
    check_round_trip(h, ByeView{.calls = 17, .lost = 2, .by = "monitor"});
    check_round_trip(h, LostView{.count = std::numeric_limits<uint64_t>::max()});
}

TEST_CASE("strings that are not UTF-8 are written as JSON the reader takes, byte for byte as \\u00XX") {
    char buffer[512];
    size_t n = write_event_line(buffer, sizeof buffer, EventHeader{1, 1, 1, 1}, HelloView{.exe = "/tmp/\xff\xfe"});
    REQUIRE(n > 0);
    DecodedEvent d = decode_event(std::string_view(buffer, n - 1));
    REQUIRE(d.ok());
    CHECK(std::get<HelloEvent>(*d.event).exe == "/tmp/\xc3\xbf\xc3\xbe");
}

TEST_CASE("a line that does not fit is not written, and nothing is written beyond the room") {
    const HelloView v{.exe = "/usr/bin/a-rather-long-name-for-a-program", .via = "dlopen", .spy = "0.1.0"};
    char full[512];
    const size_t needed = write_event_line(full, sizeof full, EventHeader{}, v);
    REQUIRE(needed > 0);
    for (size_t cap = 1; cap < needed; ++cap) {
        std::vector<char> buffer(cap + 8, '#');
        CHECK(write_event_line(buffer.data(), cap, EventHeader{}, v) == 0);
        for (size_t i = cap; i < buffer.size(); ++i) REQUIRE(buffer[i] == '#');
    }
    char exact[512];
    CHECK(write_event_line(exact, needed, EventHeader{}, v) == needed);
}

TEST_CASE("a bye's by is written only when it has a value, and read back as no value when absent") {
    const EventHeader h{1, 4242, 4242, 1764030000000000};
    char buffer[256];
    size_t n = write_event_line(buffer, sizeof buffer, h, ByeView{.calls = 3, .lost = 1});
    REQUIRE(n > 0);
    std::string line(buffer, n - 1);
    CHECK(line.find("\"by\"") == std::string::npos);
    DecodedEvent plain = decode_event(line);
    REQUIRE(plain.ok());
    CHECK_FALSE(std::get<ByeEvent>(*plain.event).by.has_value());

    n = write_event_line(buffer, sizeof buffer, h, ByeView{.calls = 3, .lost = 1, .by = "monitor"});
    REQUIRE(n > 0);
    line.assign(buffer, n - 1);
    CHECK(line == R"({"v":1,"type":"bye","pid":4242,"tid":4242,"ts_us":1764030000000000,"calls":3,"lost":1,"by":"monitor"})");
    DecodedEvent by_monitor = decode_event(line);
    REQUIRE(by_monitor.ok());
    CHECK(std::get<ByeEvent>(*by_monitor.event).by == std::optional<std::string>("monitor"));
    // Of the wrong kind, it makes the line a WrongType error like any declared field.
    DecodedEvent wrong = decode_event(R"({"v":1,"type":"bye","pid":1,"ts_us":1,"calls":0,"lost":0,"by":7})");
    REQUIRE(wrong.error);
    CHECK(wrong.error->kind == EventErrorKind::WrongType);
}
