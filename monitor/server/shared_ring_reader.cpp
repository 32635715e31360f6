#include "monitor/server/shared_ring_reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace pcscspy {

namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

bool power_of_two(uint64_t n) { return n && (n & (n - 1)) == 0; }

}  // namespace

SharedRingReader::Opened SharedRingReader::open(int fd) {
    Opened o;
    struct stat st;
    const int seals = fcntl(fd, F_GET_SEALS);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        o.error = "the ring is not a regular file";
    } else if (seals < 0 || (seals & kRequiredSeals) != kRequiredSeals) {
        // Without these seals the peer could shrink the file under our mapping.
        o.error = "the ring is not a sealed memfd";
    } else if (st.st_size < static_cast<off_t>(ring::kHeaderBytes + ring::kMinDataBytes) ||
               st.st_size > static_cast<off_t>(ring::kHeaderBytes + ring::kMaxDataBytes)) {
        o.error = "the ring has a size out of bounds";
    }
    void* p = MAP_FAILED;
    if (o.error.empty()) {
        p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) o.error = std::string("cannot map the ring: ") + std::strerror(errno);
    }
    close(fd);
    if (!o.error.empty()) return o;
    auto* h = static_cast<ring::Header*>(p);
    const uint64_t data_bytes = h->data_bytes;
    const size_t size = static_cast<size_t>(st.st_size);
    if (std::memcmp(h->magic, ring::kMagic, sizeof h->magic) != 0 || h->version != ring::kVersion ||
        h->header_bytes != ring::kHeaderBytes || !power_of_two(data_bytes) ||
        data_bytes != size - ring::kHeaderBytes) {
        munmap(p, size);
        o.error = "the ring's header is not one this monitor reads";
        return o;
    }
    o.reader.reset(new SharedRingReader(h, size, static_cast<size_t>(data_bytes)));
    return o;
}

SharedRingReader::~SharedRingReader() { munmap(header_, mapped_); }

bool SharedRingReader::claim() {
    uint32_t expected = ring::kUndecided;
    claimed_ = header_->consumer.compare_exchange_strong(expected, ring::kMonitor) || expected == ring::kMonitor;
    return claimed_;
}

bool SharedRingReader::ask_stream() {
    uint32_t expected = ring::kUndecided;
    return header_->consumer.compare_exchange_strong(expected, ring::kStream) || expected == ring::kStream;
}

SharedRingReader::Read SharedRingReader::read(std::string& out, size_t max) {
    if (corrupt_) return Read::Corrupt;
    const uint64_t head = header_->head.load(std::memory_order_acquire);
    const uint64_t available = head - position_;  // huge when head went backwards
    if (available > data_bytes_) {
        corrupt_ = true;
        return Read::Corrupt;
    }
    if (available == 0) return Read::Empty;
    const size_t n = static_cast<size_t>(available < max ? available : max);
    const size_t at = static_cast<size_t>(position_ & (data_bytes_ - 1));
    const size_t first = n < data_bytes_ - at ? n : data_bytes_ - at;
    out.append(data() + at, first);
    out.append(data(), n - first);
    position_ += n;
    if (claimed_) header_->tail.store(position_, std::memory_order_release);
    return Read::Data;
}

bool SharedRingReader::prepare_sleep() {
    header_->consumer_sleeping.store(1, std::memory_order_relaxed);
    // Pairs with the producer's fence between publishing head and reading
    // consumer_sleeping: either it sees our flag or we see its data.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (header_->head.load(std::memory_order_acquire) != position_) {
        header_->consumer_sleeping.store(0, std::memory_order_relaxed);
        return false;
    }
    return true;
}

uint64_t SharedRingReader::lost() const { return header_->lost.load(std::memory_order_acquire); }
uint64_t SharedRingReader::calls() const { return header_->calls.load(std::memory_order_acquire); }

}  // namespace pcscspy
