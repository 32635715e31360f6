// The listener with real Unix sockets: many clients, partial lines, every kind
// of bad input, a stalled client, a foreign uid, a stale socket, a second
// monitor. Bad input never stops the server nor loses what came before.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "monitor/model/session_model.hpp"
#include "monitor/server/event_server.hpp"
#include "monitor/server/line_assembler.hpp"
#include "monitor/server/listening_socket.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = write(fd, data.data(), data.size());
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
    }
}

// A server feeding a model, as pcscspy-top runs it.
struct Harness {
    TempDir dir;
    SessionModel model;
    std::unique_ptr<EventServer> server;
    std::vector<std::string> closed_pids;

    Harness() {
        chmod(dir.path.c_str(), 0700);
        auto r = ListeningSocket::open(dir / "socket");
        REQUIRE(r.socket);
        EventServer::Handlers h;
        h.line = [this](ConnectionStats& from, std::string_view line) {
            IngestResult r = model.ingest_line(line);
            if (r.ok()) {
                from.event_pid = r.pid;
                from.owner = r.process;
            }
            return r.ok();
        };
        h.overlong = [this](const ConnectionStats&) { model.count_bad_line(EventErrorKind::MalformedJson); };
        h.closed = [this](const ConnectionStats& c) { model.connection_closed(c.owner, c.closed_us); };
        server = std::make_unique<EventServer>(std::move(*r.socket), std::move(h));
    }
    std::string path() const { return dir / "socket"; }
    // Runs the loop until `done` holds (or 10 s pass).
    bool run_until(const std::function<bool()>& done) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            server->run_once(20);
        }
        return true;
    }
};

std::string hello(int pid) {
    return R"({"v":1,"type":"hello","pid":)" + std::to_string(pid) + R"(,"tid":1,"ts_us":1,"exe":"/bin/p)" +
           std::to_string(pid) + R"(","argv":[],"via":"preload"})" + "\n";
}
std::string call(int pid, int seq) {
    return R"({"v":1,"type":"call","pid":)" + std::to_string(pid) + R"(,"tid":1,"ts_us":2,"seq":)" +
           std::to_string(seq) + R"(,"fn":"SCardIsValidContext","dur_ns":1000,"rv":0,"in":{"hContext":1},"out":{}})" +
           "\n";
}

}  // namespace

TEST_CASE("LineAssembler: pieces become lines, over-long lines are skipped up to the next newline") {
    std::vector<std::string> lines;
    std::vector<size_t> overlong;
    LineAssembler a(16);
    auto line = [&](std::string_view l) { lines.emplace_back(l); };
    auto over = [&](size_t n) { overlong.push_back(n); };
    a.feed("ab", line, over);
    a.feed("c\nde", line, over);
    CHECK(a.pending() == 2);
    a.feed("f\n\nxyz\n", line, over);
    CHECK(lines == std::vector<std::string>{"abc", "def", "", "xyz"});
    a.feed(std::string(10, 'x'), line, over);
    a.feed(std::string(10, 'y'), line, over);  // now 20 bytes: over the maximum
    a.feed(std::string(100, 'z'), line, over);
    CHECK(lines.size() == 4);
    a.feed("zz\nok\n", line, over);
    REQUIRE(overlong.size() == 1);
    CHECK(overlong[0] == 122);
    CHECK(lines.back() == "ok");
    a.feed(std::string(40, 'q') + "\nfine\n", line, over);  // over-long within one chunk
    CHECK(overlong.size() == 2);
    CHECK(lines.back() == "fine");
    CHECK(a.pending() == 0);
}

TEST_CASE("hundreds of clients at once, each one process, nothing lost") {
    Harness h;
    constexpr int kClients = 200;
    std::vector<int> fds;
    for (int i = 0; i < kClients; ++i) {
        int fd = connect_to(h.path());
        REQUIRE(fd >= 0);
        fds.push_back(fd);
    }
    for (int i = 0; i < kClients; ++i) {
        std::string text = hello(1000 + i);
        for (int s = 1; s <= 5; ++s) text += call(1000 + i, s);
        send_all(fds[i], text);
    }
    CHECK(h.run_until([&] { return h.model.counters().calls == kClients * 5; }));
    for (int fd : fds) close(fd);
    CHECK(h.run_until([&] { return h.server->open_connections() == 0; }));
    CHECK(h.model.processes().size() == kClients);
    CHECK(h.server->counters().accepted == kClients);
    for (const ProcessInfo& p : h.model.processes()) CHECK(p.state == ProcessState::Disconnected);
}

TEST_CASE("partial lines are reassembled, byte by byte if need be") {
    Harness h;
    int fd = connect_to(h.path());
    std::string text = hello(7) + call(7, 1) + call(7, 2);
    for (char c : text) {
        send_all(fd, std::string_view(&c, 1));
        h.server->run_once(0);
    }
    CHECK(h.run_until([&] { return h.model.counters().calls == 2; }));
    CHECK(h.model.counters().bad_lines == 0);
    close(fd);
}

TEST_CASE("bad input is counted on its connection and never loses what came before or after") {
    Harness h;
    int fd = connect_to(h.path());
    std::string bad[] = {
        "{not json\n",
        std::string("\x00\x01\x02\xff\xfe binary\n", 14),
        "{\"v\":1,\"type\":\"hello\",\"pid\":7,\"ts_us\":1,\"exe\":\"\xc3\x28\"}\n",  // invalid UTF-8
        R"({"v":1,"type":"call","pid":7,"ts_us":"soon","seq":1})" "\n",           // wrong type
        R"({"v":1,"type":"party","pid":7,"ts_us":1})" "\n",                       // unknown type
        std::string(3 << 20, 'A') + "\n",                                         // over-long (3 MiB)
        "[1,2,3]\n",
    };
    // A writer thread: the server must read while 3 MiB go through the socket.
    std::thread writer([&] {
        send_all(fd, hello(7) + call(7, 1));
        for (const std::string& b : bad) send_all(fd, b);
        send_all(fd, call(7, 2));
    });
    CHECK(h.run_until([&] { return h.model.counters().calls == 2; }));
    writer.join();
    const ConnectionStats c = h.server->connections().at(0);
    CHECK(c.overlong_lines == 1);
    CHECK(c.bad_lines == 6);
    CHECK(h.model.counters().bad_lines == 7);
    CHECK(h.model.counters().bad_by_kind[static_cast<size_t>(EventErrorKind::UnknownType)] == 1);
    CHECK(h.model.processes().size() == 1);
    close(fd);
}

TEST_CASE("a client that sends half a line and stalls holds up nobody; its half line is counted at close") {
    Harness h;
    int stalled = connect_to(h.path());
    send_all(stalled, hello(8) + R"({"v":1,"type":"call","pid":8,)");
    int other = connect_to(h.path());
    send_all(other, hello(9) + call(9, 1));
    CHECK(h.run_until([&] { return h.model.counters().calls == 1; }));
    CHECK(h.model.processes().size() == 2);
    close(stalled);
    CHECK(h.run_until([&] { return h.server->counters().truncated_lines == 1; }));
    CHECK(h.server->connections().at(0).pending_at_close > 0);
    close(other);
}

TEST_CASE("peers of another uid are refused and counted") {
    if (geteuid() != 0) {
        MESSAGE("needs root to run a client as another user: skipped");
        std::exit(77);
    }
    Harness h;
    // Open the way for the other user (the folder is 0700 by design), to show
    // that the peer check still refuses it.
    chmod(h.dir.path.c_str(), 0711);
    chmod(h.path().c_str(), 0666);
    pid_t child = fork();
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        int fd = connect_to(h.path());
        if (fd < 0) _exit(4);
        send_all(fd, hello(66) + call(66, 1));
        sleep(1);
        _exit(0);
    }
    CHECK(h.run_until([&] { return h.server->counters().refused == 1; }));
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
    h.server->run_once(100);
    CHECK(h.model.counters().lines == 0);
    CHECK(h.model.processes().empty());
}

TEST_CASE("the socket: folder 0700, file 0600, stale socket removed, own socket removed on exit") {
    TempDir dir;
    std::string path = dir / "sub/socket";
    {
        auto r = ListeningSocket::open(path);
        REQUIRE(r.socket);
        struct stat st;
        REQUIRE(stat((dir / "sub").c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);
        REQUIRE(stat(path.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
    }
    CHECK(access(path.c_str(), F_OK) != 0);  // removed

    // A socket file left by a dead monitor.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    close(fd);
    auto r = ListeningSocket::open(path);
    REQUIRE(r.socket);
    CHECK(r.removed_stale);

    // Folders the interposer would refuse are refused up front.
    std::string open_dir = dir / "open";
    mkdir(open_dir.c_str(), 0755);
    auto refused = ListeningSocket::open(open_dir + "/socket");
    CHECK_FALSE(refused.socket);
    CHECK(refused.error.find("0755") != std::string::npos);
    std::string link = dir / "link";
    REQUIRE(symlink((dir / "sub").c_str(), link.c_str()) == 0);
    CHECK_FALSE(ListeningSocket::open(link + "/socket2").socket);
    write_file(dir / "sub/file", "x");
    CHECK(ListeningSocket::open(dir / "sub/file").error.find("not a socket") != std::string::npos);
}

TEST_CASE("a second monitor on the same socket is refused with the first one's pid") {
    TempDir dir;
    std::string sock = dir / "s/socket";
    pid_t first = fork();
    if (first == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(PCSCSPY_TOP, "pcscspy-top", "--text", "--no-attach", "--socket", sock.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 100 && access(sock.c_str(), F_OK) != 0; ++i) usleep(50'000);
    REQUIRE(access(sock.c_str(), F_OK) == 0);
    RunResult second = run(std::string(PCSCSPY_TOP) + " --text --no-attach --socket " + sock + " 2>&1");
    CHECK(second.status == 1);
    CHECK(second.out.find("pid " + std::to_string(first)) != std::string::npos);
    CHECK(access(sock.c_str(), F_OK) == 0);  // the first one's socket is untouched
    kill(first, SIGTERM);
    int status = 0;
    waitpid(first, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(access(sock.c_str(), F_OK) != 0);  // removed on a clean exit
}

TEST_CASE("connections past kMaxConnections are refused and counted; the ones open are still served") {
    Harness h;
    std::vector<int> fds;
    // Each client says hello and stays open.
    for (size_t i = 0; i < kMaxConnections + 20; ++i) {
        int fd = connect_to(h.path());
        if (fd < 0) break;  // the listen backlog: the server catches up below
        fds.push_back(fd);
        if (fds.size() % 64 == 0) h.server->run_once(0);
    }
    CHECK(h.run_until([&] { return h.server->open_connections() + h.server->counters().refused_full >= fds.size(); }));
    CHECK(h.server->open_connections() == kMaxConnections);
    CHECK(h.server->counters().refused_full == fds.size() - kMaxConnections);
    // The first client still gets through.
    send_all(fds[0], hello(1) + call(1, 1));
    CHECK(h.run_until([&] { return h.model.counters().calls == 1; }));
    for (int fd : fds) close(fd);
}

TEST_CASE("out of descriptors: a waiting peer is taken with the spare and closed, the loop does not spin") {
    Harness h;
    int peer = connect_to(h.path());
    REQUIRE(peer >= 0);
    // This process's descriptors used up (under a lowered limit, restored after).
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit low = saved;
    low.rlim_cur = 256;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<int> filler;
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    CHECK(errno == EMFILE);
    // One round takes the peer (with the spare) and closes it; then nothing is ready.
    CHECK(h.server->run_once(200) == 0);
    CHECK(h.server->counters().refused_full == 1);
    CHECK(h.server->open_connections() == 0);
    char byte;
    CHECK(read(peer, &byte, 1) == 0);  // closed by the server
    epoll_event ev;
    CHECK(epoll_wait(h.server->fd(), &ev, 1, 0) == 0);  // not ready again: no busy loop
    for (int fd : filler) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved);
    // Descriptors back: served again.
    int next = connect_to(h.path());
    send_all(next, hello(3) + call(3, 1));
    CHECK(h.run_until([&] { return h.model.counters().calls == 1; }));
    close(next);
    close(peer);
}

TEST_CASE("half lines are bounded in all: the client that passes kMaxPartialBytes is closed and counted") {
    Harness h;
    const std::string half(kMaxLineLength - 1, 'x');  // never a newline
    const size_t clients = kMaxPartialBytes / half.size() + 2;
    std::vector<int> fds;
    for (size_t i = 0; i < clients; ++i) fds.push_back(connect_to(h.path()));
    std::atomic<size_t> finished{0};
    std::vector<std::thread> senders;
    for (int fd : fds)
        senders.emplace_back([fd, &half, &finished] {
            // Until all is sent or the server closed the connection (no SIGPIPE).
            for (std::string_view rest = half; !rest.empty();) {
                ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
                if (n <= 0) break;
                rest.remove_prefix(static_cast<size_t>(n));
            }
            ++finished;
        });
    // What each open connection holds is every byte read from it (no newline).
    auto held = [&] {
        size_t bytes = 0;
        for (const ConnectionStats& c : h.server->connections())
            if (c.open()) bytes += c.bytes;
        return bytes;
    };
    // Until every sender is done and the server has read all that is still open.
    CHECK(h.run_until([&] { return finished == clients && held() == h.server->open_connections() * half.size(); }));
    for (auto& t : senders) t.join();
    CHECK(h.server->counters().closed_for_memory >= clients - kMaxPartialBytes / half.size());
    CHECK(held() <= kMaxPartialBytes);
    CHECK(h.server->open_connections() + h.server->counters().closed_for_memory == clients);
    for (int fd : fds) close(fd);
}

TEST_CASE("pcscspy-top counts what a peer's seq numbers and bye prove missing: in its dump and its text summary") {
    TempDir dir;
    const std::string sock = dir / "s/socket", record = dir / "events.ndjson", dump = dir / "dump.json";
    pid_t top = fork();
    if (top == 0) {
        int out = open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open((dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(err, 2);
        // --no-attach: only the peers of this socket (the tests run as root).
        execl(PCSCSPY_TOP, "pcscspy-top", "--text", "--summary", "--no-attach", "--socket", sock.c_str(), "--record",
              record.c_str(), "--dump", dump.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 200 && access(sock.c_str(), F_OK) != 0; ++i) usleep(50'000);
    REQUIRE(access(sock.c_str(), F_OK) == 0);
    // Pid 7001 sends calls 1, 2 and 4, then says it made 6 and lost none: 3, 5
    // and 6 are lost. Pid 7002 sends 1 and 3 and goes without bye: 2 is lost.
    const std::string bye_7001 = R"({"v":1,"type":"bye","pid":7001,"tid":1,"ts_us":3,"calls":6,"lost":0})" "\n";
    int a = connect_to(sock), b = connect_to(sock);
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    send_all(a, hello(7001) + call(7001, 1) + call(7001, 2) + call(7001, 4) + bye_7001);
    send_all(b, hello(7002) + call(7002, 1) + call(7002, 3));
    close(a);
    close(b);
    // Both ends are read once the recording has 7002's last call and 7001's bye.
    auto recorded = [&] {
        std::string r = read_file(record);
        return r.find(R"("pid":7001,"tid":1,"ts_us":3,"calls":6)") != std::string::npos &&
               r.find(R"("pid":7002,"tid":1,"ts_us":2,"seq":3)") != std::string::npos;
    };
    for (int i = 0; i < 200 && !recorded(); ++i) usleep(50'000);
    REQUIRE(recorded());
    // (The closes are read at the latest as the monitor ends: it drains every connection.)
    kill(top, SIGTERM);
    int status = 0;
    waitpid(top, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    nlohmann::json d = nlohmann::json::parse(read_file(dump));
    std::map<int64_t, uint64_t> lost;
    for (const auto& p : d["processes"]) lost[p["pid"].get<int64_t>()] = p["lost"].get<uint64_t>();
    CHECK(lost == std::map<int64_t, uint64_t>{{7001, 3}, {7002, 1}});
    CHECK(d["counters"]["lost"] == 4);
    CHECK(d["counters"]["lost_events"] == 0);

    const std::string out = read_file(dir / "out"), err = read_file(dir / "err");
    CAPTURE(out);
    CAPTURE(err);
    CHECK(out.find("exited, 3 events lost") != std::string::npos);
    CHECK(out.find("disconnected, 1 events lost") != std::string::npos);
    CHECK(err.find("4 events were lost by the traced processes (4 of them not reported by them") != std::string::npos);
}

TEST_CASE("a connection speaks for one process: events of other pids are bad lines, not processes that never end") {
    TempDir dir;
    const std::string sock = dir / "s/socket", dump = dir / "dump.json";
    pid_t top = fork();
    if (top == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(PCSCSPY_TOP, "pcscspy-top", "--text", "--summary", "--no-attach", "--socket", sock.c_str(), "--dump",
              dump.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 200 && access(sock.c_str(), F_OK) != 0; ++i) usleep(50'000);
    REQUIRE(access(sock.c_str(), F_OK) == 0);
    // A peer that says hello as 7101, then invents 5,000 pids, one call each,
    // and stays connected: before, each was a process running for ever.
    int fd = connect_to(sock);
    REQUIRE(fd >= 0);
    std::string text = hello(7101) + call(7101, 1);
    for (int pid = 20000; pid < 25000; ++pid) text += call(pid, 1);
    text += call(7101, 2);
    send_all(fd, text);
    // Stopped with the peer still connected: as it ends, the monitor reads what
    // the socket holds (every line sent), so no wait for it to read is needed.
    kill(top, SIGTERM);
    int status = 0;
    waitpid(top, &status, 0);
    close(fd);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    nlohmann::json d = nlohmann::json::parse(read_file(dump));
    REQUIRE(d["processes"].size() == 1);
    CHECK(d["processes"][0]["pid"] == 7101);
    CHECK(d["processes"][0]["stats"]["calls"] == 2);
    CHECK(d["counters"]["bad_lines"] == 5000);
    CHECK(d["counters"]["bad_by_kind"]["other process"] == 5000);
}

TEST_CASE("closed connections are not kept for ever: the latest kKeptClosedConnections, the rest counted") {
    Harness h;
    const size_t clients = kKeptClosedConnections + 300;
    for (size_t i = 0; i < clients; ++i) {
        int fd = connect_to(h.path());
        REQUIRE(fd >= 0);
        send_all(fd, hello(static_cast<int>(5000 + i)) + call(static_cast<int>(5000 + i), 1));
        close(fd);
        if (i % 50 == 49) REQUIRE(h.run_until([&] { return h.server->counters().closed == i + 1; }));
    }
    REQUIRE(h.run_until([&] { return h.server->counters().closed == clients; }));
    CHECK(h.server->counters().accepted == clients);
    CHECK(h.model.counters().calls == clients);
    const std::vector<ConnectionStats> kept = h.server->connections();
    CHECK(kept.size() == kKeptClosedConnections);
    CHECK(h.server->counters().forgotten == clients - kKeptClosedConnections);
    CHECK(kept.back().id == clients);  // the latest are the ones kept
}
