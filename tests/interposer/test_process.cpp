// The traced program's own life: fork and exec, errno, calls that block, the
// dlopen hook (soname, full path, RUNPATH searches of other libraries).
#include <doctest/doctest.h>

#include <sstream>

#include "support/harness.hpp"

using namespace pcscspy::test;
using namespace std::chrono_literals;

TEST_CASE("a forked child has its own connection and hello and seq and exec leaks no descriptor") {
    Monitored m;
    ChildResult r = m.run_host({"fork"});
    REQUIRE(r.status == 0);
    // The exec'd image has exactly what it inherited on purpose (0, 1, 2).
    CHECK(r.out.find("fds-before-call 0 1 2\n") != std::string::npos);
    int parent = 0, child = 0, status = -1;
    std::istringstream out(r.out.substr(r.out.find("parent")));
    std::string word;
    out >> word >> parent >> word >> child >> word >> status;
    CHECK(status == 0);

    // Three byes: the parent's, the exec'd image's, and the one the monitor
    // writes for the image that exec replaced (it never wrote its own).
    std::vector<json> events = m.events(3);
    CHECK(m.parse_errors.empty());
    // exec keeps the pid but starts a new connection (and seq): the stream
    // rules hold per connection.
    for (const auto& connection : m.listener.connections()) {
        std::vector<std::string> errors;
        CHECK(check_stream(parse_events(connection, errors), true).empty());
        CHECK(errors.empty());
    }
    std::map<int64_t, std::vector<json>> by_pid;
    for (const json& e : events) by_pid[e["pid"]].push_back(e);
    REQUIRE(by_pid.count(parent));
    REQUIRE(by_pid.count(child));
    REQUIRE(m.listener.connection_count() == 3);  // parent, forked child, the same child after exec

    for (int64_t pid : {static_cast<int64_t>(parent), static_cast<int64_t>(child)}) {
        CAPTURE(pid);
        std::vector<json> hellos = of_type(by_pid[pid], "hello");
        CHECK(hellos.size() == (pid == child ? 2u : 1u));  // the child says hello again after exec
        for (const json& h : hellos) CHECK(h["via"] == "preload");
    }
    // The forked child counts from 1 again and has its own connection's hello
    // before its first call; after exec the new image starts over too.
    std::vector<json> child_calls = of_type(by_pid[child], "call");
    REQUIRE(child_calls.size() == 4);
    CHECK(child_calls[0]["seq"] == 1);
    CHECK(child_calls[1]["seq"] == 2);
    CHECK(child_calls[2]["seq"] == 1);
    CHECK(child_calls[2]["fn"] == "SCardEstablishContext");
    std::vector<json> child_byes = of_type(by_pid[child], "bye");
    REQUIRE(child_byes.size() == 2);
    CHECK(child_byes[0]["by"] == "monitor");
    CHECK(child_byes[0]["calls"] == 2);
    CHECK(child_byes[0]["lost"] == 0);
    CHECK_FALSE(child_byes[1].contains("by"));
    const json exec_hello = of_type(by_pid[child], "hello")[1];
    CHECK(exec_hello["argv"] == json::array({Artifacts::host(), "after-exec"}));
    std::vector<json> parent_calls = of_type(by_pid[parent], "call");
    REQUIRE(parent_calls.size() == 2);
    CHECK(parent_calls[1]["seq"] == 2);
    CHECK(parent_calls[1]["fn"] == "SCardReleaseContext");
}

TEST_CASE("errno is what the real call left whether traced or not") {
    struct Case {
        const char* name;
        bool monitored;
        const char* errno_arg;  // "-1": the double leaves errno alone
        const char* double_config;
    };
    const Case cases[] = {
        {"backend sets errno, monitored", true, "42", "errno=42"},
        {"backend leaves errno, monitored", true, "-1", ""},
        {"backend sets errno, no monitor", false, "42", "errno=42"},
        {"backend leaves errno, no monitor", false, "-1", ""},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        TempDir dir;
        std::optional<TestListener> listener;
        if (c.monitored) listener.emplace(dir / "socket");
        ChildResult r = run({Artifacts::host(), "errno", c.errno_arg},
                            traced_env(dir / "socket", {{"PCSCDOUBLE", c.double_config}}), kCleanEnv);
        CHECK(r.status == 0);
        CHECK(r.out == "errno mismatches=0\n");
        if (listener) CHECK(listener->connection_count() == 1);
    }
}

TEST_CASE("a call that blocks has its begin delivered while it runs") {
    Monitored m;
    Child host({Artifacts::host(), "block", "3000"}, traced_env(m.socket, {{"PCSCDOUBLE", "block=1"}}), kCleanEnv);
    auto begin_seen = [&] {
        for (const std::string& l : m.listener.lines())
            if (l.find("\"type\":\"begin\"") != std::string::npos && l.find("SCardGetStatusChange") != std::string::npos)
                return true;
        return false;
    };
    auto call_seen = [&] {
        for (const std::string& l : m.listener.lines())
            if (l.find("\"type\":\"call\"") != std::string::npos && l.find("SCardGetStatusChange") != std::string::npos)
                return true;
        return false;
    };
    // The call is cancelled after 3 s; its begin is there well before.
    CHECK(m.listener.wait_until(begin_seen, 2500ms));
    CHECK_FALSE(call_seen());
    ChildResult r = host.wait(30s);
    CHECK(r.status == 0);
    CHECK(r.out == "waited 0x80100002\n");  // SCARD_E_CANCELLED
    std::vector<json> events = m.events();
    std::vector<json> waits = calls_of(events, "SCardGetStatusChange");
    REQUIRE(waits.size() == 1);
    CHECK(waits[0]["rv_name"] == "SCARD_E_CANCELLED");
    CHECK(waits[0]["dur_ns"].get<int64_t>() > 2'000'000'000);
    CHECK(calls_of(events, "SCardCancel").size() == 1);
    CHECK(check_stream(events, false).empty());
}

TEST_CASE("a program that dlopens libpcsclite by soname or by path gets the interposer") {
    const char* const names[] = {"libpcsclite.so.1", PCSCSPY_SYSTEM_LIBPCSCLITE};
    for (const char* name : names) {
        CAPTURE(std::string(name));
        Monitored m;
        ChildResult r = m.run_host({"dlopen", name});
        CHECK(r.status == 0);
        CHECK(r.out.find("establish 0x00000000\n") != std::string::npos);
        CHECK(r.out.find("release 0x00000000\n") != std::string::npos);
        // pcsc_stringify_error is the backend's own (the double's wording).
        CHECK(r.out.find("stringify double error 0x8010001D\n") != std::string::npos);
        std::vector<json> events = m.events();
        std::vector<json> hello = of_type(events, "hello");
        REQUIRE(hello.size() == 1);
        CHECK(hello[0]["via"] == "dlopen");
        CHECK(hello[0]["backend"] == Artifacts::double_library());
        CHECK(calls_of(events, "SCardEstablishContext").size() == 1);
    }
}

TEST_CASE("other dlopen calls behave as without the interposer as the caller RUNPATH still applies") {
    TempDir dir;
    ChildResult plain = run({Artifacts::host(), "runpath"}, {}, kCleanEnv);
    ChildResult traced = run({Artifacts::host(), "runpath"}, traced_env(dir / "socket"), kCleanEnv);
    CHECK(plain.out == "runpath ok\n");
    CHECK(traced.out == "runpath ok\n");
    CHECK(traced.status == 0);
}
