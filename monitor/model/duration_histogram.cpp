#include "monitor/model/duration_histogram.hpp"

#include <bit>
#include <cmath>

namespace pcscspy {

namespace {
constexpr int kSubBits = 7;  // 128 buckets per power of two
constexpr uint64_t kSub = uint64_t{1} << kSubBits;
constexpr uint32_t kMaxBucket = static_cast<uint32_t>(kSub + (64 - kSubBits) * kSub);
}  // namespace

uint32_t DurationHistogram::bucket_of(int64_t ns) {
    uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
    if (v < kSub) return static_cast<uint32_t>(v);
    int shift = std::bit_width(v) - 1 - kSubBits;  // keeps the top 8 bits: 128..255
    return static_cast<uint32_t>(kSub + static_cast<uint64_t>(shift) * kSub + ((v >> shift) - kSub));
}

int64_t DurationHistogram::bucket_low(uint32_t b) {
    if (b < kSub) return b;
    uint64_t shift = (b - kSub) / kSub;
    uint64_t mantissa = kSub + (b - kSub) % kSub;
    return static_cast<int64_t>(mantissa << shift);
}

int64_t DurationHistogram::bucket_high(uint32_t b) {
    if (b < kSub) return b;
    uint64_t shift = (b - kSub) / kSub;
    return bucket_low(b) + static_cast<int64_t>((uint64_t{1} << shift) - 1);
}

void DurationHistogram::add(int64_t ns) { add_bucket(bucket_of(ns), 1); }

void DurationHistogram::add_bucket(uint32_t bucket, uint64_t n) {
    if (bucket >= kMaxBucket || n == 0) return;
    if (bucket >= counts_.size()) counts_.resize(bucket + 1, 0);
    counts_[bucket] += n;
    count_ += n;
}

int64_t DurationHistogram::percentile(double fraction) const {
    if (count_ == 0) return 0;
    // Nearest-rank: the smallest value with at least ceil(f * n) samples at or below it.
    uint64_t rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < counts_.size(); ++b) {
        seen += counts_[b];
        if (seen >= rank) return (bucket_low(b) + bucket_high(b)) / 2;
    }
    return bucket_high(static_cast<uint32_t>(counts_.size() - 1));
}

std::vector<std::pair<uint32_t, uint64_t>> DurationHistogram::buckets() const {
    std::vector<std::pair<uint32_t, uint64_t>> out;
    for (uint32_t b = 0; b < counts_.size(); ++b)
        if (counts_[b]) out.emplace_back(b, counts_[b]);
    return out;
}

}  // namespace pcscspy
