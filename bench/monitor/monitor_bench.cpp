// pcscspy-top's benchmark (see bench/monitor/README.md for the command):
//   monitor_bench generate EVENTS OUT.ndjson OUT.spylog   the synthetic session, both formats
//   monitor_bench ingest FILE                              parse + model update, single core
//   monitor_bench live CLIENTS EVENTS_PER_CLIENT           concurrent writers on a real socket
//   monitor_bench week SESSION.ndjson [PROCESSES [BUDGET]]  one short process a second for a week
//                                                          (604,800 copies of SESSION) through the
//                                                          model: peak RSS, the model's estimate
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "monitor/io/byte_size.hpp"
#include "monitor/model/session_model.hpp"
#include "monitor/server/event_server.hpp"
#include "monitor/server/listening_socket.hpp"
#include "synthetic_session.hpp"

using namespace pcscspy;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

int generate(uint64_t events, const std::string& ndjson, const std::string& spylog) {
    std::ofstream out(ndjson, std::ios::binary), spy(spylog, std::ios::binary);
    uint64_t n = 0, calls = 0;
    bench::SyntheticOptions o;
    o.events = events;
    bench::generate_session(o, [&](const std::string& line, const std::string& spy_lines) {
        out << line << '\n';
        spy << spy_lines;
        ++n;
        if (!spy_lines.empty()) ++calls;
    });
    std::printf("generated %llu events (%llu calls) into %s and %s\n", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(calls), ndjson.c_str(), spylog.c_str());
    return 0;
}

int ingest(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < text.size();) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        lines.emplace_back(text.data() + start, nl - start);
        start = nl + 1;
    }
    long rss_before = peak_rss_mib();
    SessionModel model;
    auto t0 = Clock::now();
    for (std::string_view l : lines) model.ingest_line(l);
    double t = seconds_since(t0);
    std::printf("ingest: %zu events in %.3f s = %.0f events/s (%.1f MB/s), %llu calls, %llu kept, %llu bad\n",
                lines.size(), t, lines.size() / t, text.size() / t / 1e6,
                static_cast<unsigned long long>(model.counters().calls),
                static_cast<unsigned long long>(model.calls().size()),
                static_cast<unsigned long long>(model.counters().bad_lines));
    std::printf("peak RSS: %ld MiB (file in memory: %zu MiB, before the model: %ld MiB)\n", peak_rss_mib(),
                text.size() >> 20, rss_before);
    // The model's line reader alone (read_event_facts: simdjson, nlohmann for what it declines).
    LineLexerCounts before = line_lexer_counts();
    EventFacts facts;
    auto tf = Clock::now();
    for (std::string_view l : lines) (void)read_event_facts(l, facts);
    double tfs = seconds_since(tf);
    LineLexerCounts after = line_lexer_counts();
    std::printf("line reader alone (read_event_facts): %.0f events/s, %.0f ns a line; lexed by simdjson %llu, "
                "by nlohmann %llu\n",
                lines.size() / tfs, tfs * 1e9 / lines.size(),
                static_cast<unsigned long long>(after.simdjson - before.simdjson),
                static_cast<unsigned long long>(after.nlohmann - before.nlohmann));
    // The reference reader alone (protocol's decode_event, nlohmann DOM), for comparison.
    auto t1 = Clock::now();
    size_t ok = 0;
    for (size_t i = 0; i < lines.size(); i += 10) ok += decode_event(lines[i]).ok();
    double tr = seconds_since(t1) * 10;
    std::printf("reference decode_event alone (1 line in 10, scaled): %.0f events/s\n", lines.size() / tr);
    return model.counters().bad_lines == 0 ? 0 : 1;
}

// A writer is one traced process streaming as fast as it can. Like the
// interposer's flusher thread it blocks when the socket is full, so any event the
// monitor did not take would show as a missing call, never silently.
int writer(const std::string& path, int id, uint64_t events) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 2;
    int pid = 50000 + id;
    std::string batch;
    auto flush = [&] {
        size_t done = 0;
        while (done < batch.size()) {
            ssize_t n = send(fd, batch.data() + done, batch.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return;
            done += static_cast<size_t>(n);
        }
        batch.clear();
    };
    auto ts = [&] { return std::to_string(1764030000000000 + static_cast<int64_t>(id)); };
    batch += R"({"v":1,"type":"hello","pid":)" + std::to_string(pid) + R"(,"tid":1,"ts_us":)" + ts() +
             R"(,"exe":"/bin/writer","argv":[],"via":"preload"})" "\n";
    for (uint64_t s = 1; s <= events; ++s) {
        batch += R"({"v":1,"type":"call","pid":)" + std::to_string(pid) + R"(,"tid":1,"ts_us":)" + ts() +
                 R"(,"seq":)" + std::to_string(s) +
                 R"(,"fn":"SCardTransmit","dur_ns":45000000,"rv":0,"rv_name":"SCARD_S_SUCCESS","reader":"R",)"
                 R"("in":{"hCard":1,"pbSendBuffer":"0084000008","cbSendLength":5},)"
                 R"("out":{"pbRecvBuffer":"11223344556677889000","pcbRecvLength":10}})" "\n";
        if (batch.size() > 64 * 1024) flush();  // the interposer sends its ring in chunks too
    }
    batch += R"({"v":1,"type":"bye","pid":)" + std::to_string(pid) + R"(,"tid":1,"ts_us":)" + ts() +
             R"(,"calls":)" + std::to_string(events) + R"(,"lost":0})" "\n";
    flush();
    close(fd);
    return 0;
}

int live(int clients, uint64_t per_client) {
    char tmpl[] = "/tmp/pcscspy-bench-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/socket";
    auto listening = ListeningSocket::open(path);
    if (!listening.socket) {
        std::cerr << listening.error << "\n";
        return 1;
    }
    SessionModel model;
    EventServer::Handlers h;
    h.line = [&](ConnectionStats& from, std::string_view line) {
        IngestResult r = model.ingest_line(line);
        if (r.ok()) from.event_pid = r.pid;
        return r.ok();
    };
    EventServer server(std::move(*listening.socket), std::move(h));
    std::vector<pid_t> kids;
    auto t0 = Clock::now();
    for (int i = 0; i < clients; ++i) {
        pid_t k = fork();
        if (k == 0) _exit(writer(path, i, per_client));
        kids.push_back(k);
    }
    const uint64_t expected = static_cast<uint64_t>(clients) * per_client;
    size_t byes = 0;
    while (byes < static_cast<size_t>(clients) && seconds_since(t0) < 300) {
        server.run_once(100);
        byes = 0;
        for (const ProcessInfo& p : model.processes()) byes += p.state == ProcessState::Exited;
    }
    double t = seconds_since(t0);
    for (pid_t k : kids) waitpid(k, nullptr, 0);
    std::printf("live: %d concurrent writers, %llu calls received of %llu sent in %.3f s = %.0f events/s; "
                "lost %llu, bad lines %llu\n",
                clients, static_cast<unsigned long long>(model.counters().calls),
                static_cast<unsigned long long>(expected), t, model.counters().events / t,
                static_cast<unsigned long long>(model.counters().lost_events),
                static_cast<unsigned long long>(model.counters().bad_lines));
    std::system(("rm -rf " + dir).c_str());
    return model.counters().lost_events == 0 && model.counters().calls == expected ? 0 : 1;
}

// The model's resident memory now, in MiB (/proc/self/statm).
double rss_now_mib() {
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident * static_cast<size_t>(sysconf(_SC_PAGESIZE))) / (1 << 20);
}

// The issue's case: `opensc-tool -a` once a second for a week, each run a new
// process (hello, its calls, bye), streamed into a model with the default
// options but the budget (BUDGET bytes, K/M/G; 0: none). The session's lines
// are copied with a new pid and times shifted by a second per run.
int week(const std::string& path, uint64_t processes, size_t budget) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) lines.push_back(l);
    if (lines.empty()) {
        std::fprintf(stderr, "week: no lines in %s\n", path.c_str());
        return 2;
    }
    // Where each line's pid, tid and time are (the template's own values are replaced).
    struct Slot {
        std::string before_pid, between, after_tid_to_ts, rest;
        int64_t ts_us;
    };
    auto field_end = [](const std::string& l, size_t at) { return l.find_first_of(",}", at); };
    std::vector<Slot> slots;
    for (const std::string& l : lines) {
        size_t p = l.find("\"pid\":") + 6, pe = field_end(l, p);
        size_t t = l.find("\"tid\":", pe) + 6, te = field_end(l, t);
        size_t s = l.find("\"ts_us\":", te) + 8, se = field_end(l, s);
        slots.push_back({l.substr(0, p), l.substr(pe, t - pe), l.substr(te, s - te), l.substr(se),
                         std::stoll(l.substr(s, se - s))});
    }
    ModelOptions o;
    o.memory_budget = budget ? budget : SIZE_MAX / 2;
    const double rss_before = rss_now_mib();
    SessionModel model(o);
    size_t peak_estimate = 0;
    std::string line;
    auto t0 = Clock::now();
    for (uint64_t i = 0; i < processes; ++i) {
        const std::string pid = std::to_string(100'000 + i % 4'000'000);
        const int64_t shift = static_cast<int64_t>(i) * 1'000'000;
        for (const Slot& s : slots) {
            line.assign(s.before_pid).append(pid).append(s.between).append(pid).append(s.after_tid_to_ts);
            line.append(std::to_string(s.ts_us + shift)).append(s.rest);
            model.ingest_line(line);
        }
        if (i % 10'000 == 0) peak_estimate = std::max(peak_estimate, model.memory_bytes());
    }
    const double t = seconds_since(t0);
    peak_estimate = std::max(peak_estimate, model.memory_bytes());
    std::printf("week: %llu processes (%zu lines each) in %.1f s, %llu calls, budget %s\n",
                static_cast<unsigned long long>(processes), lines.size(), t,
                static_cast<unsigned long long>(model.counters().calls),
                budget ? (std::to_string(budget >> 20) + " MiB").c_str() : "none");
    std::printf("model: %zu processes listed, %llu folded, %zu calls kept; estimate now %.1f MiB, peak %.1f MiB\n",
                model.processes().size(), static_cast<unsigned long long>(model.folded().processes),
                model.calls().size(), static_cast<double>(model.memory_bytes()) / (1 << 20),
                static_cast<double>(peak_estimate) / (1 << 20));
    std::printf("RSS: %.1f MiB now, peak %ld MiB (%.1f MiB before the model)\n", rss_now_mib(), peak_rss_mib(),
                rss_before);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "generate" && argc == 5) return generate(std::stoull(argv[2]), argv[3], argv[4]);
    if (cmd == "ingest" && argc == 3) return ingest(argv[2]);
    if (cmd == "live" && argc == 4) return live(std::stoi(argv[2]), std::stoull(argv[3]));
    if (cmd == "week" && argc >= 3 && argc <= 5) {
        std::string why;
        std::optional<uint64_t> budget = argc == 5 ? parse_byte_size(argv[4], &why) : kDefaultMemoryBudget;
        if (!budget) {
            std::cerr << "monitor_bench week: BUDGET " << argv[4] << ": " << why << "\n";
            return 2;
        }
        return week(argv[2], argc >= 4 ? std::stoull(argv[3]) : 604'800, static_cast<size_t>(*budget));
    }
    std::cerr << "usage: monitor_bench generate EVENTS OUT.ndjson OUT.spylog | ingest FILE | live CLIENTS EVENTS"
                 " | week SESSION.ndjson [PROCESSES [BUDGET]]\n";
    return 2;
}
