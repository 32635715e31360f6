// pcscspy-top's command line: every contract option, values, errors, colour rule,
// and what the executable does with --help, --version and no dashboard.
#include <doctest/doctest.h>

#include <algorithm>

#include "monitor/app/options.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {
OptionsParse parse(std::vector<const char*> args) {
    args.insert(args.begin(), "pcscspy-top");
    return parse_options(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("every option of the contract is understood") {
    OptionsParse p = parse({"--socket", "/run/x/s", "--text", "--record", "r.ndjson", "--dump=d.json", "--check",
                            "--no-color", "--diffable", "--show-secrets", "--history", "50", "--", "opensc-tool", "-a",
                            "--text"});
    REQUIRE_FALSE(p.error);
    const Options& o = p.options;
    CHECK(o.socket == "/run/x/s");
    CHECK(o.text);
    CHECK(o.record == "r.ndjson");
    CHECK(o.dump == "d.json");
    CHECK(o.check);
    CHECK(o.no_color);
    CHECK(o.diffable);
    CHECK(o.show_secrets);
    CHECK(o.history == 50);
    CHECK(o.command == std::vector<std::string>{"opensc-tool", "-a", "--text"});  // after --: the command's own
    Options d = parse({}).options;
    CHECK_FALSE(d.text);
    CHECK(d.history == kDefaultHistory);
    CHECK(parse({"--replay", "f", "--text", "--summary"}).options.summary);
    CHECK(parse({"--text", "--brief"}).options.brief);
    CHECK_FALSE(d.brief);
}

TEST_CASE("wrong command lines are refused with a reason") {
    const std::vector<std::vector<const char*>> bad = {
        {"--bogus"},       {"--socket"},          {"--history", "many"}, {"--history", "-1"},
        {"--dump", ""},    {"--"},                {"--replay", "f", "--", "cmd"},
        {"--summary"},     {"--text=yes"},        {"--command-log", "l"}, {"--replay", "f", "--record", "g"},
        {"--brief"},       {"--text", "--brief", "--summary"},
    };
    for (const auto& args : bad) {
        CAPTURE(args.front());
        OptionsParse p = parse(args);
        REQUIRE(p.error.has_value());
        CHECK_FALSE(p.error->empty());
    }
}

TEST_CASE("colour only on a terminal, never with --no-color or NO_COLOR") {
    Options o;
    CHECK(use_color(o, true, nullptr));
    CHECK_FALSE(use_color(o, false, nullptr));
    CHECK_FALSE(use_color(o, true, "1"));
    CHECK(use_color(o, true, ""));  // no-color.org: only a non-empty value counts
    o.no_color = true;
    CHECK_FALSE(use_color(o, true, nullptr));
}

TEST_CASE("the executable: --help, --version, usage errors, no dashboard yet") {
    std::string top = PCSCSPY_TOP;
    RunResult help = run(top + " --help");
    CHECK(help.status == 0);
    for (const char* opt : {"--socket", "--text", "--replay", "--record", "--dump", "--check", "--no-color",
                            "--diffable", "--show-secrets", "--history", "-- CMD"})
        CHECK(help.out.find(opt) != std::string::npos);
    RunResult version = run(top + " --version");
    CHECK(version.status == 0);
    CHECK(version.out.starts_with("pcscspy-top "));
    RunResult bogus = run(top + " --bogus 2>&1");
    CHECK(bogus.status == 2);
    CHECK(bogus.out == "pcscspy-top: unknown option --bogus (pcscspy-top --help for more)\n");
    RunResult replay = run(top + " --replay " + data_path("opensc_tool_session.ndjson") + " --text --summary 2>&1");
    CHECK(replay.status == 0);
    CHECK(replay.out.find("Results sorted by total execution time") != std::string::npos);
    CHECK(replay.out.find("SCardTransmit") != std::string::npos);
    CHECK(replay.out.find("SCardEstablishContext\n i ") == std::string::npos);  // --summary: no calls
    // What --replay names must be a recording or a dump: exit 2 and one line why,
    // in text mode as in the dashboard, before any table is printed.
    for (const char* mode : {" --text", ""}) {
        for (const char* file : {"/tmp", "/etc/passwd", "/nonexistent/recording"}) {
            CAPTURE(file);
            CAPTURE(mode);
            RunResult r = run(top + " --replay " + file + mode + " 2>&1");
            CHECK(r.status == 2);
            CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
            CHECK(r.out.starts_with("pcscspy-top: "));
        }
    }
#ifndef PCSCSPY_HAVE_DASHBOARD
    RunResult dash = run(top + " --replay " + data_path("opensc_tool_session.ndjson") + " 2>&1");
    CHECK(dash.status == 2);
    CHECK(dash.out.find("--text") != std::string::npos);
#endif
}

TEST_CASE("system-wide capture: on when permitted by default, --attach requires it, --no-attach turns it off") {
    CHECK(parse({}).options.attach == AttachMode::WhenPermitted);
    CHECK(parse({"--attach"}).options.attach == AttachMode::Required);
    CHECK(parse({"--no-attach"}).options.attach == AttachMode::Off);
    CHECK(parse({"--attach", "--attach"}).options.attach == AttachMode::Required);
    auto both = parse({"--attach", "--no-attach"});
    REQUIRE(both.error);
    CHECK(both.error->find("contradict") != std::string::npos);
    CHECK(parse({"--replay", "f", "--attach"}).error);
    CHECK_FALSE(parse({"--replay", "f", "--no-attach"}).error);
}

TEST_CASE("--pid takes process ids separated by commas, and may be repeated") {
    OptionsParse p = parse({"--pid", "12,345", "--pid=7"});
    REQUIRE_FALSE(p.error);
    CHECK(p.options.pids == std::set<int64_t>{7, 12, 345});
    CHECK(parse({}).options.pids.empty());
    for (const char* bad : {"", "x", "1,,2", "-3", "0", "12a", "1,"}) {
        CAPTURE(bad);
        OptionsParse r = parse({"--pid", bad});
        REQUIRE(r.error);
    }
    CHECK(parse({"--pid"}).error);
    CHECK(parse({"--replay", "f", "--pid", "1"}).error);
}

TEST_CASE("the options of many machines: --headless, --metrics, --record-rotate, several --replay") {
    OptionsParse p = parse({"--headless", "--metrics", "9464", "--record", "/var/log/pcscspy/events.ndjson",
                            "--record-rotate=64M,10"});
    REQUIRE_FALSE(p.error);
    CHECK(p.options.headless);
    CHECK(p.options.metrics == MetricsAddress{"127.0.0.1", 9464});
    CHECK(p.options.record_rotate == RotationPolicy{64u << 20, 10});
    CHECK(parse({"--metrics", "0.0.0.0:9100", "--text"}).options.metrics == MetricsAddress{"0.0.0.0", 9100});

    Options r = parse({"--replay", "f.2", "--replay", "f.1", "--replay=f", "--text"}).options;
    CHECK(r.replay == "f.2");
    CHECK(r.replay_files == std::vector<std::string>{"f.2", "f.1", "f"});

    for (auto args : std::vector<std::vector<const char*>>{{"--headless", "--text"},
                                                           {"--record-rotate", "1M"},
                                                           {"--record", "r", "--record-rotate", "1"},
                                                           {"--metrics", "localhost:80"},
                                                           {"--metrics"}}) {
        OptionsParse bad = parse(args);
        CAPTURE(args.front());
        REQUIRE(bad.error);
        CHECK(bad.error->find("--") != std::string::npos);
    }
}
