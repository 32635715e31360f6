#include "monitor/views/dashboard/filtered_stats.hpp"

namespace pcscspy::dashboard {

void update_filtered_stats(const SessionModel& model, const CallFilter& filter, FilteredStats& stats) {
    if (!filter.active()) {
        if (stats.next_ordinal != 0) stats = FilteredStats{};
        return;
    }
    const uint64_t first = model.first_kept_ordinal();
    if (stats.next_ordinal == 0 || !(stats.filter == filter)) {
        stats = FilteredStats{};
        stats.filter = filter;
        stats.next_ordinal = first;
        stats.first_counted = first;
        stats.partial = first > 1;  // calls before the oldest kept one are not seen
    }
    if (stats.next_ordinal < first) {
        // More calls arrived between two updates than the history keeps.
        stats.partial = true;
        stats.next_ordinal = first;
    }
    if (model.calls().empty()) return;
    const uint64_t last = model.calls().back().ordinal;
    for (uint64_t o = stats.next_ordinal; o <= last; ++o) {
        const CallRecord* c = model.call_at(o);
        if (!c || !filter.matches(model, *c)) continue;
        ++stats.calls;
        const bool error = c->error();
        FunctionStats& f = c->fn < kFunctionCount ? stats.functions.row(c->fn) : stats.functions.row(model.function_name(*c));
        f.stats.add(c->dur_ns, error);
        f.durations.add(c->dur_ns);
        if (c->reader >= 0) {
            const auto r = static_cast<size_t>(c->reader);
            if (stats.readers.size() <= r) stats.readers.resize(r + 1);
            stats.readers[r].add(c->dur_ns, error);
        }
        stats.processes[c->process].add(c->dur_ns, error);
    }
    stats.next_ordinal = last + 1;
}

}  // namespace pcscspy::dashboard
