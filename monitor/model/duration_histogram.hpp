// Durations of a function's calls for the whole session, in bounded memory, for
// percentiles. Log-linear buckets (as HdrHistogram): values below 128 ns are
// exact, above that each power of two is split into 128 buckets, so a percentile
// is within 1/128 (< 0.8 %) of the true value. Counts, totals, minimum and
// maximum are kept exactly elsewhere (CallStats).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace pcscspy {

class DurationHistogram {
public:
    void add(int64_t ns);
    void add_bucket(uint32_t bucket, uint64_t count);  // restoring a dump
    // The value below which `fraction` (0..1) of the samples lie (bucket midpoint).
    int64_t percentile(double fraction) const;
    uint64_t count() const { return count_; }
    // Non-empty buckets as (bucket index, count), for the session document.
    std::vector<std::pair<uint32_t, uint64_t>> buckets() const;

    static uint32_t bucket_of(int64_t ns);
    static int64_t bucket_low(uint32_t bucket);
    static int64_t bucket_high(uint32_t bucket);  // inclusive

    bool operator==(const DurationHistogram&) const = default;

private:
    std::vector<uint64_t> counts_;  // grows to the highest bucket used
    uint64_t count_ = 0;
};

}  // namespace pcscspy
