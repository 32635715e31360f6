// A monitor stand-in for the interposer tests: the monitor's own EventServer
// (socket, shared rings, final drains) in a thread, listening in a fresh 0700
// folder; it accepts any number of connections (one per traced process) and
// collects their lines. It can stop reading (a stalled monitor: neither socket
// nor rings are read), be killed (everything closed) and be started again on
// the same path.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "monitor/server/event_server.hpp"

namespace pcscspy::test {

// A folder made with mkdtemp (mode 0700), removed with its content at the end.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

class TestListener {
public:
    // Called for every complete line (without '\n') instead of storing it.
    using LineCallback = std::function<void(size_t connection, const std::string& line)>;

    // ring_use: how the server takes the lines of a running process (pcscspy-top's way by default).
    explicit TestListener(std::string socket_path, LineCallback callback = {},
                          EventServer::RingUse ring_use = EventServer::RingUse::Stream);
    ~TestListener();

    void set_reading(bool reading);
    // Closes the listening socket and every connection, removes the socket file.
    void stop();

    size_t connection_count();
    // Cheap (no copy): lines received so far, and bye events among them.
    size_t line_count();
    size_t bye_count();
    // Wake-up bytes the traced processes sent (ServerCounters::wakeups).
    uint64_t wakeups();
    // Reads of a socket that brought bytes (ServerCounters::socket_reads).
    uint64_t socket_reads();
    std::vector<std::vector<std::string>> connections();
    std::vector<std::string> lines();  // all connections, in connection order
    // Polls `done` until true or timeout; returns its last value.
    bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

private:
    void run();

    std::string path_;
    LineCallback callback_;
    std::unique_ptr<EventServer> server_;
    int wake_[2] = {-1, -1};
    std::thread thread_;
    std::mutex mutex_;
    bool reading_ = true;
    size_t line_count_ = 0, bye_count_ = 0;
    uint64_t wakeups_ = 0, socket_reads_ = 0;
    bool stopping_ = false;
    struct Connection {
        std::vector<std::string> chunks;  // its lines, each with its '\n'
    };
    std::vector<Connection> connections_;
};

}  // namespace pcscspy::test
