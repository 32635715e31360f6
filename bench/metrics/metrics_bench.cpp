// --metrics benchmark (not a test: it prints figures, see README.md):
//   metrics_bench [EVENTS] [ROUNDS]
// 1. ingestion of a synthetic session (bench/monitor's generator) without and
//    with the metrics observer, the exposer running and a scraper fetching
//    /metrics every second, rounds interleaved, medians compared (target: within
//    10 %);
// 2. one scrape of a session with 50 processes and 10 readers: the full HTTP
//    round trip through the exposer, and the registry's serialization alone
//    (target: under 50 ms).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/monitor/synthetic_session.hpp"
#include "monitor/metrics/metrics_endpoint.hpp"
#include "monitor/metrics/session_metrics.hpp"
#include "monitor/model/session_model.hpp"

using namespace pcscspy;
using Clock = std::chrono::steady_clock;

namespace {

// A model keeping no calls (statistics only).
ModelOptions statistics_only() {
    ModelOptions o;
    o.history = 0;
    return o;
}


double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::string> session_lines(uint64_t events, int processes, int readers) {
    std::vector<std::string> lines;
    bench::SyntheticOptions o;
    o.events = events;
    o.processes = processes;
    o.readers = readers;
    bench::generate_session(o, [&](const std::string& line, const std::string&) { lines.push_back(line); });
    return lines;
}

// GET /metrics over loopback, as a Prometheus server does; returns the body size.
size_t scrape(uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t got = 0;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string req = "GET /metrics HTTP/1.0\r\n\r\n";
        if (write(s, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
            char buf[65536];
            for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;) got += static_cast<size_t>(n);
        }
    }
    close(s);
    return got;
}

// The session's ingestion path: each line into the model, each call to the
// observer, a refresh after each batch (as MonitorSession::pump does; a batch
// here is 64 lines, fewer than a busy pump reads, so refreshes are overcounted).
double ingest(const std::vector<std::string>& lines, SessionMetrics* metrics) {
    SessionModel model(statistics_only());
    auto t0 = Clock::now();
    size_t n = 0;
    for (const std::string& l : lines) {
        IngestResult r = model.ingest_line(l);
        if (metrics) {
            if (r.call) metrics->on_call(model, *r.call);
            if (++n % 64 == 0) metrics->refresh(model);
        }
    }
    if (metrics) metrics->refresh(model);
    return lines.size() / seconds_since(t0);
}

struct Scraper {
    uint16_t port;
    std::atomic<bool> stop{false};
    std::atomic<int> scrapes{0};
    std::mutex m;
    std::condition_variable cv;
    std::thread t{[this] {
        std::unique_lock<std::mutex> lock(m);
        while (!stop) {
            if (cv.wait_for(lock, std::chrono::seconds(1), [this] { return stop.load(); })) break;
            lock.unlock();
            if (scrape(port) > 0) ++scrapes;
            lock.lock();
        }
    }};
    explicit Scraper(uint16_t p) : port(p) {}
    ~Scraper() {
        {
            std::lock_guard<std::mutex> lock(m);
            stop = true;
        }
        cv.notify_all();
        t.join();
    }
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t events = argc > 1 ? std::stoull(argv[1]) : 1'000'000;
    int rounds = argc > 2 ? std::stoi(argv[2]) : 5;

    std::printf("== ingestion: %llu synthetic events (64 processes, 4 readers), %d interleaved rounds\n",
                static_cast<unsigned long long>(events), rounds);
    std::vector<std::string> lines = session_lines(events, 64, 4);
    std::vector<double> plain, with;
    int scrapes = 0;
    for (int round = 0; round < rounds; ++round) {
        plain.push_back(ingest(lines, nullptr));
        auto registry = std::make_shared<prometheus::Registry>();
        SessionMetrics metrics(*registry, "bench");
        auto endpoint = MetricsEndpoint::start({"127.0.0.1", 0}, registry);
        if (!endpoint.endpoint) {
            std::fprintf(stderr, "%s\n", endpoint.error.c_str());
            return 1;
        }
        Scraper scraper(endpoint.endpoint->port());
        with.push_back(ingest(lines, &metrics));
        scrapes += scraper.scrapes;
        std::printf("round %d: without metrics %.0f events/s, with metrics %.0f events/s\n", round + 1, plain.back(),
                    with.back());
    }
    double p = median(plain), w = median(with);
    std::printf("ingestion, median: without metrics %.0f events/s, with --metrics and a scrape a second %.0f events/s "
                "(%d scrapes during the runs): %+.1f %% (target: within 10 %%)\n",
                p, w, scrapes, (w - p) / p * 100);

    std::printf("== one scrape: 50 processes, 10 readers\n");
    auto registry = std::make_shared<prometheus::Registry>();
    SessionMetrics metrics(*registry, "bench");
    {
        std::vector<std::string> small = session_lines(200'000, 50, 10);
        SessionModel model(statistics_only());
        for (const std::string& l : small) {
            IngestResult r = model.ingest_line(l);
            if (r.call) metrics.on_call(model, *r.call);
        }
        metrics.refresh(model);
        std::printf("session: %zu processes, %zu readers, %llu calls\n", model.processes().size(),
                    model.readers().size(), static_cast<unsigned long long>(model.counters().calls));
    }
    auto endpoint = MetricsEndpoint::start({"127.0.0.1", 0}, registry);
    if (!endpoint.endpoint) return 1;
    std::vector<double> http, serialize;
    size_t bytes = 0, series = 0;
    for (int i = 0; i < 50; ++i) {
        auto t0 = Clock::now();
        bytes = scrape(endpoint.endpoint->port());
        http.push_back(seconds_since(t0) * 1e3);
        auto t1 = Clock::now();
        std::string text = prometheus::TextSerializer().Serialize(registry->Collect());
        serialize.push_back(seconds_since(t1) * 1e3);
        series = static_cast<size_t>(std::count(text.begin(), text.end(), '\n') - std::count(text.begin(), text.end(), '#'));
    }
    std::printf("one scrape (HTTP GET /metrics over loopback, %zu bytes, about %zu series): median %.2f ms, max %.2f ms "
                "(target: under 50 ms); serialization alone: median %.2f ms\n",
                bytes, series, median(http), *std::max_element(http.begin(), http.end()), median(serialize));
    return 0;
}
