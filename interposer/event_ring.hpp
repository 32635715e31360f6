// The bounded buffer between the calling threads (producers, each appending whole
// lines) and the flusher thread (the only consumer, sending to the socket).
//
// A short mutex protects the positions; it is never held across a system call.
// When a line does not fit it is dropped and counted; the next line that fits is
// preceded by a `lost` line carrying the count. The ring also tells producers when
// the flusher needs a wake-up (it sleeps when idle; see transport.cpp), so a
// producer makes a system call only then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <pthread.h>

namespace pcscspy::interposer {

// Writes the `lost` line for `count` dropped events into out; returns its length.
using LostLineFn = size_t (*)(char* out, size_t cap, uint64_t count);

class EventRing {
public:
    // Maps the buffer (first connection only). False if it cannot.
    bool allocate();
    bool allocated() const { return data_ != nullptr; }

    enum class Append : uint8_t { Stored, StoredWake, Dropped };
    // Appends one whole line (with its '\n').
    Append append(const char* line, size_t n, LostLineFn lost_line);

    // Consumer side: the contiguous bytes ready from the read position.
    size_t peek(const char** data);
    void consume(size_t n);
    // The flusher announces it goes to sleep; returns false if data is waiting.
    // `*wake_seq` receives the value to wait on.
    bool prepare_sleep(uint32_t* wake_seq);
    uint32_t* wake_word() { return &wake_seq_; }
    // Makes the flusher's next or current wait return (then FUTEX_WAKE it).
    void kick();

    // Connection lifecycle (each under the lock). discard: the connection is
    // gone; everything pending is dropped and its lines counted as lost, and so
    // is every line appended until restart, which starts a new connection's
    // stream with `first` (its hello).
    uint64_t discard();
    void restart(const char* first, size_t n);

    bool empty();
    uint64_t total_lost();  // dropped since the process started (or forked)

    // fork support
    void lock() { pthread_mutex_lock(&mutex_); }
    void unlock() { pthread_mutex_unlock(&mutex_); }
    void reset_after_fork();

private:
    size_t used() const { return static_cast<size_t>(head_ - tail_); }
    void put(const char* p, size_t n);

    pthread_mutex_t mutex_ = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    char* data_ = nullptr;
    uint64_t head_ = 0;  // write position (monotonic; index = position & mask)
    uint64_t tail_ = 0;  // read position
    uint64_t pending_lost_ = 0;
    uint64_t total_lost_ = 0;
    bool flusher_sleeping_ = false;
    bool open_ = false;  // a connection takes the lines
    uint32_t wake_seq_ = 0;  // futex word: bumped when a sleeping flusher must wake
};

}  // namespace pcscspy::interposer
