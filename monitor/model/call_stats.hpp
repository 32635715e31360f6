// Counters of a set of calls (a function, a reader, a process): exact for the
// whole session, whatever the history size.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "monitor/model/duration_histogram.hpp"

namespace pcscspy {

struct CallStats {
    uint64_t calls = 0;
    uint64_t errors = 0;
    int64_t total_ns = 0;
    int64_t min_ns = 0;
    int64_t max_ns = 0;

    void add(int64_t dur_ns, bool error) {
        if (calls == 0 || dur_ns < min_ns) min_ns = dur_ns;
        if (calls == 0 || dur_ns > max_ns) max_ns = dur_ns;
        ++calls;
        if (error) ++errors;
        // Saturates rather than overflows (durations come from peers).
        if (__builtin_add_overflow(total_ns, dur_ns, &total_ns)) total_ns = INT64_MAX;
    }
    int64_t mean_ns() const { return calls ? total_ns / static_cast<int64_t>(calls) : 0; }
    bool operator==(const CallStats&) const = default;
};

// One row of the per-function table (pcsc-spy's "Results sorted by total
// execution time", with errors and percentiles added).
struct FunctionStats {
    std::string name;
    CallStats stats;
    DurationHistogram durations;
    // Within the exact bounds: a bucket's midpoint may lie past the largest sample.
    int64_t p95_ns() const { return std::clamp(durations.percentile(0.95), stats.min_ns, stats.max_ns); }
    bool operator==(const FunctionStats&) const = default;
};

// Per-function statistics; the 18 traced functions have fixed slots, names the
// stream sends that are not among them get their own rows, up to
// kMaxUnknownFunctions of them; calls to further names share one last row,
// kOtherFunctions (a peer sending endless new names costs neither memory nor
// time: names are found by hash).
inline constexpr size_t kMaxUnknownFunctions = 256;
inline constexpr std::string_view kOtherFunctions = "(other unknown functions)";
class FunctionStatsTable {
public:
    FunctionStatsTable();
    FunctionStats& row(std::string_view fn);
    FunctionStats& row(size_t index) { return rows_[index]; }
    size_t index_of(std::string_view fn);
    const std::vector<FunctionStats>& rows() const { return rows_; }
    // Rows with calls, by total time (largest first), ties by name.
    std::vector<const FunctionStats*> sorted_by_total() const;
    CallStats totals() const;
    void clear();
    bool operator==(const FunctionStatsTable& o) const { return rows_ == o.rows_; }

private:
    std::vector<FunctionStats> rows_;
    std::unordered_map<std::string, size_t> unknown_;  // name -> row
};

}  // namespace pcscspy
