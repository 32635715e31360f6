#include "interposer/event_ring.hpp"

#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interposer/limits.hpp"

namespace pcscspy::interposer {

static_assert((kRingBytes & (kRingBytes - 1)) == 0, "the ring size must be a power of two");
static_assert(kRingBytes >= ring::kMinDataBytes && kRingBytes <= ring::kMaxDataBytes);
constexpr uint64_t kMask = kRingBytes - 1;
constexpr size_t kMappedBytes = ring::kHeaderBytes + kRingBytes;

namespace {

// A call line starts with this (event_lines.cpp writes v, then type).
constexpr char kCallPrefix[] = "{\"v\":1,\"type\":\"call\"";

}  // namespace

int EventRing::open_shared(int64_t pid) {
    // A memfd rather than a file: nothing on disk, gone with its last user.
    // Sealed against shrinking and growing, so that the monitor's mapping can
    // never fault (it checks the seals).
    int fd = memfd_create("pcscspy-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    void* p = MAP_FAILED;
    if (ftruncate(fd, kMappedBytes) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
        p = mmap(nullptr, kMappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return -1;
    }
    // A forked child must never write into its parent's ring.
    madvise(p, kMappedBytes, MADV_DONTFORK);
    auto* h = static_cast<ring::Header*>(p);
    memcpy(h->magic, ring::kMagic, sizeof h->magic);
    h->version = ring::kVersion;
    h->header_bytes = ring::kHeaderBytes;
    h->data_bytes = kRingBytes;
    h->pid = pid;  // the rest of the fresh file is zero: positions 0, undecided

    pthread_mutex_lock(&mutex_);
    if (header_) munmap(header_, kMappedBytes);
    header_ = h;
    data_ = static_cast<char*>(p) + ring::kHeaderBytes;
    head_ = 0;
    calls_ = 0;
    h->lost.store(total_lost_, std::memory_order_relaxed);
    flusher_sleeping_ = false;
    open_ = true;
    pthread_mutex_unlock(&mutex_);
    return fd;
}

uint64_t EventRing::tail() const { return header_->tail.load(std::memory_order_acquire); }

void EventRing::put(const char* p, size_t n) {
    size_t at = static_cast<size_t>(head_ & kMask);
    size_t first = n < kRingBytes - at ? n : kRingBytes - at;
    memcpy(data_ + at, p, first);
    memcpy(data_, p + first, n - first);
    head_ += n;
}

void EventRing::count_dropped(Kind kind, uint64_t seq) {
    if (kind != Kind::Call) return;
    ++pending_lost_;
    ++total_lost_;
    if (header_) {
        header_->lost.store(total_lost_, std::memory_order_release);
        if (seq > calls_) header_->calls.store(calls_ = seq, std::memory_order_relaxed);
    }
}

EventRing::Append EventRing::append(const char* line, size_t n, Kind kind, uint64_t seq, LostLineFn lost_line) {
    char lost[kSmallEventBytes];
    pthread_mutex_lock(&mutex_);
    size_t lost_n = pending_lost_ && open_ ? lost_line(lost, sizeof lost, pending_lost_) : 0;
    const size_t before = open_ ? used() : 0;
    // The monitor may write any value in the shared tail: a position that
    // makes no sense stops the ring rather than letting us write out of place.
    if (!open_ || before > kRingBytes || before + lost_n + n > kRingBytes) {
        count_dropped(kind, seq);
        pthread_mutex_unlock(&mutex_);
        return Append::Dropped;
    }
    if (lost_n) {
        put(lost, lost_n);
        pending_lost_ = 0;
    }
    put(line, n);
    if (kind == Kind::Call && seq > calls_) header_->calls.store(calls_ = seq, std::memory_order_relaxed);
    header_->head.store(head_, std::memory_order_release);
    const bool crossed = before < kRingWakeThreshold && used() >= kRingWakeThreshold;
    Append result = Append::Stored;
    switch (header_->consumer.load(std::memory_order_relaxed)) {
        case ring::kMonitor:
            // Pairs with the monitor's fence between setting consumer_sleeping
            // and reading head: one of the two sees the other's store.
            std::atomic_thread_fence(std::memory_order_seq_cst);
            if ((header_->consumer_sleeping.load(std::memory_order_relaxed) &&
                 header_->consumer_sleeping.exchange(0, std::memory_order_acq_rel)) ||
                crossed)
                result = Append::WakeMonitor;
            break;
        case ring::kStream:
            if (flusher_sleeping_ || crossed) {
                flusher_sleeping_ = false;
                ++wake_seq_;
                result = Append::WakeFlusher;
            }
            break;
        default: break;  // undecided: nobody to wake yet
    }
    pthread_mutex_unlock(&mutex_);
    return result;
}

ring::Consumer EventRing::consumer() {
    pthread_mutex_lock(&mutex_);
    uint32_t c = header_ ? header_->consumer.load(std::memory_order_acquire) : ring::kUndecided;
    pthread_mutex_unlock(&mutex_);
    return static_cast<ring::Consumer>(c);
}

bool EventRing::claim_stream() {
    pthread_mutex_lock(&mutex_);
    uint32_t expected = ring::kUndecided;
    bool streamed = header_ && (header_->consumer.compare_exchange_strong(expected, ring::kStream) ||
                                expected == ring::kStream);
    pthread_mutex_unlock(&mutex_);
    return streamed;
}

size_t EventRing::peek(const char** data) {
    pthread_mutex_lock(&mutex_);
    size_t n = 0;
    if (header_) {
        const uint64_t t = tail();
        size_t at = static_cast<size_t>(t & kMask);
        n = head_ - t <= kRingBytes ? static_cast<size_t>(head_ - t) : 0;
        if (n > kRingBytes - at) n = kRingBytes - at;
        *data = data_ + at;
    }
    pthread_mutex_unlock(&mutex_);
    return n;
}

void EventRing::consume(size_t n) {
    pthread_mutex_lock(&mutex_);
    if (header_) header_->tail.store(tail() + n, std::memory_order_release);
    pthread_mutex_unlock(&mutex_);
}

bool EventRing::prepare_sleep(uint32_t* wake_seq) {
    pthread_mutex_lock(&mutex_);
    bool idle = !header_ || used() == 0;
    if (idle) flusher_sleeping_ = true;
    *wake_seq = wake_seq_;
    pthread_mutex_unlock(&mutex_);
    return idle;
}

void EventRing::kick() {
    pthread_mutex_lock(&mutex_);
    flusher_sleeping_ = false;
    ++wake_seq_;
    pthread_mutex_unlock(&mutex_);
}

uint64_t EventRing::discard() {
    pthread_mutex_lock(&mutex_);
    uint64_t calls = 0;
    if (header_ && open_) {
        const uint64_t t = tail();
        // Count the call lines left (a line may wrap around the end).
        bool line_start = true;
        size_t matched = 0;
        for (uint64_t pos = head_ - t <= kRingBytes ? t : head_; pos < head_; ++pos) {
            const char c = data_[pos & kMask];
            if (line_start || matched) {
                if (c == kCallPrefix[matched]) {
                    if (++matched == sizeof kCallPrefix - 1) {
                        ++calls;
                        matched = 0;
                    }
                } else {
                    matched = 0;
                }
            }
            line_start = c == '\n';
        }
        header_->tail.store(head_, std::memory_order_release);
    }
    pending_lost_ += calls;
    total_lost_ += calls;
    if (header_) header_->lost.store(total_lost_, std::memory_order_release);
    open_ = false;
    pthread_mutex_unlock(&mutex_);
    return calls;
}

uint64_t EventRing::total_lost() {
    pthread_mutex_lock(&mutex_);
    uint64_t n = total_lost_;
    pthread_mutex_unlock(&mutex_);
    return n;
}

void EventRing::reset_after_fork() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
    // The parent's mapping is not in the child (MADV_DONTFORK): forget it.
    header_ = nullptr;
    data_ = nullptr;
    head_ = calls_ = 0;
    open_ = false;
    pending_lost_ = total_lost_ = 0;
    flusher_sleeping_ = false;
    wake_seq_ = 0;
}

}  // namespace pcscspy::interposer
