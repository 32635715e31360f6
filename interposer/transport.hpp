// The connection to the monitor.
//
// Nothing happens before the first PC/SC call. Then, and at most once per
// kRetryPeriodNs while no monitor is connected, a calling thread tries to connect
// to the contract's checked socket path (folder owned by our euid, mode 0700,
// neither it nor the socket a symlink; listener's SO_PEERCRED our uid or root).
// On success the first line is hello, sent with a new shared ring (a sealed
// memfd, SCM_RIGHTS) into which the calls' lines are then written. The monitor
// answers for the ring: it asks for the stream (pcscspy-top), which a flusher
// thread (started on the first connection, never at load) sends to the socket
// in batches, or it claims the ring and reads it without a system call per
// event. Either way it keeps the ring and reads what is left in it after this
// process has ended. A listener that does not answer within kClaimWaitNs gets
// the stream. Producers never make a system call except to wake a sleeping
// consumer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "interposer/event_ring.hpp"

namespace pcscspy::interposer {

// Reads PCSCSPY_SOCKET / XDG_RUNTIME_DIR (once, at the first PC/SC call).
void transport_init();

extern std::atomic<bool> g_transport_connected;

// Hot path: true when events are to be produced for the call starting now. With
// no monitor this is one relaxed load and a coarse clock read, except when a
// reconnection attempt is due.
inline bool transport_active();
bool transport_try_connect();

// Appends one encoded line (whole, with '\n'). Dropped when full, and counted
// when it is a call (`seq`: its seq).
using LineKind = EventRing::Kind;
void transport_emit(const char* line, size_t n, LineKind kind, uint64_t seq);

// fork: prepare/parent/child handlers (see lifecycle.cpp).
void transport_before_fork();
void transport_after_fork_parent();
void transport_after_fork_child();

// At exit: writes bye (calls seen, calls lost); in stream mode flushes for a
// bounded time. No event is produced afterwards.
void transport_shutdown(uint64_t calls);

inline bool transport_active() {
    if (g_transport_connected.load(std::memory_order_relaxed)) [[likely]]
        return true;
    return transport_try_connect();
}

}  // namespace pcscspy::interposer
