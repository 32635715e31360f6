// The bounded buffer between the calling threads (producers, each appending whole
// lines) and the consumer: the monitor, which maps it (shared memory, see
// protocol/shared_ring.hpp), or this process's flusher thread streaming it to
// the socket (asked by the monitor, or for a listener that does not answer).
//
// Each connection gets a fresh ring: a sealed memfd mapped here and passed to
// the monitor with the hello. What is written stays readable by the monitor
// after this process ends, however it ends (exit, _exit, exec, a signal).
//
// A short process-private mutex serialises producers; it is never held across
// a system call. The consumer only exchanges positions through the shared
// header. When a line does not fit it is dropped; a dropped call is counted
// (in the shared header, where it cannot be lost, and by a `lost` line ahead of
// the next line that fits). The ring tells producers when the consumer needs a
// wake-up, so a producer makes a system call only then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <pthread.h>

#include "protocol/shared_ring.hpp"

namespace pcscspy::interposer {

// Writes the `lost` line for `count` dropped events into out; returns its length.
using LostLineFn = size_t (*)(char* out, size_t cap, uint64_t count);

class EventRing {
public:
    // A new ring for a new connection (the previous one, if any, is unmapped:
    // call with no consumer using it). Returns the memfd to send (the caller
    // closes it), or -1. Lines are taken from now on.
    int open_shared(int64_t pid);

    // What a line is, for the loss count: only calls count (a begin is
    // optional, its call follows or is counted).
    enum class Kind : uint8_t { Begin, Call, Other };
    enum class Append : uint8_t {
        Stored,
        WakeFlusher,  // wake the flusher (stream mode): futex on wake_word()
        WakeMonitor,  // wake the monitor: one byte on the socket
        Dropped,
    };
    // Appends one whole line (with its '\n'). `seq`: a call's seq (Kind::Call).
    Append append(const char* line, size_t n, Kind kind, uint64_t seq, LostLineFn lost_line);

    ring::Consumer consumer();
    // Undecided -> stream (the listener did not answer for the ring). True if
    // the ring is (now) streamed by this process (the monitor asked for it, or
    // nobody answered).
    bool claim_stream();

    // Stream mode, the flusher: the contiguous bytes ready from the read position.
    size_t peek(const char** data);
    void consume(size_t n);
    // The flusher announces it goes to sleep; returns false if data is waiting.
    // `*wake_seq` receives the value to wait on.
    bool prepare_sleep(uint32_t* wake_seq);
    uint32_t* wake_word() { return &wake_seq_; }
    // Makes the flusher's next or current wait return (then FUTEX_WAKE it).
    void kick();

    // The connection is gone: what the consumer did not take is counted as
    // lost (its calls), and so is every call appended until open_shared.
    uint64_t discard();

    uint64_t total_lost();  // calls dropped since the process started (or forked)

    // fork support: the child forgets the parent's ring (not even mapped in
    // the child: MADV_DONTFORK).
    void lock() { pthread_mutex_lock(&mutex_); }
    void unlock() { pthread_mutex_unlock(&mutex_); }
    void reset_after_fork();

private:
    uint64_t tail() const;
    size_t used() const { return static_cast<size_t>(head_ - tail()); }
    void put(const char* p, size_t n);
    void count_dropped(Kind kind, uint64_t seq);

    pthread_mutex_t mutex_ = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    ring::Header* header_ = nullptr;  // the shared mapping (header, then data)
    char* data_ = nullptr;
    uint64_t head_ = 0;  // write position (private copy; published in header_->head)
    uint64_t calls_ = 0;  // published in header_->calls
    uint64_t pending_lost_ = 0;
    uint64_t total_lost_ = 0;
    bool flusher_sleeping_ = false;
    bool open_ = false;  // a connection takes the lines
    uint32_t wake_seq_ = 0;  // futex word: bumped when a sleeping flusher must wake
};

}  // namespace pcscspy::interposer
