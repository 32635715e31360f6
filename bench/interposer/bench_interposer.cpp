// The interposer's benchmark: cost per PC/SC call (SCardStatus) of
//   - the bare backend,
//   - pcsc-lite's own spy (libpcscspy.so.0) in front of it, without a reader of
//     its FIFO (it then logs nothing) and with a reader draining ~/pcsc-spy,
//   - libpcscspy-interposer.so with the real monitor running
//     (pcscspy-top --text --summary on a socket of its own) and with no monitor,
//   - the same with only the monitor's transport (its EventServer reading the
//     rings, lines counted, no parsing, no model): what the transport costs,
//     apart from the monitor's work on each event,
// on a no-op backend (a library answering instantly) and on the real pcscd.
// Each configuration runs in a fresh worker process (this program with
// --worker); the figures are medians of repetitions. Prints the table and the
// ratios to the targets. See README.md for the command.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <winscard.h>

#include "monitor/server/event_server.hpp"

extern char** environ;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- worker ----

int worker(const char* reader, int budget_ms, int reps, int batch, int pause_ms, int min_batches, int warm_calls) {
    const char* result_fd = getenv("BENCH_RESULT_FD");
    FILE* out = result_fd ? fdopen(atoi(result_fd), "w") : stdout;
    SCARDCONTEXT ctx = 0;
    SCARDHANDLE card = 0;
    DWORD proto = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    if (rv == SCARD_S_SUCCESS)
        rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rv != SCARD_S_SUCCESS) {
        fprintf(out, "error 0x%08lX\n", static_cast<unsigned long>(rv));
        return 1;
    }
    char name[256];
    BYTE atr[MAX_ATR_SIZE];
    auto status = [&] {
        DWORD name_len = sizeof name, atr_len = sizeof atr, state = 0, protocol = 0;
        return SCardStatus(card, name, &name_len, &state, &protocol, atr, &atr_len);
    };
    for (int i = 0; i < warm_calls && rv == SCARD_S_SUCCESS; ++i) rv = status();  // untimed
    std::vector<double> per_call;
    long total_calls = 0;
    for (int r = 0; r < reps && rv == SCARD_S_SUCCESS; ++r) {
        int64_t ns = 0;
        long calls = 0;
        // A repetition lasts budget_ms of wall time (at least min_batches batches).
        const auto until = Clock::now() + std::chrono::milliseconds(budget_ms);
        for (int b = 0; (b < min_batches || Clock::now() < until) && rv == SCARD_S_SUCCESS; ++b) {
            auto t0 = Clock::now();
            for (int i = 0; i < batch; ++i) rv |= status();
            ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
            calls += batch;
            // Untimed (no-op backend): lets a monitor (or a FIFO reader) catch
            // up, so that what is measured is the cost of events delivered,
            // not dropped. The pcscd backend runs without pauses: there the
            // monitor's work competes with pcscd's, as in real use.
            if (pause_ms) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        }
        per_call.push_back(static_cast<double>(ns) / static_cast<double>(calls));
        total_calls += calls;
    }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    if (rv != SCARD_S_SUCCESS) {
        fprintf(out, "error 0x%08lX\n", static_cast<unsigned long>(rv));
        return 1;
    }
    std::sort(per_call.begin(), per_call.end());
    fprintf(out, "ok %.1f %.1f %ld\n", per_call[per_call.size() / 2], per_call.front(), total_calls);
    return 0;
}

// ---------------------------------------------------------- orchestrator ----

// Reads and discards what arrives on a FIFO (the reader of pcsc-lite's spy).
class Drain {
public:
    static std::unique_ptr<Drain> fifo(const std::string& path) {
        auto d = std::unique_ptr<Drain>(new Drain);
        mkfifo(path.c_str(), 0600);
        // Read-write: never blocks and never sees end-of-file between writers.
        d->fds_.push_back(open(path.c_str(), O_RDWR | O_CLOEXEC));
        d->start();
        return d;
    }
    ~Drain() {
        stop_ = true;
        thread_.join();
        for (int fd : fds_) close(fd);
    }

private:
    void start() {
        thread_ = std::thread([this] {
            std::vector<char> buf(1 << 20);
            while (!stop_) {
                std::vector<pollfd> p;
                for (int fd : fds_) p.push_back({fd, POLLIN, 0});
                if (poll(p.data(), p.size(), 50) <= 0) continue;
                for (const pollfd& q : p)
                    if (q.revents & (POLLIN | POLLHUP)) (void)!read(q.fd, buf.data(), buf.size());
            }
        });
    }
    std::vector<int> fds_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

// --monitor-nice N: the monitor's --nice (empty: its default), to compare priorities.
std::string g_monitor_nice;
// Untimed calls each worker makes first (--warm): with more than a ring's worth
// (16 MiB of events, about 28,000 SCardStatus calls) the timed calls write into
// pages of the ring already written once, as in a program that has run a while.
int g_warm_calls = 2000;
// --read-rings: the monitor (and the ring reader) read the rings rather than ask for the stream.
bool g_read_rings = false;

// The monitor's transport alone: its EventServer on a socket, in a thread of
// this process, reading the rings as pcscspy-top does, counting lines.
class RingReader {
public:
    explicit RingReader(const fs::path& socket) {
        pcscspy::ListeningSocket::Result l = pcscspy::ListeningSocket::open(socket.string());
        if (!l.socket) return;
        pcscspy::EventServer::Handlers h;
        h.line = [this](pcscspy::ConnectionStats&, std::string_view) {
            lines_.fetch_add(1, std::memory_order_relaxed);
            return true;
        };
        server_ = std::make_unique<pcscspy::EventServer>(
            std::move(*l.socket), std::move(h), pcscspy::kMaxLineLength,
            g_read_rings ? pcscspy::EventServer::RingUse::Read : pcscspy::EventServer::RingUse::Stream);
        thread_ = std::thread([this] {
            while (!stop_) {
                pollfd p{server_->fd(), POLLIN, 0};
                if (poll(&p, 1, 50) <= 0) continue;
                // As pcscspy-top does: what is ready now, boundedly.
                for (int round = 0; round < 64 && server_->run_once(0) > 0; ++round) {}
            }
        });
    }
    bool ok() const { return server_ != nullptr; }
    ~RingReader() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

private:
    std::unique_ptr<pcscspy::EventServer> server_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<long> lines_{0};
};


// The real monitor, pcscspy-top --text --summary, on its own socket, as a user
// runs it. At the end its dump tells the calls it showed and those lost.
class Monitor {
public:
    Monitor(const fs::path& socket, const fs::path& dump) : socket_(socket), dump_(dump) {
        fs::remove(dump);
        std::string top = PCSCSPY_BENCH_TOP, s = socket.string(), d = dump.string();
        std::vector<char*> argv = {top.data(), const_cast<char*>("--text"), const_cast<char*>("--summary"),
                                   const_cast<char*>("--no-attach"), const_cast<char*>("--socket"), s.data(), const_cast<char*>("--dump"), d.data()};
        if (!g_monitor_nice.empty()) argv.insert(argv.end(), {const_cast<char*>("--nice"), g_monitor_nice.data()});
        if (g_read_rings) argv.push_back(const_cast<char*>("--read-rings"));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid_, top.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
        for (int i = 0; i < 500 && !fs::exists(socket); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bool ok() const { return pid_ > 0 && fs::exists(socket_); }
    // Ends it; the calls it showed and those it counted lost (nullopt: no dump).
    std::optional<std::pair<long, long>> finish() {
        if (pid_ <= 0) return std::nullopt;
        // The worker has exited: give the monitor a moment to read its end.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        std::ifstream in(dump_);
        nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
        if (doc.is_discarded() || !doc.contains("processes")) return std::nullopt;
        long calls = 0, lost = 0;
        for (const auto& p : doc["processes"]) {
            lost += p.value("lost_events", 0L);
            calls += p["stats"].value("calls", 0L);
        }
        return std::make_pair(calls, lost);
    }
    ~Monitor() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }

private:
    fs::path socket_, dump_;
    pid_t pid_ = -1;
};

enum class Setup { Bare, SpyNoReader, SpyReader, Ours, OursNoMonitor, OursRingReader };
struct Config {
    Setup setup;
    const char* name;
};
const Config kConfigs[] = {
    {Setup::Bare, "bare backend"},
    {Setup::SpyNoReader, "pcsc-lite spy, no FIFO reader"},
    {Setup::SpyReader, "pcsc-lite spy, FIFO drained"},
    {Setup::Ours, "pcscspy interposer, pcscspy-top running"},
    {Setup::OursNoMonitor, "pcscspy interposer, no monitor"},
    {Setup::OursRingReader, "pcscspy interposer, ring reader only"},
};

struct Backend {
    const char* name;
    std::string library;  // what libpcsclite.so.1 and libpcsclite_nospy.so.1 are
    std::string reader;
    int batch;
    int pause_ms;     // untimed pause between batches
    int min_batches;  // per round
};

struct Result {
    bool ok = false;
    double median = 0, min = 0;
    long calls = 0;
    long lost = 0, shown = 0;  // with a monitor: calls it counted lost, and calls it showed
    std::string note;
};

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

Result run_worker(const Backend& b, const Config& c, const fs::path& work, int budget_ms, int reps) {
    // A folder where libpcsclite.so.1 / libpcsclite_nospy.so.1 are the backend.
    fs::path libs = work / (std::string("libs-") + b.name);
    if (!fs::exists(libs)) {
        fs::create_directories(libs);
        fs::create_symlink(b.library, libs / "libpcsclite.so.1");
        fs::create_symlink(b.library, libs / "libpcsclite_nospy.so.1");
    }
    fs::path home = work / "home";
    fs::create_directories(home);
    fs::remove(home / "pcsc-spy");
    fs::path sockdir = work / "sock";
    fs::create_directories(sockdir);
    chmod(sockdir.c_str(), 0700);
    fs::remove(sockdir / "socket");

    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "PCSCSPY_", 8) && strncmp(*e, "HOME=", 5) &&
            strncmp(*e, "LD_LIBRARY_PATH=", 16))
            env.push_back(*e);
    env.push_back("LD_LIBRARY_PATH=" + libs.string());
    env.push_back("HOME=" + home.string());
    std::unique_ptr<Drain> drain;
    std::unique_ptr<Monitor> monitor;
    std::unique_ptr<RingReader> ring_reader;
    switch (c.setup) {
        case Setup::Bare: break;
        case Setup::SpyNoReader: env.push_back("LD_PRELOAD=" PCSCSPY_BENCH_PCSC_SPY); break;
        case Setup::SpyReader:
            env.push_back("LD_PRELOAD=" PCSCSPY_BENCH_PCSC_SPY);
            drain = Drain::fifo((home / "pcsc-spy").string());
            break;
        case Setup::Ours:
            monitor = std::make_unique<Monitor>(sockdir / "socket", work / "dump.json");
            if (!monitor->ok()) {
                Result failed;
                failed.note = "cannot start pcscspy-top";
                return failed;
            }
            [[fallthrough]];
        case Setup::OursRingReader:
            if (c.setup == Setup::OursRingReader) {
                ring_reader = std::make_unique<RingReader>(sockdir / "socket");
                if (!ring_reader->ok()) {
                    Result failed;
                    failed.note = "cannot listen on the socket";
                    return failed;
                }
            }
            [[fallthrough]];
        case Setup::OursNoMonitor:
            env.push_back("LD_PRELOAD=" PCSCSPY_BENCH_INTERPOSER);
            env.push_back("PCSCSPY_BACKEND=" + b.library);
            env.push_back("PCSCSPY_SOCKET=" + (sockdir / "socket").string());
            break;
    }
    int result[2];
    if (pipe(result) != 0) exit(1);
    env.push_back("BENCH_RESULT_FD=3");
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string exe = self_exe(), budget = std::to_string(budget_ms), repetitions = std::to_string(reps),
                batch = std::to_string(b.batch), pause = std::to_string(b.pause_ms),
                min_batches = std::to_string(b.min_batches), warm = std::to_string(g_warm_calls);
    std::vector<char*> argv = {exe.data(), const_cast<char*>("--worker"), const_cast<char*>(b.reader.c_str()),
                               budget.data(), repetitions.data(), batch.data(), pause.data(), min_batches.data(),
                               warm.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    // pcsc-lite's spy prints its diagnostics on stdout.
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, result[1], 3);
    pid_t pid;
    int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(result[1]);
    Result r;
    if (rc != 0) {
        close(result[0]);
        r.note = "cannot start the worker";
        return r;
    }
    std::string text;
    char buf[256];
    for (ssize_t n; (n = read(result[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(result[0]);
    waitpid(pid, nullptr, 0);
    if (sscanf(text.c_str(), "ok %lf %lf %ld", &r.median, &r.min, &r.calls) == 3) r.ok = true;
    else r.note = text.empty() ? "worker failed" : text.substr(0, text.find('\n'));
    if (monitor && r.ok) {
        auto shown = monitor->finish();
        if (!shown) {
            r.ok = false;
            r.note = "no dump from pcscspy-top";
        } else {
            r.shown = shown->first;
            r.lost = shown->second;
        }
    }
    return r;
}

int orchestrate(int budget_ms, int rounds, const std::string& reader, bool noop_only) {
    char tmpl[] = "/tmp/pcscspy-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    fs::path work = tmpl;
    std::vector<Backend> backends = {{"no-op", PCSCSPY_BENCH_NOOP, "Noop Reader 00 00", 1000, 2, 10}};
    // pcscd: one run of 3,000 calls without pauses per configuration and round.
    if (!noop_only) backends.push_back({"pcscd", PCSCSPY_BENCH_REAL_PCSCLITE, reader, 3000, 0, 1});
    const size_t nconfigs = std::size(kConfigs);

    // Rounds interleave the configurations, so that a load that drifts during
    // the run (other programs, other pcscd clients) weighs on all alike.
    struct Cell {
        std::vector<double> ns;
        long lost = 0, shown = 0;
        std::string failure;
    };
    std::vector<std::vector<Cell>> cells(backends.size(), std::vector<Cell>(nconfigs));
    for (int round = 0; round < rounds; ++round)
        for (size_t bi = 0; bi < backends.size(); ++bi)
            for (size_t ci = 0; ci < nconfigs; ++ci) {
                Cell& cell = cells[bi][ci];
                if (!cell.failure.empty()) continue;
                Result r = run_worker(backends[bi], kConfigs[ci], work, budget_ms, 1);
                if (!r.ok) {
                    cell.failure = r.note;
                    continue;
                }
                cell.ns.push_back(r.median);
                cell.lost += r.lost;
                cell.shown += r.shown;
            }
    fs::remove_all(work);

    printf("Cost per SCardStatus call: median (and minimum) over %d rounds; each round runs every\n"
           "configuration for %d ms in a fresh process (after %d untimed calls), calls in batches with\n"
           "untimed pauses so that readers keep up. Added = configuration - bare backend.\n\n",
           rounds, budget_ms, g_warm_calls);
    printf("%-7s %-40s %10s %10s %10s  %s\n", "backend", "configuration", "ns/call", "added ns", "min ns", "notes");
    std::vector<std::vector<double>> median(backends.size(), std::vector<double>(nconfigs, -1));
    for (size_t bi = 0; bi < backends.size(); ++bi)
        for (size_t ci = 0; ci < nconfigs; ++ci) {
            Cell& cell = cells[bi][ci];
            if (cell.ns.empty()) {
                printf("%-7s %-40s %10s %10s %10s  %s\n", backends[bi].name, kConfigs[ci].name, "-", "-", "-",
                       cell.failure.c_str());
                continue;
            }
            std::sort(cell.ns.begin(), cell.ns.end());
            median[bi][ci] = cell.ns[cell.ns.size() / 2];
            char added[32] = "-";
            if (ci > 0 && median[bi][0] >= 0) snprintf(added, sizeof added, "%.0f", median[bi][ci] - median[bi][0]);
            std::string note;
            if (kConfigs[ci].setup == Setup::Ours)
                note = "calls shown " + std::to_string(cell.shown) + ", lost " + std::to_string(cell.lost);
            printf("%-7s %-40s %10.0f %10s %10.0f  %s\n", backends[bi].name, kConfigs[ci].name, median[bi][ci], added,
                   cell.ns.front(), note.c_str());
        }

    printf("\nTargets:\n");
    for (size_t bi = 0; bi < backends.size(); ++bi) {
        const std::vector<double>& m = median[bi];
        if (m[0] < 0 || m[2] < 0 || m[3] < 0 || m[4] < 0) continue;
        const double ours = m[3] - m[0], idle = m[4] - m[0], spy = m[2] - m[0];
        auto verdict = [](bool met) { return met ? "MET" : "NOT MET"; };
        printf("  %s backend:\n", backends[bi].name);
        if (bi == 0) {
            printf("    with pcscspy-top:    %8.0f ns added    target <= 1500 ns   ratio %6.2f  %s\n", ours, ours / 1500,
                   verdict(ours <= 1500));
            printf("    vs pcsc-lite's spy:  %8.0f ns / %.0f ns  target <= 0.3      ratio %6.3f  %s\n", ours, spy,
                   ours / spy, verdict(ours <= 0.3 * spy));
            if (m[1] >= 0)
                printf("      (its spy with no FIFO reader, which logs nothing, adds %.0f ns)\n", m[1] - m[0]);
            printf("    without a monitor:   %8.0f ns added    target <= 100 ns    ratio %6.2f  %s\n", idle, idle / 100,
                   verdict(idle <= 100));
            if (m[5] >= 0)
                printf("    transport alone:     %8.0f ns added    (the rings read, no parsing, no model)\n", m[5] - m[0]);
        } else {
            // The round trip as a user sees it: the monitor's work competes
            // with pcscd's for the CPU.
            printf("    with pcscspy-top:    %+7.1f %% of the round trip  target <= +3 %%  %s\n", 100 * ours / m[0],
                   verdict(ours <= 0.03 * m[0]));
            printf("    without a monitor:   %+7.1f %% of the round trip\n", 100 * idle / m[0]);
            if (m[5] >= 0)
                printf("    transport alone:     %+7.1f %% of the round trip (the rings read, no parsing, no model)\n",
                       100 * (m[5] - m[0]) / m[0]);
            printf("    pcsc-lite's spy:     %+7.1f %% of the round trip (FIFO drained)\n", 100 * spy / m[0]);
        }
    }
    return 0;
}

// What the machine charges for the first write to a page of shared memory, as
// a traced process's ring takes it (a memfd of 16 MiB mapped shared): part of
// the cost of a process's first pass through its ring.
int page_cost() {
    const size_t bytes = size_t{16} << 20, page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    int fd = memfd_create("bench-pages", MFD_CLOEXEC);
    void* p = fd >= 0 && ftruncate(fd, static_cast<off_t>(bytes)) == 0
                  ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
    if (p == MAP_FAILED) return 1;
    auto* data = static_cast<volatile char*>(p);
    auto pass = [&] {
        const auto t0 = Clock::now();
        for (size_t at = 0; at < bytes; at += page) data[at] = 1;
        return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / static_cast<double>(bytes / page);
    };
    const double first = pass(), second = pass();
    printf("shared memory, per %zu-byte page: first write %.2f us, second write %.3f us\n", page, first, second);
    munmap(p, bytes);
    close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && !strcmp(argv[1], "--page-cost")) return page_cost();
    if ((argc == 8 || argc == 9) && !strcmp(argv[1], "--worker"))
        return worker(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]),
                      argc == 9 ? atoi(argv[8]) : 2000);
    int budget_ms = 300, rounds = 7;
    std::string reader = getenv("PCSCSPY_TESTBED_READER") ? getenv("PCSCSPY_TESTBED_READER") : "Virtual PCD 00 00";
    bool noop_only = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, atoi(argv[++i]));
        else if (a == "--budget-ms" && i + 1 < argc) budget_ms = std::max(10, atoi(argv[++i]));
        else if (a == "--reader" && i + 1 < argc) reader = argv[++i];
        else if (a == "--noop-only") noop_only = true;
        else if (a == "--monitor-nice" && i + 1 < argc) g_monitor_nice = argv[++i];
        else if (a == "--read-rings") g_read_rings = true;
        else if (a == "--warm" && i + 1 < argc) g_warm_calls = std::max(0, atoi(argv[++i]));
        else {
            fprintf(stderr,
                    "usage: %s [--rounds N] [--budget-ms MS] [--reader NAME] [--noop-only] [--monitor-nice N] [--read-rings]\n"
                    "          [--warm CALLS]\n"
                    "       %s --page-cost\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    return orchestrate(budget_ms, rounds, reader, noop_only);
}
