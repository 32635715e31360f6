// Calls per second over the last few seconds of event time (not wall time, so a
// replay shows the rates the session had).
#pragma once

#include <array>
#include <cstdint>

namespace pcscspy {

class RateWindow {
public:
    static constexpr int kSeconds = 5;

    void add(int64_t ts_us) {
        int64_t sec = ts_us / 1'000'000;
        if (sec < newest_) return;  // late event: counted in totals, not in the rate
        advance(sec);
        ++counts_[slot(sec)];
    }
    // Mean rate over the kSeconds full seconds before `now_us`.
    double per_second(int64_t now_us) const {
        int64_t now = now_us / 1'000'000;
        uint64_t sum = 0;
        for (int64_t s = now - kSeconds; s < now; ++s)
            if (s > newest_ - kSeconds && s <= newest_ && s >= 0) sum += counts_[slot(s)];
        return static_cast<double>(sum) / kSeconds;
    }

private:
    static size_t slot(int64_t sec) { return static_cast<size_t>(sec % (kSeconds + 1)); }
    void advance(int64_t sec) {
        if (newest_ < 0 || sec - newest_ > kSeconds) {
            counts_.fill(0);
        } else {
            for (int64_t s = newest_ + 1; s <= sec; ++s) counts_[slot(s)] = 0;
        }
        newest_ = sec;
    }
    std::array<uint64_t, kSeconds + 1> counts_{};
    int64_t newest_ = -1;
};

}  // namespace pcscspy
