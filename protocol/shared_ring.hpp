// The shared event ring: the layout of the memory a traced process and the
// monitor share (a sealed memfd the interposer passes with its hello over the
// socket, SCM_RIGHTS). The same schema v1 lines as on the socket are written
// into a byte ring; positions are monotonic byte counts, the index of a
// position is position % data_bytes. See pcscspy-events(5), "TRANSPORT".
//
// Who writes what: the traced process (producer) writes the lines, `head`,
// `lost` and `calls`; whoever consumes (the monitor once it has claimed the
// ring, or the process's own flusher thread streaming to the socket) writes
// `tail`. The monitor never trusts a value read from here: the peer may change
// any of it at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pcscspy::ring {

inline constexpr char kMagic[8] = {'p', 'c', 's', 'c', 'r', 'i', 'n', 'g'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 4096;  // one page: the data starts page-aligned
// Sizes a monitor accepts (a power of two in this range).
inline constexpr size_t kMinDataBytes = size_t{64} << 10;
inline constexpr size_t kMaxDataBytes = size_t{64} << 20;

// Who consumes the ring, decided once per connection by a compare-and-swap.
enum Consumer : uint32_t {
    kUndecided = 0,
    kMonitor = 1,  // the monitor reads the ring itself (and drains it after the process ends)
    kStream = 2,   // the process streams the ring to the socket (asked by the monitor, which still drains
                   // the ring after the process ends; or a listener that did not answer)
};

struct alignas(64) Header {
    char magic[8];
    uint32_t version;
    uint32_t header_bytes;
    uint64_t data_bytes;
    int64_t pid;
    std::atomic<uint32_t> consumer;  // Consumer
    // Set by a consumer that found the ring empty and waits to be woken; a
    // producer that clears it sends one byte on the socket.
    std::atomic<uint32_t> consumer_sleeping;
    alignas(64) std::atomic<uint64_t> head;  // bytes written (whole lines only)
    std::atomic<uint64_t> lost;              // call events dropped in total (never decreases)
    std::atomic<uint64_t> calls;             // the highest seq whose call event was written or dropped
    alignas(64) std::atomic<uint64_t> tail;  // bytes consumed
};
static_assert(sizeof(Header) <= kHeaderBytes);
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free,
              "the header is shared between processes: its atomics must be lock-free");

// The byte the monitor sends back when it has decided the consumer; the producer's
// wake-up byte is the same.
inline constexpr char kSignalByte = '\n';

}  // namespace pcscspy::ring
