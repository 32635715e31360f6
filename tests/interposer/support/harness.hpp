// What most interposer tests share: a private socket folder with a listener, and
// the environment that runs the host with the interposer preloaded in front of
// the scripted double.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/child.hpp"
#include "support/events.hpp"
#include "support/listener.hpp"

namespace pcscspy::test {

// Variables of the test's own environment that must not leak into a child.
inline const std::vector<std::string> kCleanEnv = {"LD_PRELOAD", "PCSCSPY_DEBUG", "PCSCSPY_REDACT", "PCSCSPY_BACKEND",
                                                   "PCSCSPY_SOCKET", "LIBPCSCLITE_DELEGATE", "PCSCDOUBLE",
                                                   "LD_LIBRARY_PATH"};

inline std::map<std::string, std::string> traced_env(const std::string& socket,
                                                     std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {{"LD_PRELOAD", Artifacts::interposer()},
                                              {"PCSCSPY_BACKEND", Artifacts::double_library()},
                                              {"PCSCSPY_SOCKET", socket}};
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

struct Monitored {
    TempDir dir;
    std::string socket = dir / "socket";
    TestListener listener{socket};

    ChildResult run_host(const std::vector<std::string>& args, std::map<std::string, std::string> extra = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
        std::vector<std::string> argv = {Artifacts::host()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, traced_env(socket, std::move(extra)), kCleanEnv, timeout);
    }
    // The events of the process(es) after they are gone: waits until every
    // connection has its bye (or the timeout).
    std::vector<json> events(size_t processes = 1, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        listener.wait_until([&] { return listener.bye_count() >= processes; }, timeout);
        std::vector<std::string> errors;
        auto parsed = parse_events(listener.lines(), errors);
        parse_errors.insert(parse_errors.end(), errors.begin(), errors.end());
        return parsed;
    }
    std::vector<std::string> parse_errors;
};

}  // namespace pcscspy::test
