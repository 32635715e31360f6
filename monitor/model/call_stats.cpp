#include "monitor/model/call_stats.hpp"

#include "protocol/pcsc_functions.hpp"

namespace pcscspy {

FunctionStatsTable::FunctionStatsTable() { clear(); }

void FunctionStatsTable::clear() {
    rows_.clear();
    unknown_.clear();
    for (const FunctionInfo& f : kFunctions) rows_.push_back(FunctionStats{std::string(f.name), {}, {}});
}

size_t FunctionStatsTable::index_of(std::string_view fn) {
    if (auto id = function_by_name(fn)) return static_cast<size_t>(*id);
    if (unknown_.empty())  // rows restored from a document
        for (size_t i = kFunctionCount; i < rows_.size(); ++i) unknown_.emplace(rows_[i].name, i);
    if (auto it = unknown_.find(std::string(fn)); it != unknown_.end()) return it->second;
    if (rows_.size() >= kFunctionCount + kMaxUnknownFunctions) fn = kOtherFunctions;
    if (auto it = unknown_.find(std::string(fn)); it != unknown_.end()) return it->second;
    rows_.push_back(FunctionStats{std::string(fn), {}, {}});
    unknown_.emplace(std::string(fn), rows_.size() - 1);
    return rows_.size() - 1;
}

FunctionStats& FunctionStatsTable::row(std::string_view fn) { return rows_[index_of(fn)]; }

std::vector<const FunctionStats*> FunctionStatsTable::sorted_by_total() const {
    std::vector<const FunctionStats*> out;
    for (const FunctionStats& r : rows_)
        if (r.stats.calls) out.push_back(&r);
    std::sort(out.begin(), out.end(), [](const FunctionStats* a, const FunctionStats* b) {
        if (a->stats.total_ns != b->stats.total_ns) return a->stats.total_ns > b->stats.total_ns;
        return a->name < b->name;
    });
    return out;
}

CallStats FunctionStatsTable::totals() const {
    CallStats t;
    bool first = true;
    for (const FunctionStats& r : rows_) {
        if (!r.stats.calls) continue;
        t.calls += r.stats.calls;
        t.errors += r.stats.errors;
        if (__builtin_add_overflow(t.total_ns, r.stats.total_ns, &t.total_ns)) t.total_ns = INT64_MAX;
        t.min_ns = first ? r.stats.min_ns : std::min(t.min_ns, r.stats.min_ns);
        t.max_ns = first ? r.stats.max_ns : std::max(t.max_ns, r.stats.max_ns);
        first = false;
    }
    return t;
}

}  // namespace pcscspy
