// --metrics: what Prometheus gets from a session (the counts agree with the
// model's own), label sets that stay bounded whatever the traffic, and the
// endpoint: an address given as [ADDR:]PORT, a clear error for a taken port.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <regex>

#include "monitor/metrics/metrics_endpoint.hpp"
#include "monitor/metrics/session_metrics.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

// The registry in Prometheus's text format, then as series -> value.
std::string scrape_text(prometheus::Registry& r) { return prometheus::TextSerializer().Serialize(r.Collect()); }

std::map<std::string, double> series(const std::string& text) {
    std::map<std::string, double> out;
    for (const std::string& l : lines_of(text)) {
        if (l.empty() || l[0] == '#') continue;
        size_t sp = l.rfind(' ');
        out[l.substr(0, sp)] = std::stod(l.substr(sp + 1));
    }
    return out;
}

// Sum of every series of a metric whose labels contain all of `with`.
double sum_of(const std::map<std::string, double>& s, const std::string& name, const std::string& with = "") {
    double total = 0;
    for (const auto& [k, v] : s)
        if ((k == name || k.starts_with(name + "{")) && k.find(with) != std::string::npos) total += v;
    return total;
}

size_t count_series(const std::map<std::string, double>& s, const std::string& name) {
    size_t n = 0;
    for (const auto& [k, v] : s) n += k.starts_with(name + "{") || k == name;
    return n;
}

struct Observed {
    prometheus::Registry registry;
    SessionMetrics metrics{registry, "9.9.9"};
    SessionModel model;
    void feed(const std::string& text) {
        for (const std::string& l : lines_of(text)) {
            IngestResult r = model.ingest_line(l);
            if (r.call) metrics.on_call(model, *r.call);
        }
        metrics.refresh(model);
    }
    std::map<std::string, double> scrape() { return series(scrape_text(registry)); }
};

}  // namespace

TEST_CASE("metrics count the calls and APDUs of a session as the model does") {
    Observed o;
    SessionWriter a(100);
    a.hello("/usr/bin/opensc-tool").establish().connect();
    a.card_call("SCardBeginTransaction");
    a.transmit("00A4040007A0000003080000", "9000");      // SELECT PIV
    a.transmit("0020008006313233343536", "63C2");        // VERIFY with a PIN: refused
    a.transmit("00200080", "63C2");                      // VERIFY without data: asks the counter only
    a.transmit("0020008006313233343537", "9000");        // VERIFY accepted
    a.transmit("0084000008", "01020304050607089000");    // GET CHALLENGE
    a.transmit("00DE000000", "6D00");                    // an INS nobody names
    a.wait_us(2'000'000);
    a.card_call("SCardEndTransaction");
    a.call("SCardStatus", R"({"hCard":200})", "{}", 0x80990001);  // a code pcsc-lite does not define
    a.call("SCardGetStatusChange", R"({"hContext":100,"dwTimeout":0})", "{}", 0x8010000A);
    a.disconnect().release().bye();
    o.feed(a.text);
    auto s = o.scrape();

    CHECK(s.at("pcscspy_build_info{version=\"9.9.9\"}") == 1);
    CHECK(sum_of(s, "pcscspy_calls_total") == o.model.counters().calls);
    CHECK(s.at("pcscspy_calls_total{function=\"SCardTransmit\",result=\"SCARD_S_SUCCESS\"}") == 6);
    CHECK(s.at("pcscspy_calls_total{function=\"SCardGetStatusChange\",result=\"SCARD_E_TIMEOUT\"}") == 1);
    CHECK(s.at("pcscspy_calls_total{function=\"SCardStatus\",result=\"other\"}") == 1);
    // The timeout of SCardGetStatusChange is an answer, not an error.
    CHECK(sum_of(s, "pcscspy_call_errors_total", "SCardGetStatusChange") == 0);
    CHECK(s.at("pcscspy_call_errors_total{function=\"SCardStatus\"}") == 1);
    CHECK(s.at("pcscspy_call_duration_seconds_count{function=\"SCardTransmit\"}") == 6);
    CHECK(s.at("pcscspy_call_duration_seconds_sum{function=\"SCardTransmit\"}") == doctest::Approx(6 * 0.045));
    CHECK(s.at("pcscspy_call_duration_seconds_bucket{function=\"SCardTransmit\",le=\"0.05\"}") == 6);
    CHECK(s.at("pcscspy_call_duration_seconds_bucket{function=\"SCardTransmit\",le=\"0.025\"}") == 0);

    const ReaderInfo* reader = o.model.reader_by_name("Virtual PCD 00 00");
    REQUIRE(reader);
    CHECK(sum_of(s, "pcscspy_apdus_total") == reader->apdus);
    CHECK(s.at("pcscspy_apdus_total{ins=\"VERIFY\",reader=\"Virtual PCD 00 00\",sw_class=\"warning\"}") == 2);
    CHECK(s.at("pcscspy_apdus_total{ins=\"VERIFY\",reader=\"Virtual PCD 00 00\",sw_class=\"success\"}") == 1);
    CHECK(s.at("pcscspy_apdus_total{ins=\"SELECT\",reader=\"Virtual PCD 00 00\",sw_class=\"success\"}") == 1);
    CHECK(s.at("pcscspy_apdus_total{ins=\"GET CHALLENGE\",reader=\"Virtual PCD 00 00\",sw_class=\"success\"}") == 1);
    CHECK(s.at("pcscspy_apdus_total{ins=\"other\",reader=\"Virtual PCD 00 00\",sw_class=\"error\"}") == 1);
    // One wrong PIN; the VERIFY that only reads the retry counter is no attempt.
    CHECK(s.at("pcscspy_pin_verify_failures_total{process=\"opensc-tool\",reader=\"Virtual PCD 00 00\"}") == 1);
    CHECK(s.at("pcscspy_process_calls_total{process=\"opensc-tool\"}") == o.model.counters().calls);
    // The transaction was held about two seconds (from its begin's end to its end's end).
    CHECK(s.at("pcscspy_reader_transaction_held_seconds_count{reader=\"Virtual PCD 00 00\"}") == 1);
    CHECK(s.at("pcscspy_reader_transaction_held_seconds_sum{reader=\"Virtual PCD 00 00\"}") ==
          doctest::Approx(2.27).epsilon(0.01));
    CHECK(s.at("pcscspy_processes{state=\"exited\"}") == 1);
    CHECK(s.at("pcscspy_processes{state=\"running\"}") == 0);
    CHECK(s.at("pcscspy_events_total") == o.model.counters().events);
    CHECK(s.at("pcscspy_findings_total{kind=\"busy-polling\"}") == 0);  // every kind is there from the start
}

TEST_CASE("metrics: cards, processes by state, calls in flight, lost events, bad lines, findings") {
    Observed o;
    SessionWriter a(100), b(200);
    a.hello("/usr/bin/python3");
    a.call("SCardGetStatusChange", R"({"hContext":100,"dwTimeout":1000,"rgReaderStates":[{"szReader":"R1","dwCurrentState":0}]})",
           R"({"rgReaderStates":[{"szReader":"R1","dwCurrentState":0,"dwEventState":34,"cbAtr":2,"rgbAtr":"3B00"}]})");
    a.call("SCardGetStatusChange", R"({"hContext":100,"dwTimeout":1000,"rgReaderStates":[{"szReader":"R2","dwCurrentState":0}]})",
           R"({"rgReaderStates":[{"szReader":"R2","dwCurrentState":0,"dwEventState":18}]})");
    a.begin("SCardGetStatusChange", R"(,"ctx":100)");
    b.hello("/usr/bin/pkcs11-tool").establish(300).release(300).release(300);  // released twice: a finding
    o.feed(a.text + b.text + R"({"v":1,"type":"lost","pid":100,"tid":100,"ts_us":1764030000900000,"count":7})" + "\n" +
           "not json\n" + R"({"v":1,"type":"nonsense","pid":1,"tid":1,"ts_us":1})" + "\n");
    auto s = o.scrape();
    CHECK(s.at("pcscspy_card_present{reader=\"R1\"}") == 1);
    CHECK(s.at("pcscspy_card_present{reader=\"R2\"}") == 0);
    CHECK(s.at("pcscspy_processes{state=\"running\"}") == 2);
    CHECK(s.at("pcscspy_calls_in_flight") == 1);
    CHECK(s.at("pcscspy_lost_events_total") == 7);
    CHECK(s.at("pcscspy_bad_lines_total{kind=\"malformed_json\"}") == 1);
    CHECK(s.at("pcscspy_bad_lines_total{kind=\"unknown_event_type\"}") == 1);
    CHECK(sum_of(s, "pcscspy_findings_total") == o.model.findings().size());
    CHECK(s.at("pcscspy_findings_total{kind=\"released-handle\"}") >= 1);

    // Refreshing again changes nothing; a process ending moves it between states.
    SessionWriter b2(200);
    b2.seq = 3;
    b2.ts_us = b.ts_us;
    o.feed(b2.bye().text);
    s = o.scrape();
    CHECK(s.at("pcscspy_processes{state=\"running\"}") == 1);
    CHECK(s.at("pcscspy_processes{state=\"exited\"}") == 1);
    CHECK(s.at("pcscspy_lost_events_total") == 7);
    o.metrics.set_recording(3, 10);
    o.metrics.set_recording(3, 12);
    s = o.scrape();
    CHECK(s.at("pcscspy_record_rotations_total") == 3);
    CHECK(s.at("pcscspy_record_unwritten_lines_total") == 12);

    // Calls the monitor's own count finds missing are lost events too: 300 made
    // 4 calls, 2 and 3 never came.
    SessionWriter c(300);
    c.hello().establish();
    c.seq = 3;
    c.call("SCardIsValidContext", R"({"hContext":100})").bye();
    o.feed(c.text);
    s = o.scrape();
    CHECK(s.at("pcscspy_lost_events_total") == 9);
}

TEST_CASE("label sets stay bounded: no pid, executables and readers capped, odd codes and INS collapse") {
    Observed o;
    std::string text;
    for (int i = 0; i < 300; ++i) {
        SessionWriter w(1000 + i);
        w.hello("/opt/tool-" + std::to_string(i)).establish().connect(100, 200, "Reader " + std::to_string(i));
        w.transmit("80" + std::string(i % 2 ? "CA" : "F2") + "0000", "6F00", 200, "Reader " + std::to_string(i));
        w.call("SCardStatus", R"({"hCard":200})", "{}", 0x80990000 + i);
        w.bye();
        text += w.text;
    }
    o.feed(text);
    std::string scrape = scrape_text(o.registry);
    auto s = series(scrape);
    CHECK(scrape.find("pid=") == std::string::npos);
    CHECK(count_series(s, "pcscspy_process_calls_total") == SessionMetrics::kMaxProcessLabels + 1);
    CHECK(s.at("pcscspy_process_calls_total{process=\"other\"}") > 0);
    CHECK(count_series(s, "pcscspy_card_present") <= SessionMetrics::kMaxReaderLabels);
    CHECK(count_series(s, "pcscspy_calls_total") <= 20);
    CHECK(count_series(s, "pcscspy_apdus_total") <= 2 * (SessionMetrics::kMaxReaderLabels + 1));
    CHECK(sum_of(s, "pcscspy_calls_total") == o.model.counters().calls);
    CHECK(sum_of(s, "pcscspy_apdus_total") == 300);
}

TEST_CASE("--metrics [ADDR:]PORT: 127.0.0.1 by default, numeric addresses only, IPv6 in brackets") {
    std::string err;
    CHECK(parse_metrics_address("9464", &err) == MetricsAddress{"127.0.0.1", 9464});
    CHECK(parse_metrics_address("0.0.0.0:9464", &err) == MetricsAddress{"0.0.0.0", 9464});
    CHECK(parse_metrics_address("[::1]:80", &err) == MetricsAddress{"::1", 80});
    CHECK(parse_metrics_address("127.0.0.1:0", &err) == MetricsAddress{"127.0.0.1", 0});
    for (const char* bad : {"", "x", "65536", "localhost:9464", "::1:80", "[::1]80", "1.2.3.4:", "127.0.0.1:-1"}) {
        CAPTURE(bad);
        err.clear();
        CHECK_FALSE(parse_metrics_address(bad, &err));
        CHECK(err.starts_with("--metrics "));
    }
}

TEST_CASE("the endpoint serves /metrics on the port asked (any free one for 0) and refuses a taken port clearly") {
    auto registry = std::make_shared<prometheus::Registry>();
    SessionMetrics metrics(*registry, "1.2.3");
    auto started = MetricsEndpoint::start({"127.0.0.1", 0}, registry);
    REQUIRE_MESSAGE(started.endpoint, started.error);
    uint16_t port = started.endpoint->port();
    CHECK(port != 0);
    CHECK(started.endpoint->url() == "http://127.0.0.1:" + std::to_string(port) + "/metrics");

    // A plain HTTP/1.0 GET, as a scraper sends it.
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string req = "GET /metrics HTTP/1.0\r\n\r\n";
    REQUIRE(write(s, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;) reply.append(buf, static_cast<size_t>(n));
    close(s);
    CHECK(reply.starts_with("HTTP/1.1 200"));
    CHECK(reply.find("pcscspy_build_info{version=\"1.2.3\"} 1") != std::string::npos);

    auto second = MetricsEndpoint::start({"127.0.0.1", port}, registry);
    CHECK_FALSE(second.endpoint);
    CHECK(second.error.starts_with("--metrics: "));
    CHECK(second.error.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK_MESSAGE(second.error.find("in use") != std::string::npos, second.error);
}

TEST_CASE("every metric is exported under its documented name and documented in pcscspy-top(1) with its labels") {
    Observed o;
    SessionWriter a(100);
    a.hello().establish().connect().card_call("SCardBeginTransaction").transmit("0020008106313233343536", "63C1");
    a.card_call("SCardEndTransaction").disconnect().release().bye();
    o.feed(a.text);
    std::string scrape = scrape_text(o.registry);
    std::string man = read_file(std::string(PCSCSPY_SOURCE_DIR) + "/man/pcscspy-top.1");
    for (size_t i = 0; i < kMetricDocCount; ++i) {
        const MetricDoc& m = kMetricDocs[i];
        CAPTURE(m.name);
        CHECK(scrape.find("# TYPE " + std::string(m.name) + " " + std::string(m.type) + "\n") != std::string::npos);
        std::string entry = ".B " + std::string(m.name) + (m.labels.empty() ? "" : "{" + std::string(m.labels) + "}") + "\n";
        CHECK(man.find(entry) != std::string::npos);
    }
    // Nothing exported that the table does not describe.
    size_t families = 0;
    for (size_t at = 0; (at = scrape.find("# TYPE pcscspy_", at)) != std::string::npos; ++at) ++families;
    CHECK(families == kMetricDocCount);
}
