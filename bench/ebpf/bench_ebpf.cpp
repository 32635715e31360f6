// The system-wide capture's benchmark (not a test; see README.md for the command).
//
// 1. Added cost per call, for a program that calls PC/SC:
//      bare            nothing watches it
//      attached        pcscspy-top --attach runs (uprobes on libpcsclite)
//      interposer      the program runs with libpcscspy-interposer.so preloaded,
//                      pcscspy-top --no-attach reads its socket
//      pcsc-lite spy   libpcscspy.so.0 preloaded, its FIFO drained
//    on SCardStatus and SCardTransmit (GET CHALLENGE) against the real pcscd
//    and the virtual card, and on SCardIsValidContext (answered in the
//    library). Every measurement runs in a fresh worker process (this program
//    with --worker); rounds interleave the configurations and the figures are
//    medians over the rounds.
// 2. The largest event rate an attached pcscspy-top takes with no loss: worker
//    processes call SCardIsValidContext at a fixed total rate for a few
//    seconds, the monitor's dump says how many calls it saw and how many were
//    counted as lost; the rate goes up until calls are lost.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <winscard.h>

extern char** environ;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- workers ----

struct Card {
    SCARDCONTEXT ctx = 0;
    SCARDHANDLE card = 0;
    LONG rv = SCARD_S_SUCCESS;
};

Card open_card(const char* reader, bool connect) {
    Card c;
    DWORD proto = 0;
    c.rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &c.ctx);
    if (c.rv == SCARD_S_SUCCESS && connect)
        c.rv = SCardConnect(c.ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c.card, &proto);
    return c;
}

// One call of the function measured.
LONG call_once(const std::string& fn, const Card& c) {
    if (fn == "SCardStatus") {
        char name[256];
        BYTE atr[MAX_ATR_SIZE];
        DWORD name_len = sizeof name, atr_len = sizeof atr, state = 0, protocol = 0;
        return SCardStatus(c.card, name, &name_len, &state, &protocol, atr, &atr_len);
    }
    if (fn == "SCardTransmit") {
        static const BYTE kGetChallenge[] = {0x00, 0x84, 0x00, 0x00, 0x08};
        BYTE resp[32];
        DWORD len = sizeof resp;
        SCARD_IO_REQUEST recv_pci{};
        return SCardTransmit(c.card, SCARD_PCI_T1, kGetChallenge, sizeof kGetChallenge, &recv_pci, resp, &len);
    }
    return SCardIsValidContext(c.ctx);
}

// --worker FN READER BUDGET_MS BATCH: calls FN in batches for BUDGET_MS
// (at least 5 batches), with untimed pauses between batches so that the
// monitor or the FIFO reader keeps up; prints the median cost per call of
// the batches: "ok NS CALLS".
int worker(const std::string& fn, const char* reader, int budget_ms, int batch) {
    FILE* out = fdopen(3, "w");
    Card c = open_card(reader, fn != "SCardIsValidContext");
    for (int i = 0; i < std::max(5, 200 / batch) * batch && c.rv == SCARD_S_SUCCESS; ++i) c.rv = call_once(fn, c);
    std::vector<double> per_call;
    long calls = 0;
    const auto until = Clock::now() + std::chrono::milliseconds(budget_ms);
    for (int b = 0; (b < 5 || Clock::now() < until) && c.rv == SCARD_S_SUCCESS; ++b) {
        auto t0 = Clock::now();
        for (int i = 0; i < batch; ++i) c.rv |= call_once(fn, c);
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
        per_call.push_back(static_cast<double>(ns) / batch);
        calls += batch;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (c.card) SCardDisconnect(c.card, SCARD_LEAVE_CARD);
    SCardReleaseContext(c.ctx);
    if (c.rv != SCARD_S_SUCCESS) {
        fprintf(out, "error 0x%08lX\n", static_cast<unsigned long>(c.rv));
        return 1;
    }
    std::sort(per_call.begin(), per_call.end());
    fprintf(out, "ok %.1f %ld\n", per_call[per_call.size() / 2], calls);
    return 0;
}

// --rate-worker RATE SECONDS: SCardIsValidContext at RATE calls per second
// (in slices of 1 ms), for SECONDS; prints "made N".
int rate_worker(double rate, double seconds) {
    FILE* out = fdopen(3, "w");
    Card c = open_card("", false);
    if (c.rv != SCARD_S_SUCCESS) {
        fprintf(out, "error 0x%08lX\n", static_cast<unsigned long>(c.rv));
        return 1;
    }
    long made = 1;  // SCardEstablishContext
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    for (auto now = start; now < end; now = Clock::now()) {
        const double due = std::chrono::duration<double>(now - start).count() * rate;
        while (made < due) {
            SCardIsValidContext(c.ctx);
            ++made;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    SCardReleaseContext(c.ctx);
    fprintf(out, "made %ld\n", made + 1);
    return 0;
}

// ----------------------------------------------------------- orchestrator ----

struct Paths {
    std::string top, interposer, spy, pcsclite;
};

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

std::vector<std::string> clean_environment() {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "PCSCSPY_", 8) && strncmp(*e, "HOME=", 5) &&
            strncmp(*e, "LD_LIBRARY_PATH=", 16))
            env.push_back(*e);
    return env;
}

pid_t spawn(const std::vector<std::string>& args, std::vector<std::string> env, int out_fd, int result_fd,
            const std::string& stdout_path = "/dev/null", const std::string& stderr_path = "/dev/null") {
    std::vector<char*> argv, envp;
    std::vector<std::string> a = args;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (result_fd >= 0) posix_spawn_file_actions_adddup2(&fa, result_fd, 3);
    (void)out_fd;
    pid_t pid = -1;
    if (posix_spawn(&pid, a[0].c_str(), &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

bool file_has(const fs::path& p, const std::string& text) {
    std::ifstream in(p);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.find(text) != std::string::npos;
}

// A pcscspy-top running for one measurement.
// --monitor-nice N: the monitor's --nice (empty: its default), to compare priorities.
std::string g_monitor_nice;

class Monitor {
public:
    Monitor(const Paths& paths, const fs::path& work, bool attach, const std::string& dump = "") : work_(work) {
        fs::create_directories(work / "sock");
        chmod((work / "sock").c_str(), 0700);
        socket_ = (work / "sock" / "socket").string();
        std::vector<std::string> args = {paths.top, "--text", "--summary", attach ? "--attach" : "--no-attach",
                                         "--socket", socket_};
        if (!dump.empty()) args.insert(args.end(), {"--dump", dump});
        if (!g_monitor_nice.empty()) args.insert(args.end(), {"--nice", g_monitor_nice});
        err_ = work / "monitor.err";
        pid_ = spawn(args, clean_environment(), -1, -1, (work / "monitor.out").string(), err_.string());
        const std::string ready = attach ? "watching every program" : "listening on";
        for (int i = 0; i < 600 && !file_has(err_, ready); ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ok_ = pid_ > 0 && file_has(err_, ready);
    }
    ~Monitor() { stop(); }
    bool ok() const { return ok_; }
    const std::string& socket() const { return socket_; }
    std::string error() const {
        std::ifstream in(err_);
        std::string line;
        std::getline(in, line);
        return line;
    }
    // Ends it (SIGINT, as Ctrl-C); true when it reported no lost event.
    bool stop() {
        if (pid_ <= 0) return lossless_;
        kill(pid_, SIGINT);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        lossless_ = !file_has(err_, "were lost");
        return lossless_;
    }

private:
    fs::path work_, err_;
    std::string socket_;
    pid_t pid_ = -1;
    bool ok_ = false, lossless_ = true;
};

// Reads and discards what pcsc-lite's spy writes into its FIFO (~/pcsc-spy).
class FifoDrain {
public:
    explicit FifoDrain(const std::string& path) {
        mkfifo(path.c_str(), 0600);
        fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);  // never sees end-of-file between writers
        thread_ = std::thread([this] {
            std::vector<char> buf(1 << 20);
            while (!stop_) {
                pollfd p{fd_, POLLIN, 0};
                if (poll(&p, 1, 50) > 0 && read(fd_, buf.data(), buf.size()) < 0) continue;
            }
        });
    }
    ~FifoDrain() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }

private:
    int fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

enum class Setup { Bare, Attached, Interposer, Spy };
struct Config {
    Setup setup;
    const char* name;
};
const Config kConfigs[] = {
    {Setup::Bare, "bare"},
    {Setup::Attached, "attached (pcscspy-top --attach)"},
    {Setup::Interposer, "interposer + pcscspy-top"},
    {Setup::Spy, "pcsc-lite spy, FIFO drained"},
};

struct Workload {
    const char* fn;
    const char* where;
    int batch;
};
const Workload kWorkloads[] = {
    {"SCardStatus", "pcscd", 50},
    {"SCardTransmit", "pcscd+card", 4},
    {"SCardIsValidContext", "library", 1000},
};

struct Measure {
    std::optional<double> ns;
    std::string note;
};

Measure run_one(const Paths& paths, const fs::path& work, const Config& c, const Workload& w, const std::string& reader,
                int budget_ms) {
    fs::remove_all(work);
    fs::create_directories(work / "home");
    // libpcsclite.so.1 and libpcsclite_nospy.so.1 (the spy's backend) are the real library.
    fs::create_directories(work / "libs");
    fs::create_symlink(paths.pcsclite, work / "libs" / "libpcsclite.so.1");
    fs::create_symlink(paths.pcsclite, work / "libs" / "libpcsclite_nospy.so.1");
    std::vector<std::string> env = clean_environment();
    env.push_back("LD_LIBRARY_PATH=" + (work / "libs").string());
    env.push_back("HOME=" + (work / "home").string());
    std::unique_ptr<Monitor> monitor;
    std::unique_ptr<FifoDrain> fifo;
    switch (c.setup) {
        case Setup::Bare: break;
        case Setup::Attached: monitor = std::make_unique<Monitor>(paths, work, true); break;
        case Setup::Interposer:
            monitor = std::make_unique<Monitor>(paths, work, false);
            env.push_back("LD_PRELOAD=" + paths.interposer);
            env.push_back("PCSCSPY_BACKEND=" + paths.pcsclite);
            env.push_back("PCSCSPY_SOCKET=" + monitor->socket());
            break;
        case Setup::Spy:
            fifo = std::make_unique<FifoDrain>((work / "home" / "pcsc-spy").string());
            env.push_back("LD_PRELOAD=" + paths.spy);
            break;
    }
    Measure m;
    if (monitor && !monitor->ok()) {
        m.note = "monitor: " + monitor->error();
        return m;
    }
    int result[2];
    if (pipe(result) != 0) exit(1);
    pid_t pid = spawn({self_exe(), "--worker", w.fn, reader, std::to_string(budget_ms), std::to_string(w.batch)}, env, -1,
                      result[1]);
    close(result[1]);
    std::string text;
    char buf[256];
    for (ssize_t n; (n = read(result[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(result[0]);
    waitpid(pid, nullptr, 0);
    double ns = 0;
    long calls = 0;
    if (sscanf(text.c_str(), "ok %lf %ld", &ns, &calls) == 2) m.ns = ns;
    else m.note = text.empty() ? "worker failed" : text.substr(0, text.find('\n'));
    if (monitor && !monitor->stop()) m.note = "the monitor lost events";
    return m;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void costs(const Paths& paths, const fs::path& work, const std::string& reader, int rounds, int budget_ms) {
    const size_t nw = std::size(kWorkloads), nc = std::size(kConfigs);
    std::vector<std::vector<std::vector<double>>> ns(nw, std::vector<std::vector<double>>(nc));
    std::vector<std::vector<std::string>> notes(nw, std::vector<std::string>(nc));
    for (int round = 0; round < rounds; ++round) {
        for (size_t wi = 0; wi < nw; ++wi)
            for (size_t ci = 0; ci < nc; ++ci) {
                Measure m = run_one(paths, work, kConfigs[ci], kWorkloads[wi], reader, budget_ms);
                if (m.ns) ns[wi][ci].push_back(*m.ns);
                if (!m.note.empty()) notes[wi][ci] = m.note;
            }
        fprintf(stderr, "bench_ebpf: round %d of %d done\n", round + 1, rounds);
    }
    printf("Cost per call: median over %d rounds (each a fresh process calling for %d ms, in batches\n"
           "with untimed pauses); added = configuration - bare.\n\n",
           rounds, budget_ms);
    printf("%-20s %-11s %-32s %12s %12s  %s\n", "function", "answered by", "configuration", "ns/call", "added ns",
           "notes");
    for (size_t wi = 0; wi < nw; ++wi) {
        std::vector<double> med(nc, -1);
        for (size_t ci = 0; ci < nc; ++ci) {
            if (ns[wi][ci].empty()) {
                printf("%-20s %-11s %-32s %12s %12s  %s\n", kWorkloads[wi].fn, kWorkloads[wi].where, kConfigs[ci].name,
                       "-", "-", notes[wi][ci].c_str());
                continue;
            }
            med[ci] = median(ns[wi][ci]);
            char added[32] = "-";
            if (ci > 0 && med[0] >= 0) snprintf(added, sizeof added, "%.0f", med[ci] - med[0]);
            printf("%-20s %-11s %-32s %12.0f %12s  %s\n", kWorkloads[wi].fn, kWorkloads[wi].where, kConfigs[ci].name,
                   med[ci], added, notes[wi][ci].c_str());
        }
        if (med[0] >= 0 && med[1] >= 0 && med[3] >= 0) {
            const double attached = med[1] - med[0], spy = med[3] - med[0];
            const bool binding = std::string(kWorkloads[wi].where) != "library";
            printf("%-20s attached / spy added: %.0f / %.0f ns = %.3f%s\n", "", attached, spy, attached / spy,
                   binding ? (attached <= 0.3 * spy ? "  (target <= 0.3: MET)" : "  (target <= 0.3: NOT MET)") : "");
        }
        printf("\n");
    }
}

// One step of the rate test: `processes` workers at `rate` calls/s in total.
struct RateStep {
    double rate = 0;       // calls per second asked
    double achieved = 0;   // calls made per second
    long made = 0, shown = 0, lost = 0;
    std::string note;
};

RateStep rate_step(const Paths& paths, const fs::path& work, double rate, int processes, double seconds) {
    RateStep s;
    s.rate = rate;
    fs::remove_all(work);
    fs::create_directories(work);
    const std::string dump = (work / "dump.json").string();
    auto monitor = std::make_unique<Monitor>(paths, work, true, dump);
    if (!monitor->ok()) {
        s.note = "monitor: " + monitor->error();
        return s;
    }
    std::vector<std::pair<pid_t, int>> workers;
    const auto t0 = Clock::now();
    for (int i = 0; i < processes; ++i) {
        int result[2];
        if (pipe(result) != 0) exit(1);
        pid_t pid = spawn({self_exe(), "--rate-worker", std::to_string(rate / processes), std::to_string(seconds)},
                          clean_environment(), -1, result[1]);
        close(result[1]);
        workers.push_back({pid, result[0]});
    }
    std::map<pid_t, long> made;
    for (auto [pid, fd] : workers) {
        std::string text;
        char buf[128];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
        close(fd);
        waitpid(pid, nullptr, 0);
        long n = 0;
        if (sscanf(text.c_str(), "made %ld", &n) == 1) made[pid] = n;
        else s.note = "a worker failed";
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the monitor reads the rest
    monitor->stop();
    std::ifstream in(dump);
    nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded()) {
        s.note = "no dump";
        return s;
    }
    for (const auto& p : doc["processes"]) {
        auto it = made.find(p["pid"].get<pid_t>());
        if (it == made.end()) continue;
        s.shown += p["stats"]["calls"].get<long>();
        s.lost += p["lost_events"].get<long>();
    }
    for (auto& [pid, n] : made) s.made += n;
    s.achieved = s.made / elapsed;
    return s;
}

void rates(const Paths& paths, const fs::path& work, int processes, double seconds) {
    printf("Event rate an attached pcscspy-top (--text --summary) takes: %d processes calling\n"
           "SCardIsValidContext at the total rate asked, %.0f s per step.\n\n",
           processes, seconds);
    printf("%12s %12s %10s %10s %8s  %s\n", "asked/s", "made/s", "made", "shown", "lost", "notes");
    double best = 0;
    // Finer steps around the 100,000 target: its workers make a little less than asked.
    for (double rate : {25e3, 50e3, 75e3, 100e3, 105e3, 110e3, 115e3, 125e3, 150e3, 200e3, 250e3, 300e3, 400e3}) {
        RateStep s = rate_step(paths, work, rate, processes, seconds);
        const bool complete = s.note.empty() && s.shown + s.lost == s.made;
        printf("%12.0f %12.0f %10ld %10ld %8ld  %s%s\n", s.rate, s.achieved, s.made, s.shown, s.lost, s.note.c_str(),
               complete ? "" : " (shown + lost != made)");
        fflush(stdout);
        if (!complete || s.lost > 0) break;
        best = std::max(best, s.achieved);
        if (s.achieved < 0.9 * s.rate) break;  // the workers cannot go faster
    }
    printf("\nLargest rate with no loss: %.0f events/s (target >= 100000: %s)\n", best,
           best >= 100e3 ? "MET" : "NOT MET");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 6 && !strcmp(argv[1], "--worker")) return worker(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && !strcmp(argv[1], "--rate-worker")) return rate_worker(atof(argv[2]), atof(argv[3]));
    int rounds = 7, budget_ms = 400, processes = 2;
    double seconds = 3;
    bool do_costs = true, do_rates = true;
    std::string reader = getenv("PCSCSPY_TESTBED_READER") ? getenv("PCSCSPY_TESTBED_READER") : "Virtual PCD 00 00";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, atoi(argv[++i]));
        else if (a == "--budget-ms" && i + 1 < argc) budget_ms = std::max(50, atoi(argv[++i]));
        else if (a == "--processes" && i + 1 < argc) processes = std::max(1, atoi(argv[++i]));
        else if (a == "--seconds" && i + 1 < argc) seconds = std::max(1.0, atof(argv[++i]));
        else if (a == "--reader" && i + 1 < argc) reader = argv[++i];
        else if (a == "--costs-only") do_rates = false;
        else if (a == "--rates-only") do_costs = false;
        else if (a == "--monitor-nice" && i + 1 < argc) g_monitor_nice = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--rounds N] [--budget-ms MS] [--processes N] [--seconds S] [--reader NAME]\n"
                    "          [--costs-only | --rates-only] [--monitor-nice N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (geteuid() != 0) fprintf(stderr, "bench_ebpf: the attached configurations need root\n");
    Paths paths{PCSCSPY_BENCH_TOP, PCSCSPY_BENCH_INTERPOSER, PCSCSPY_BENCH_PCSC_SPY, PCSCSPY_BENCH_PCSCLITE};
    char tmpl[] = "/tmp/pcscspy-bench-ebpf-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    fs::path work = tmpl;
    if (do_costs) costs(paths, work / "cost", reader, rounds, budget_ms);
    if (do_rates) rates(paths, work / "rate", processes, seconds);
    fs::remove_all(work);
    return 0;
}
