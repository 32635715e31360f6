// The transport as a traced program meets it: many threads, a monitor that does
// not read, no monitor, a monitor that starts late, dies and comes back, and
// socket paths that must not be trusted.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol/event.hpp"
#include "support/harness.hpp"

using namespace pcscspy::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> host_argv(std::vector<std::string> args) {
    args.insert(args.begin(), Artifacts::host());
    return args;
}

int64_t field_number(const std::string& line, const char* key) {
    size_t at = line.find(key);
    return at == std::string::npos ? -1 : std::atoll(line.c_str() + at + strlen(key));
}

}  // namespace

TEST_CASE("32 threads x 10000 calls give whole lines and unique seq and lose nothing while the monitor keeps up") {
    Monitored m;
    // Each call takes ~300 µs in the double (a fast card would take more):
    // about 90 000 calls/s in all, a third of what the transport sustains here
    // with nothing else running, so that the monitor keeps up even on a busy
    // 2-core machine. Flat out, 32 threads make 2.8 million events/s, which no
    // reader keeps up with: then events are dropped and counted (next test).
    // The program runs at the lowest CPU priority, the monitor (this test's
    // listener) at ours: on a machine loaded by other work the monitor gets
    // the CPU before the program does, and so keeps up, as the test requires.
    // (Starved of CPU it could not: the program would then lose calls,
    // counted, as the next test shows.)
    std::vector<std::string> argv = {"/usr/bin/nice", "-n", "19", Artifacts::host(), "threads", "32", "10000"};
    ChildResult r = run(argv, traced_env(m.socket, {{"PCSCDOUBLE", "delay_us=300"}}), kCleanEnv, 600s);
    REQUIRE(r.status == 0);
    CHECK(r.out == "calls=320004 failures=0\n");
    m.listener.wait_until([&] { return m.listener.bye_count() == 1; }, 60s);
    std::vector<std::string> lines = m.listener.lines();

    // Checked line by line (640 000 of them): the framing of every line (two
    // interleaved lines would show two event starts or a broken end), a full
    // decode of a sample, and begin/call pairing by seq.
    size_t bad_frames = 0, decode_failures = 0, lost_events = 0;
    std::vector<std::pair<int64_t, int64_t>> calls, begins;  // (seq, tid)
    std::string bye;
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.rfind("{\"v\":1,\"type\":\"", 0) != 0 || line.find("{\"v\":1,", 1) != std::string::npos ||
            line.back() != '}')
            ++bad_frames;
        if (i % 101 == 0 && !pcscspy::decode_event(line).ok()) ++decode_failures;
        if (line.find("\"type\":\"call\"") != std::string::npos)
            calls.emplace_back(field_number(line, "\"seq\":"), field_number(line, "\"tid\":"));
        else if (line.find("\"type\":\"begin\"") != std::string::npos)
            begins.emplace_back(field_number(line, "\"seq\":"), field_number(line, "\"tid\":"));
        else if (line.find("\"type\":\"lost\"") != std::string::npos)
            ++lost_events;
        else if (line.find("\"type\":\"bye\"") != std::string::npos)
            bye = line;
    }
    CHECK(bad_frames == 0);
    CHECK(decode_failures == 0);
    CHECK(lost_events == 0);
    REQUIRE_FALSE(bye.empty());
    CHECK(field_number(bye, "\"calls\":") == 320004);
    CHECK(field_number(bye, "\"lost\":") == 0);
    REQUIRE(calls.size() == 320004);
    REQUIRE(begins.size() == 320004);

    // seq: unique, 1..N, each with its begin; per thread in increasing order.
    std::vector<char> has_call(320005, 0), has_begin(320005, 0);
    std::map<int64_t, int64_t> last_by_tid;
    size_t out_of_range = 0, duplicates = 0, unordered = 0;
    for (auto [seq, tid] : calls) {
        if (seq < 1 || seq > 320004) {
            ++out_of_range;
            continue;
        }
        duplicates += has_call[seq]++ > 0;
        unordered += seq <= last_by_tid[tid];
        last_by_tid[tid] = seq;
    }
    for (auto [seq, tid] : begins)
        if (seq >= 1 && seq <= 320004) has_begin[seq] = 1;
    size_t unpaired = 0;
    for (size_t seq = 1; seq <= 320004; ++seq) unpaired += !has_call[seq] || !has_begin[seq];
    CHECK(out_of_range == 0);
    CHECK(duplicates == 0);
    CHECK(unordered == 0);
    CHECK(unpaired == 0);
    CHECK(last_by_tid.size() == 33);  // the main thread and 32 workers
}

TEST_CASE("a monitor that never reads does not hold the program up and every dropped event is counted") {
    Monitored m;
    m.listener.set_reading(false);
    // Far more than the ring holds (its 16 MiB take about 70,000 calls).
    Child host(host_argv({"flood", "200000"}), traced_env(m.socket), kCleanEnv);
    auto phase1 = host.read_line(120s);
    REQUIRE(phase1);
    // Generous bound: a blocked program would never get here; normally ~100 ms.
    CHECK(std::atoll(phase1->c_str() + 7) < 30000);

    m.listener.set_reading(true);
    std::this_thread::sleep_for(500ms);
    host.write_stdin("go\n");
    ChildResult r = host.wait(60s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("calls=200012") != std::string::npos);

    std::vector<json> events = m.events();
    CHECK(m.parse_errors.empty());
    std::vector<json> byes = of_type(events, "bye");
    REQUIRE(byes.size() == 1);
    const uint64_t lost = byes[0]["lost"];
    CHECK(byes[0]["calls"] == 200012);
    CHECK(lost > 0);
    uint64_t reported = 0;
    for (const json& e : of_type(events, "lost")) reported += e["count"].get<uint64_t>();
    CHECK(reported == lost);
    // lost counts calls (a begin that does not fit is not written: it is optional).
    CHECK(of_type(events, "call").size() + lost == 200012);
    // What was delivered still pairs up where both halves arrived, in order.
    for (const std::string& p : check_stream(events, true))
        CHECK_MESSAGE(p.find("has no") != std::string::npos, p);
}

TEST_CASE("a program calling steadily reaches the monitor in batches, not at every call") {
    // Calls 200 µs apart, 2,000 of them. Whichever way the monitor takes the
    // lines, it must be woken about once per period (10 ms), not per call: a
    // wake-up per call costs the monitor a context switch each time, and on a
    // 2-core machine pcscd's round trip pays for it.
    TempDir dir;
    const std::string socket = dir / "socket";
    auto run_calls = [&](TestListener& listener) {
        ChildResult r = run({Artifacts::host(), "threads", "1", "2000"},
                            traced_env(socket, {{"PCSCDOUBLE", "delay_us=200"}}), kCleanEnv, 120s);
        REQUIRE(r.status == 0);
        CHECK(r.out == "calls=2004 failures=0\n");
        REQUIRE(listener.wait_until([&] { return listener.bye_count() == 1; }, 10s));
        std::vector<std::string> errors;
        CHECK(of_type(parse_events(listener.lines(), errors), "call").size() == 2004);
        CHECK(errors.empty());
    };
    // About 60 here (0.6 s of calls); a busy machine stretches the run and adds
    // periods, so the bound is a quarter of the calls: a wake-up per call is
    // over 2,000.
    SUBCASE("streamed on the socket (pcscspy-top's way): the process's flusher sends every period") {
        TestListener listener(socket, {}, pcscspy::EventServer::RingUse::Stream);
        run_calls(listener);
        CHECK(listener.socket_reads() < 2004 / 4);
        CHECK(listener.wakeups() == 0);
    }
    SUBCASE("read from the ring: the ring sleeps only after a whole period without lines") {
        TestListener listener(socket, {}, pcscspy::EventServer::RingUse::Read);
        run_calls(listener);
        CHECK(listener.wakeups() < 2004 / 4);
    }
}

TEST_CASE("with no monitor calls work and the program gets no thread nor descriptor nor output") {
    TempDir dir;
    ChildResult r = run(host_argv({"unmonitored"}), traced_env(dir / "nobody-listens"), kCleanEnv);
    CHECK(r.status == 0);
    CHECK(r.out == "threads 1\nfds 0 1 2\n");
    CHECK(r.err.empty());
}

TEST_CASE("nothing happens at load time: a program that makes no PC/SC call is left alone") {
    Monitored m;
    ChildResult r = m.run_host({"idle"});
    CHECK(r.status == 0);
    CHECK(r.out == "threads 1\nfds 0 1 2\n");
    CHECK(r.err.empty());
    std::this_thread::sleep_for(200ms);
    CHECK(m.listener.connection_count() == 0);
}

TEST_CASE("a monitor started later sees the next calls and once killed and restarted sees the program again") {
    TempDir dir;
    std::string socket = dir / "socket";
    Child host(host_argv({"paced", "10", "1000"}), traced_env(socket), kCleanEnv);

    std::this_thread::sleep_for(1200ms);  // calls made with no monitor at all
    auto first = std::make_unique<TestListener>(socket);
    REQUIRE(first->wait_until([&] { return first->lines().size() > 10; }, 5s));
    std::vector<std::string> errors;
    std::vector<json> before = parse_events(first->lines(), errors);
    REQUIRE(of_type(before, "hello").size() == 1);
    const int64_t pid = before[0]["pid"];
    CHECK(pid == host.pid());
    // The calls before the monitor existed count in seq.
    std::vector<json> early = of_type(before, "call");
    REQUIRE_FALSE(early.empty());
    CHECK(early.front()["seq"].get<uint64_t>() > 20);

    first->stop();  // the monitor dies with events in flight
    std::this_thread::sleep_for(500ms);
    TestListener second(socket);
    REQUIRE(second.wait_until([&] { return second.lines().size() > 10; }, 5s));
    ChildResult r = host.wait(60s);
    CHECK(r.status == 0);  // no SIGPIPE, no hang
    std::vector<json> after = second.wait_until([&] {
        for (const std::string& l : second.lines())
            if (l.find("\"type\":\"bye\"") != std::string::npos) return true;
        return false;
    }, 10s) ? parse_events(second.lines(), errors) : std::vector<json>{};
    CHECK(errors.empty());
    REQUIRE_FALSE(after.empty());
    CHECK(after[0]["type"] == "hello");
    CHECK(after[0]["pid"] == pid);
    CHECK(of_type(after, "call").front()["seq"] > of_type(before, "call").back()["seq"]);
    CHECK(of_type(after, "bye").size() == 1);
}

TEST_CASE("the default socket is $XDG_RUNTIME_DIR/pcscspy/socket") {
    TempDir runtime;
    REQUIRE(mkdir((runtime / "pcscspy").c_str(), 0700) == 0);
    TestListener listener(runtime / "pcscspy/socket");
    auto env = traced_env("");
    env.erase("PCSCSPY_SOCKET");
    env["XDG_RUNTIME_DIR"] = runtime.path();
    ChildResult r = run(host_argv({"basic"}), env, kCleanEnv);
    CHECK(r.status == 0);
    CHECK(listener.wait_until([&] { return listener.lines().size() > 3; }, 5s));
}

namespace {

// A listener in another process that runs as `uid` once bound: reports on the
// pipe how many bytes it received in `seconds`.
pid_t foreign_listener(const std::string& socket, uid_t uid, int report_fd, int seconds) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(1);
    if (setgid(uid) != 0 || setuid(uid) != 0) _exit(1);
    if (listen(fd, 16) != 0) _exit(1);
    long total = 0;
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};  // no SA_RESTART: the alarm ends accept()
    sigaction(SIGALRM, &sa, nullptr);
    alarm(static_cast<unsigned>(seconds));
    for (;;) {
        int c = accept(fd, nullptr, nullptr);
        if (c < 0) break;
        char buf[4096];
        for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) total += n;
        close(c);
    }
    (void)!write(report_fd, &total, sizeof total);
    _exit(0);
}

}  // namespace

TEST_CASE("an untrusted socket path gets nothing while the program works as usual") {
    struct Case {
        const char* name;
        bool needs_root;
        // Prepares dir (0700, ours) and returns the PCSCSPY_SOCKET to use.
        std::function<std::string(const TempDir&)> setup;
    };
    const Case cases[] = {
        {"folder mode 0755", false,
         [](const TempDir& d) {
             chmod(d.path().c_str(), 0755);
             return d / "socket";
         }},
        {"folder owned by another user", true,
         [](const TempDir& d) {
             REQUIRE(chown(d.path().c_str(), 65534, 65534) == 0);
             return d / "socket";
         }},
        {"folder is a symlink", false,
         [](const TempDir& d) {
             REQUIRE(symlink(d.path().c_str(), (d.path() + "-link").c_str()) == 0);
             return d.path() + "-link/socket";
         }},
        {"socket is a symlink", false,
         [](const TempDir& d) {
             REQUIRE(symlink((d / "socket").c_str(), (d / "alias").c_str()) == 0);
             return d / "alias";
         }},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        if (c.needs_root && geteuid() != 0) continue;
        TempDir dir;
        TestListener listener(dir / "socket");
        std::string socket = c.setup(dir);
        ChildResult r = run(host_argv({"basic"}), traced_env(socket), kCleanEnv);
        CHECK(r.status == 0);
        CHECK(r.out.find("transmit 0x00000000") != std::string::npos);
        CHECK(r.err.empty());
        CHECK(listener.connection_count() == 0);
        unlink((dir.path() + "-link").c_str());
    }
    // The same setup, trusted, does connect (the cases above test something).
    TempDir dir;
    TestListener listener(dir / "socket");
    CHECK(run(host_argv({"basic"}), traced_env(dir / "socket"), kCleanEnv).status == 0);
    CHECK(listener.wait_until([&] { return listener.connection_count() == 1; }, 5s));
}

TEST_CASE("a listener running as another user than root or ours gets nothing") {
    if (geteuid() != 0) std::exit(77);  // needs root to run a listener as another user
    TempDir dir;
    int report[2];
    REQUIRE(pipe(report) == 0);
    pid_t listener = foreign_listener(dir / "socket", 65534, report[1], 4);
    close(report[1]);
    std::this_thread::sleep_for(300ms);
    ChildResult r = run(host_argv({"basic"}), traced_env(dir / "socket"), kCleanEnv);
    CHECK(r.status == 0);
    long received = -1;
    CHECK(read(report[0], &received, sizeof received) == sizeof received);
    waitpid(listener, nullptr, 0);
    close(report[0]);
    CHECK(received == 0);
}
