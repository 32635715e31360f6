#include <algorithm>

#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"

namespace pcscspy::dashboard {

namespace {

struct StatsRow {
    std::string name;  // display text
    CallStats stats;
    std::optional<int64_t> p95_ns;  // per function only
};

// The session's rows, or with a filter the rows of the calls that pass it.
std::vector<StatsRow> stats_rows(const ViewContext& ctx, const UiState& ui) {
    const SessionModel& model = ctx.model;
    const bool filtered = ui.filter.active();
    const FilteredStats& fs = ui.filtered;
    std::vector<StatsRow> rows;
    switch (ui.stats) {
        case StatsTable::Functions: {
            const FunctionStatsTable& table = filtered ? fs.functions : model.function_stats();
            for (const FunctionStats* f : table.sorted_by_total())
                rows.push_back({display_text(f->name, ctx.glyphs), f->stats, f->p95_ns()});
            return rows;
        }
        case StatsTable::Readers:
            for (const ReaderInfo& r : model.readers()) {
                const CallStats& st = !filtered ? r.stats : r.index < fs.readers.size() ? fs.readers[r.index] : CallStats{};
                if (st.calls) rows.push_back({display_text(r.name, ctx.glyphs), st, std::nullopt});
            }
            break;
        case StatsTable::Processes:
            for (const ProcessInfo& p : model.processes()) {
                const auto in_filter = fs.processes.find(p.index);
                const CallStats& st = !filtered ? p.stats : in_filter != fs.processes.end() ? in_filter->second : CallStats{};
                if (st.calls)
                    rows.push_back({std::to_string(p.pid) + " " + display_text(process_name(p), ctx.glyphs), st,
                                    std::nullopt});
            }
            break;
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const StatsRow& a, const StatsRow& b) { return a.stats.total_ns > b.stats.total_ns; });
    return rows;
}

// A bar of `width` cells for a share in [0, 1], in half cells.
std::string share_bar(double share, size_t width, const Glyphs& g) {
    size_t halves = static_cast<size_t>(share * static_cast<double>(width) * 2 + 0.5);
    std::string bar;
    for (size_t i = 0; i < halves / 2; ++i) bar += g.bar_full;
    if (halves % 2) bar += g.bar_half;
    return bar;
}

}  // namespace

Pane stats_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows) {
    const Glyphs& g = ctx.glyphs;
    std::vector<StatsRow> rows = stats_rows(ctx, ui);
    // Narrow (80 columns, or beside the call list): no MIN nor P95, so that the
    // share keeps a bar.
    const bool p95 = ui.stats == StatsTable::Functions && width >= 110;
    const bool min = width >= 100;
    const size_t name_w = width >= 120 ? 26 : 22, num = 8, calls_w = 9, errors_w = 7;
    size_t fixed = name_w + calls_w + errors_w + (min ? 4 : 3) * num + (p95 ? num : 0) + 2;
    size_t share_w = width > fixed ? width - fixed : 0;
    size_t bar_w = share_w > 8 ? std::min<size_t>(share_w - 7, 20) : 0;

    CallStats totals;
    for (const StatsRow& r : rows) {
        totals.calls += r.stats.calls;
        totals.errors += r.stats.errors;
        totals.total_ns += r.stats.total_ns;
    }
    Pane pane;
    pane.total = rows.size();
    const Named* table = find_value(kStatsTables, static_cast<uint64_t>(ui.stats));
    StyledLine h;
    h.fill = Role::Heading;
    h.add(fit("Time " + std::string(table ? table->meaning : ""), name_w, g), Role::HeadingTitle)
        .add(fit("CALLS", calls_w, g, Align::Right), Role::Heading)
        .add(fit("ERR", errors_w, g, Align::Right), Role::Heading)
        .add(fit("TOTAL", num, g, Align::Right), Role::Heading)
        .add(fit("MEAN", num, g, Align::Right), Role::Heading);
    if (min) h.add(fit("MIN", num, g, Align::Right), Role::Heading);
    h.add(fit("MAX", num, g, Align::Right), Role::Heading);
    if (p95) h.add(fit("P95", num, g, Align::Right), Role::Heading);
    // With a filter, the table is of the calls that pass it (and says so).
    std::string share = "SHARE";
    if (ui.filter.active()) share += ui.filtered.partial ? "  filtered, of the kept calls" : "  filtered";
    h.add("  ", Role::Heading).add(fit(share, share_w > 6 ? share_w - 6 : share_w, g), ui.filter.active() ? Role::HeadingTitle : Role::Heading);
    pane.heading = fit_line(std::move(h), width, g);

    if (rows.empty() && max_rows > 0) {
        StyledLine l;
        l.add(ui.filter.active() ? "  no call passes the filter" : "  no call yet", Role::Dim);
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    for (const StatsRow& r : rows) {
        if (pane.rows.size() >= max_rows) break;
        const double share = totals.total_ns > 0 ? static_cast<double>(r.stats.total_ns) / static_cast<double>(totals.total_ns) : 0;
        StyledLine l;
        l.add(fit(r.name, name_w, g, Align::Left, Cut::Middle), Role::Strong)
            .add(fit(std::to_string(r.stats.calls), calls_w, g, Align::Right))
            .add(fit(std::to_string(r.stats.errors), errors_w, g, Align::Right), r.stats.errors ? Role::Error : Role::Dim)
            .add(fit(format_duration(r.stats.total_ns, g), num, g, Align::Right))
            .add(fit(format_duration(r.stats.mean_ns(), g), num, g, Align::Right), Role::Dim);
        if (min) l.add(fit(format_duration(r.stats.min_ns, g), num, g, Align::Right), Role::Dim);
        l.add(fit(format_duration(r.stats.max_ns, g), num, g, Align::Right), Role::Dim);
        if (p95) l.add(fit(format_duration(r.p95_ns.value_or(0), g), num, g, Align::Right), Role::Dim);
        l.add("  ");
        if (bar_w) l.add(fit(share_bar(share, bar_w, g), bar_w, g), Role::Info).add(" ");
        l.add(fit(format_percent(static_cast<double>(r.stats.total_ns), static_cast<double>(totals.total_ns)), 6, g,
                  Align::Right));
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    return pane;
}

}  // namespace pcscspy::dashboard
