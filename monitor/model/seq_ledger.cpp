#include "monitor/model/seq_ledger.hpp"

#include <algorithm>
#include <iterator>

namespace pcscspy {

void SeqLedger::widen(uint64_t seq) {
    if (!any_) {
        lowest_ = highest_ = seq;
        any_ = true;
        return;
    }
    lowest_ = std::min(lowest_, seq);
    highest_ = std::max(highest_, seq);
}

void SeqLedger::add_begin(uint64_t seq) { widen(seq); }

void SeqLedger::add_unfinished(uint64_t seq) {
    widen(seq);
    auto after = runs_.upper_bound(seq);
    if (after != runs_.begin() && std::prev(after)->second >= seq) return;  // it came as a call after all
    unfinished_.insert(seq);
}

SeqLedger::Arrival SeqLedger::add_call(uint64_t seq) {
    widen(seq);
    auto after = runs_.upper_bound(seq);  // the first run starting past seq
    auto before = after == runs_.begin() ? runs_.end() : std::prev(after);
    if (before != runs_.end() && before->second >= seq) return Arrival::Repeated;
    unfinished_.erase(seq);
    ++calls_;
    const bool joins_before = before != runs_.end() && before->second + 1 == seq;
    const bool joins_after = after != runs_.end() && after->first - 1 == seq;
    if (joins_before && joins_after) {
        before->second = after->second;
        runs_.erase(after);
    } else if (joins_before) {
        before->second = seq;
    } else if (joins_after) {
        const uint64_t last = after->second;
        runs_.erase(after);
        runs_.emplace(seq, last);
    } else {
        runs_.emplace(seq, seq);
        if (runs_.size() > kMaxRuns) {
            auto first = runs_.begin();
            auto second = std::next(first);
            first->second = second->second;
            runs_.erase(second);
        }
    }
    return Arrival::New;
}

uint64_t SeqLedger::missing(uint64_t numbered) const {
    if (!any_) return 0;
    const uint64_t top = std::max(highest_, numbered);
    const uint64_t span = top - lowest_ == UINT64_MAX ? UINT64_MAX : top - lowest_ + 1;
    const uint64_t accounted = calls_ + unfinished_.size();
    return span > accounted ? span - accounted : 0;
}

}  // namespace pcscspy
