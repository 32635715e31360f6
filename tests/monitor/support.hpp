// Helpers of the monitor tests: the recorded sessions of tests/data, private
// temporary folders, and running pcscspy-top.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace pcscspy::test {

inline std::string data_path(const std::string& name) { return std::string(PCSCSPY_SOURCE_DIR) + "/tests/data/" + name; }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// Feeds every line of a tests/data file to a model.
inline void feed_file(SessionModel& m, const std::string& name) {
    for (const std::string& l : lines_of(read_file(data_path(name)))) m.ingest_line(l);
}

inline void feed_text(SessionModel& m, const std::string& text) {
    for (const std::string& l : lines_of(text)) m.ingest_line(l);
}

// A private temporary folder (0700), removed with its content at the end.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/pcscspy-test-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// Runs a shell command, returns its exit status and stdout.
struct RunResult {
    int status = -1;
    std::string out;
};
inline RunResult run(const std::string& command) {
    RunResult r;
    FILE* p = popen(command.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace pcscspy::test

namespace pcscspy::test {

// Writes event lines for one traced process, seq and time counting up, for
// small hand-written sessions that read like the program they describe.
struct SessionWriter {
    int64_t pid;
    int64_t ts_us = 1764030000000000;
    uint64_t seq = 0;
    std::string text;

    explicit SessionWriter(int64_t p = 4242, int64_t start_us = 1764030000000000) : pid(p), ts_us(start_us) {}

    SessionWriter& hello(const std::string& exe = "/usr/bin/opensc-tool") {
        text += R"({"v":1,"type":"hello","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
                R"(,"ts_us":)" + std::to_string(ts_us) + R"(,"ppid":1,"uid":1000,"exe":")" + exe +
                R"(","argv":["x"],"via":"preload","backend":"/usr/lib/libpcsclite.so.1","spy":"0.1.0"})" + "\n";
        return *this;
    }
    // A call returning rv after dur_us; in/out are JSON objects' text.
    SessionWriter& call(const std::string& fn, const std::string& in, const std::string& out = "{}", int64_t rv = 0,
                        int64_t dur_us = 100, const std::string& extra = "", int64_t tid = 0) {
        ++seq;
        text += R"({"v":1,"type":"call","pid":)" + std::to_string(pid) + R"(,"tid":)" +
                std::to_string(tid ? tid : pid) + R"(,"ts_us":)" + std::to_string(ts_us) + R"(,"seq":)" +
                std::to_string(seq) + R"(,"fn":")" + fn + R"(","dur_ns":)" + std::to_string(dur_us * 1000) +
                R"(,"rv":)" + std::to_string(rv) + R"(,"rv_name":"x")" + extra + R"(,"in":)" + in + R"(,"out":)" + out +
                "}\n";
        ts_us += dur_us + 10;
        return *this;
    }
    SessionWriter& begin(const std::string& fn, const std::string& handle = "") {
        text += R"({"v":1,"type":"begin","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
                R"(,"ts_us":)" + std::to_string(ts_us) + R"(,"seq":)" + std::to_string(seq + 1) + R"(,"fn":")" + fn +
                "\"" + handle + "}\n";
        return *this;
    }
    SessionWriter& bye() {
        text += R"({"v":1,"type":"bye","pid":)" + std::to_string(pid) + R"(,"tid":)" + std::to_string(pid) +
                R"(,"ts_us":)" + std::to_string(ts_us) + R"(,"calls":)" + std::to_string(seq) + R"(,"lost":0})" + "\n";
        return *this;
    }
    SessionWriter& wait_us(int64_t us) {
        ts_us += us;
        return *this;
    }
    // The usual opening: a context and a card handle on reader R.
    SessionWriter& establish(int64_t ctx = 100) {
        return call("SCardEstablishContext", R"({"dwScope":0})", R"({"phContext":)" + std::to_string(ctx) + "}");
    }
    SessionWriter& connect(int64_t ctx = 100, int64_t card = 200, const std::string& reader = "Virtual PCD 00 00") {
        return call("SCardConnect",
                    R"({"hContext":)" + std::to_string(ctx) + R"(,"szReader":")" + reader +
                        R"(","dwShareMode":2,"dwPreferredProtocols":3})",
                    R"({"phCard":)" + std::to_string(card) + R"(,"pdwActiveProtocol":2})", 0, 20000,
                    R"(,"ctx":)" + std::to_string(ctx));
    }
    SessionWriter& transmit(const std::string& apdu, const std::string& response, int64_t card = 200,
                            const std::string& reader = "Virtual PCD 00 00") {
        return call("SCardTransmit",
                    R"({"hCard":)" + std::to_string(card) + R"(,"pbSendBuffer":")" + apdu + R"("})",
                    R"({"pbRecvBuffer":")" + response + R"("})", 0, 45000, R"(,"reader":")" + reader + "\"");
    }
    SessionWriter& card_call(const std::string& fn, int64_t card = 200, int64_t rv = 0, const std::string& more = "") {
        return call(fn, R"({"hCard":)" + std::to_string(card) + more + "}", "{}", rv, 100,
                    R"(,"reader":"Virtual PCD 00 00")");
    }
    SessionWriter& disconnect(int64_t card = 200) { return card_call("SCardDisconnect", card, 0, R"(,"dwDisposition":0)"); }
    SessionWriter& release(int64_t ctx = 100) {
        return call("SCardReleaseContext", R"({"hContext":)" + std::to_string(ctx) + "}");
    }
};

}  // namespace pcscspy::test
