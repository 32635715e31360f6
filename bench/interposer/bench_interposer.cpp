// The interposer's benchmark: cost per PC/SC call (SCardStatus) of
//   - the bare backend,
//   - pcsc-lite's own spy (libpcscspy.so.0) in front of it, without a reader of
//     its FIFO (it then logs nothing) and with a reader draining ~/pcsc-spy,
//   - libpcscspy-interposer.so with a monitor draining its socket (this
//     program's own listener) and with no monitor,
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
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <winscard.h>

extern char** environ;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- worker ----

int worker(const char* reader, int budget_ms, int reps, int batch) {
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
    for (int i = 0; i < 2000 && rv == SCARD_S_SUCCESS; ++i) rv = status();  // warm-up
    std::vector<double> per_call;
    long total_calls = 0;
    for (int r = 0; r < reps && rv == SCARD_S_SUCCESS; ++r) {
        int64_t ns = 0;
        long calls = 0;
        // A repetition lasts budget_ms of wall time (at least 10 batches).
        const auto until = Clock::now() + std::chrono::milliseconds(budget_ms);
        for (int b = 0; (b < 10 || Clock::now() < until) && rv == SCARD_S_SUCCESS; ++b) {
            auto t0 = Clock::now();
            for (int i = 0; i < batch; ++i) rv |= status();
            ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
            calls += batch;
            // Untimed: lets a monitor (or a FIFO reader) catch up, so that
            // what is measured is the cost of events delivered, not dropped.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
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

// Reads and discards what arrives on a socket (the monitor) or a FIFO (the
// reader of pcsc-lite's spy); remembers the number of lines and the last bye.
class Drain {
public:
    static std::unique_ptr<Drain> socket(const std::string& path) {
        auto d = std::unique_ptr<Drain>(new Drain);
        d->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (bind(d->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(d->listen_fd_, 8) != 0) {
            perror("bench_interposer: listen");
            exit(1);
        }
        d->start();
        return d;
    }
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
        if (listen_fd_ >= 0) close(listen_fd_);
    }
    long lines() const { return lines_; }
    std::string last_bye() const { return bye_; }

private:
    void start() {
        thread_ = std::thread([this] {
            std::vector<char> buf(1 << 20);
            std::string tail;
            while (!stop_) {
                std::vector<pollfd> p;
                if (listen_fd_ >= 0) p.push_back({listen_fd_, POLLIN, 0});
                for (int fd : fds_) p.push_back({fd, POLLIN, 0});
                if (poll(p.data(), p.size(), 50) <= 0) continue;
                for (const pollfd& q : p) {
                    if (!(q.revents & (POLLIN | POLLHUP))) continue;
                    if (q.fd == listen_fd_) {
                        fds_.push_back(accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC));
                        continue;
                    }
                    ssize_t n = read(q.fd, buf.data(), buf.size());
                    if (n <= 0) continue;
                    lines_ += std::count(buf.begin(), buf.begin() + n, '\n');
                    tail.append(buf.data(), static_cast<size_t>(n));
                    size_t bye = tail.rfind("\"type\":\"bye\"");
                    if (bye != std::string::npos) {
                        size_t start = tail.rfind('{', bye);
                        size_t end = tail.find('\n', bye);
                        if (end != std::string::npos) bye_ = tail.substr(start, end - start);
                    }
                    if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
                }
            }
        });
    }
    int listen_fd_ = -1;
    std::vector<int> fds_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<long> lines_{0};
    std::string bye_;
};

enum class Setup { Bare, SpyNoReader, SpyReader, Ours, OursNoMonitor };
struct Config {
    Setup setup;
    const char* name;
};
const Config kConfigs[] = {
    {Setup::Bare, "bare backend"},
    {Setup::SpyNoReader, "pcsc-lite spy, no FIFO reader"},
    {Setup::SpyReader, "pcsc-lite spy, FIFO drained"},
    {Setup::Ours, "pcscspy interposer, monitor draining"},
    {Setup::OursNoMonitor, "pcscspy interposer, no monitor"},
};

struct Backend {
    const char* name;
    std::string library;  // what libpcsclite.so.1 and libpcsclite_nospy.so.1 are
    std::string reader;
    int batch;
};

struct Result {
    bool ok = false;
    double median = 0, min = 0;
    long calls = 0;
    long lost = 0, lines = 0;  // with a monitor: from its bye, and lines received
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
    switch (c.setup) {
        case Setup::Bare: break;
        case Setup::SpyNoReader: env.push_back("LD_PRELOAD=" PCSCSPY_BENCH_PCSC_SPY); break;
        case Setup::SpyReader:
            env.push_back("LD_PRELOAD=" PCSCSPY_BENCH_PCSC_SPY);
            drain = Drain::fifo((home / "pcsc-spy").string());
            break;
        case Setup::Ours:
            drain = Drain::socket((sockdir / "socket").string());
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
                batch = std::to_string(b.batch);
    std::vector<char*> argv = {exe.data(), const_cast<char*>("--worker"), const_cast<char*>(b.reader.c_str()),
                               budget.data(), repetitions.data(), batch.data(), nullptr};
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
    if (c.setup == Setup::Ours && drain && r.ok) {
        for (int i = 0; i < 100 && drain->last_bye().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::string bye = drain->last_bye();
        size_t at = bye.find("\"lost\":");
        if (bye.empty()) {
            r.ok = false;
            r.note = "no bye received from the traced worker";
        } else {
            r.lost = atol(bye.c_str() + at + 7);
            r.lines = drain->lines();
        }
    }
    return r;
}

int orchestrate(int budget_ms, int rounds, const std::string& reader, bool noop_only) {
    char tmpl[] = "/tmp/pcscspy-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    fs::path work = tmpl;
    std::vector<Backend> backends = {{"no-op", PCSCSPY_BENCH_NOOP, "Noop Reader 00 00", 1000}};
    if (!noop_only) backends.push_back({"pcscd", PCSCSPY_BENCH_REAL_PCSCLITE, reader, 50});
    const size_t nconfigs = std::size(kConfigs);

    // Rounds interleave the configurations, so that a load that drifts during
    // the run (other programs, other pcscd clients) weighs on all alike.
    struct Cell {
        std::vector<double> ns;
        long lost = 0, lines = 0;
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
                cell.lines += r.lines;
            }
    fs::remove_all(work);

    printf("Cost per SCardStatus call: median (and minimum) over %d rounds; each round runs every\n"
           "configuration for %d ms in a fresh process, calls in batches with untimed pauses so that\n"
           "readers keep up. Added = configuration - bare backend.\n\n",
           rounds, budget_ms);
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
                note = "events lost: " + std::to_string(cell.lost) + " of " + std::to_string(cell.lines + cell.lost);
            printf("%-7s %-40s %10.0f %10s %10.0f  %s\n", backends[bi].name, kConfigs[ci].name, median[bi][ci], added,
                   cell.ns.front(), note.c_str());
        }

    printf("\nTargets (stated on the no-op backend):\n");
    for (size_t bi = 0; bi < backends.size(); ++bi) {
        const std::vector<double>& m = median[bi];
        if (m[0] < 0 || m[2] < 0 || m[3] < 0 || m[4] < 0) continue;
        const double ours = m[3] - m[0], idle = m[4] - m[0], spy = m[2] - m[0];
        const bool binding = bi == 0;
        auto verdict = [&](bool met) { return !binding ? "" : met ? "MET" : "NOT MET"; };
        printf("  %s backend%s:\n", backends[bi].name,
               binding ? "" : " (information only: pcscd's round trip and its other clients dominate)");
        printf("    with a monitor:      %8.0f ns added    target <= 1500 ns   ratio %6.2f  %s\n", ours, ours / 1500,
               verdict(ours <= 1500));
        printf("    vs pcsc-lite's spy:  %8.0f ns / %.0f ns  target <= 0.3      ratio %6.3f  %s\n", ours, spy, ours / spy,
               verdict(ours <= 0.3 * spy));
        if (m[1] >= 0)
            printf("      (its spy with no FIFO reader, which logs nothing, adds %.0f ns)\n", m[1] - m[0]);
        printf("    without a monitor:   %8.0f ns added    target <= 100 ns    ratio %6.2f  %s\n", idle, idle / 100,
               verdict(idle <= 100));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 6 && !strcmp(argv[1], "--worker")) return worker(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    int budget_ms = 300, rounds = 7;
    std::string reader = getenv("PCSCSPY_TESTBED_READER") ? getenv("PCSCSPY_TESTBED_READER") : "Virtual PCD 00 00";
    bool noop_only = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, atoi(argv[++i]));
        else if (a == "--budget-ms" && i + 1 < argc) budget_ms = std::max(10, atoi(argv[++i]));
        else if (a == "--reader" && i + 1 < argc) reader = argv[++i];
        else if (a == "--noop-only") noop_only = true;
        else {
            fprintf(stderr, "usage: %s [--rounds N] [--budget-ms MS] [--reader NAME] [--noop-only]\n", argv[0]);
            return 2;
        }
    }
    return orchestrate(budget_ms, rounds, reader, noop_only);
}
