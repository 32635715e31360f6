// EventServer: the daemon-less listener. One epoll loop accepts the traced
// processes (hundreds at once), checks each peer's uid (SO_PEERCRED: our own or
// root, others refused and counted), reassembles each connection's lines and
// hands them to the session. Bad input never stops it: each connection's
// problems are counted on it and in total.
//
// A connection's first line, hello, comes with the process's shared ring
// (SharedRingReader), which the server keeps mapped: after the connection
// closes it reads from it what the process wrote and nobody read, so that what
// a process wrote before it ended, however it ended, is read. While the process
// runs, the server either asks it to stream its lines on the socket (RingUse::
// Stream, pcscspy-top's default: on a 2-core machine it costs pcscd's round trip
// less, bench/interposer) or claims the ring and reads the lines
// from it (RingUse::Read: in batches, a timer while lines flow, a wake-up byte
// on the socket once it sleeps). A process whose ring nobody answered for in
// time streams too. A process that ended without a bye gets one written on its
// behalf from the ring's counters ("by":"monitor").
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <deque>
#include <vector>

#include "monitor/server/line_assembler.hpp"
#include "monitor/server/listening_socket.hpp"
#include "monitor/server/shared_ring_reader.hpp"

namespace pcscspy {

struct ConnectionStats {
    uint64_t id = 0;  // 1, 2, ... in accept order
    pid_t pid = 0;    // SO_PEERCRED
    uid_t uid = 0;
    int64_t event_pid = 0;  // the pid its events carry (noted by the line handler)
    size_t owner = SIZE_MAX;  // the traced process it speaks for (noted by the line handler)
    int64_t connected_us = 0;
    int64_t closed_us = 0;  // 0 while open
    uint64_t bytes = 0;
    uint64_t lines = 0;
    uint64_t bad_lines = 0;       // lines the session rejected (malformed, wrong types, ...)
    uint64_t overlong_lines = 0;  // lines over the maximum, skipped
    size_t pending_at_close = 0;  // bytes of an unfinished line when it closed
    bool bye_seen = false;    // noted by the line handler
    bool ring = false;        // its shared ring was accepted (read by us, or drained at the end)
    bool ring_claimed = false;  // ... and read by us while it ran
    std::string ring_error;   // why a descriptor it sent was refused
    bool open() const { return closed_us == 0; }
};

struct ServerCounters {
    uint64_t accepted = 0;
    uint64_t refused = 0;  // peers of another uid
    uint64_t closed = 0;
    uint64_t lines = 0;
    uint64_t bad_lines = 0;
    uint64_t overlong_lines = 0;
    uint64_t truncated_lines = 0;  // connections that closed in the middle of a line
    uint64_t rings = 0;            // shared rings accepted
    uint64_t refused_rings = 0;    // descriptors refused (not a sealed memfd of our format, a second one, ...)
    uint64_t corrupt_rings = 0;    // rings whose positions stopped making sense
    uint64_t wakeups = 0;          // wake-up bytes from processes whose ring we read (one per sleep of a ring)
    uint64_t socket_reads = 0;     // reads of a connection's socket that brought bytes
    uint64_t byes_written = 0;     // byes written for processes that ended without one
    uint64_t refused_full = 0;     // connections refused: kMaxConnections open, or no descriptor left
    uint64_t closed_for_memory = 0;  // connections closed: their half line passed kMaxPartialBytes in all
    uint64_t forgotten = 0;        // closed connections whose figures were dropped (kKeptClosedConnections)
};

// Bounds whatever peers do: connections open at once (each holds a descriptor
// and, with its ring, a mapping), and bytes of incomplete lines held for all of
// them together (each may hold up to a line's maximum, 1 MiB).
inline constexpr size_t kMaxConnections = 1024;
inline constexpr size_t kMaxPartialBytes = 64u << 20;
// Closed connections whose figures are kept (the latest): one program a second
// for a week would otherwise keep 600,000 of them.
inline constexpr size_t kKeptClosedConnections = 256;

class EventServer {
public:
    // Returns false when the line was not an event (counted on the connection).
    using LineHandler = std::function<bool(ConnectionStats& from, std::string_view line)>;
    using ConnectionHandler = std::function<void(const ConnectionStats&)>;

    struct Handlers {
        LineHandler line;
        ConnectionHandler closed;     // optional
        ConnectionHandler overlong;   // optional: a line was over the maximum
        ConnectionHandler truncated;  // optional: closed with half a line
    };

    // How the server takes a process's lines while it runs (see above).
    enum class RingUse : uint8_t { Stream, Read };

    EventServer(ListeningSocket socket, Handlers handlers, size_t max_line = kMaxLineLength,
                RingUse ring_use = RingUse::Stream);
    ~EventServer();
    EventServer(const EventServer&) = delete;
    EventServer& operator=(const EventServer&) = delete;

    // The epoll descriptor: readable when run_once has work (for a caller's poll).
    int fd() const { return epoll_fd_; }
    // Waits up to timeout_ms (-1: forever, 0: not at all) and processes what is
    // ready. Returns the number of lines handed to the session.
    size_t run_once(int timeout_ms);
    // Reads everything the open connections have sent so far, sockets and
    // rings (at most one ring's worth each), without waiting. Returns the lines.
    size_t drain_all();

    const std::string& path() const { return socket_.path(); }
    const ServerCounters& counters() const { return counters_; }
    // The open connections and the latest kKeptClosedConnections closed ones,
    // in accept order (ids count every connection accepted).
    std::vector<ConnectionStats> connections() const;
    size_t open_connections() const { return conns_.size(); }

private:
    struct Connection;
    void accept_all();
    bool read_from(Connection& c);  // false: closed
    void take_descriptors(Connection& c, msghdr& msg);
    void feed(Connection& c, std::string_view data);
    bool over_partial_budget(const Connection& c);
    // Reads up to `budget` bytes of the ring; false when it had nothing.
    bool read_ring(Connection& c, size_t budget);
    // period_ended: the ring period's timer fired (only then may an empty ring sleep).
    void drain_rings(bool period_ended);
    void arm_timer(bool on);
    void write_missing_bye(Connection& c);
    void close_connection(int fd);

    ListeningSocket socket_;
    Handlers handlers_;
    size_t max_line_;
    RingUse ring_use_;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;  // ring polling period while rings are awake
    // Kept open to be given up when accept finds no descriptor left: the peer
    // is accepted and closed at once instead of waking epoll again and again.
    int spare_fd_ = -1;
    size_t partial_bytes_ = 0;  // LineAssembler::buffered() of all connections
    bool timer_armed_ = false;
    ServerCounters counters_;
    std::deque<ConnectionStats> closed_;  // the latest closed ones
    std::unordered_map<int, std::unique_ptr<Connection>> conns_;
    std::vector<char> buffer_;
    std::string ring_bytes_;  // lines copied out of a ring
};

}  // namespace pcscspy
