#include "interposer/event_ring.hpp"

#include <cstring>
#include <sys/mman.h>

#include "interposer/limits.hpp"

namespace pcscspy::interposer {

static_assert((kRingBytes & (kRingBytes - 1)) == 0, "the ring size must be a power of two");
constexpr uint64_t kMask = kRingBytes - 1;

bool EventRing::allocate() {
    if (data_) return true;
    void* p = mmap(nullptr, kRingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<char*>(p);
    return true;
}

void EventRing::put(const char* p, size_t n) {
    size_t at = static_cast<size_t>(head_ & kMask);
    size_t first = n < kRingBytes - at ? n : kRingBytes - at;
    memcpy(data_ + at, p, first);
    memcpy(data_, p + first, n - first);
    head_ += n;
}

EventRing::Append EventRing::append(const char* line, size_t n, LostLineFn lost_line) {
    char lost[kSmallEventBytes];
    pthread_mutex_lock(&mutex_);
    size_t lost_n = pending_lost_ && open_ ? lost_line(lost, sizeof lost, pending_lost_) : 0;
    const size_t before = used();
    if (!open_ || before + lost_n + n > kRingBytes) {
        ++pending_lost_;
        ++total_lost_;
        pthread_mutex_unlock(&mutex_);
        return Append::Dropped;
    }
    if (lost_n) {
        put(lost, lost_n);
        pending_lost_ = 0;
    }
    put(line, n);
    bool wake = false;
    if (flusher_sleeping_) {
        flusher_sleeping_ = false;
        ++wake_seq_;
        wake = true;
    } else if (before < kRingWakeThreshold && used() >= kRingWakeThreshold) {
        ++wake_seq_;
        wake = true;
    }
    pthread_mutex_unlock(&mutex_);
    return wake ? Append::StoredWake : Append::Stored;
}

size_t EventRing::peek(const char** data) {
    pthread_mutex_lock(&mutex_);
    size_t at = static_cast<size_t>(tail_ & kMask);
    size_t n = used();
    if (n > kRingBytes - at) n = kRingBytes - at;
    *data = data_ + at;
    pthread_mutex_unlock(&mutex_);
    return n;
}

void EventRing::consume(size_t n) {
    pthread_mutex_lock(&mutex_);
    tail_ += n;
    pthread_mutex_unlock(&mutex_);
}

bool EventRing::prepare_sleep(uint32_t* wake_seq) {
    pthread_mutex_lock(&mutex_);
    bool idle = used() == 0;
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
    uint64_t lines = 0;
    for (uint64_t pos = tail_; pos < head_;) {
        size_t at = static_cast<size_t>(pos & kMask);
        size_t n = static_cast<size_t>(head_ - pos);
        if (n > kRingBytes - at) n = kRingBytes - at;
        const char* start = data_ + at;
        for (const char* p = start; (p = static_cast<const char*>(memchr(p, '\n', n - (p - start))));) {
            ++lines;
            ++p;
            if (p >= start + n) break;
        }
        pos += n;
    }
    tail_ = head_;
    pending_lost_ += lines;
    total_lost_ += lines;
    open_ = false;
    pthread_mutex_unlock(&mutex_);
    return lines;
}

void EventRing::restart(const char* first, size_t n) {
    pthread_mutex_lock(&mutex_);
    tail_ = head_;
    if (data_ && n <= kRingBytes) {
        put(first, n);
        open_ = true;
    }
    pthread_mutex_unlock(&mutex_);
}

bool EventRing::empty() {
    pthread_mutex_lock(&mutex_);
    bool e = used() == 0;
    pthread_mutex_unlock(&mutex_);
    return e;
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
    head_ = tail_ = 0;
    open_ = false;
    pending_lost_ = total_lost_ = 0;
    flusher_sleeping_ = false;
    wake_seq_ = 0;
}

}  // namespace pcscspy::interposer
