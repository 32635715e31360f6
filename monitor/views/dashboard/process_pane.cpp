#include <algorithm>

#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/process_order.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"

namespace pcscspy::dashboard {

namespace {

struct ProcessColumns {
    size_t name, pid = 7, calls = 7, errors = 5, rate = 7, doing, via = 0, started = 0, command;
};

// Wide terminals also show how each process is traced (its hello's "via":
// "delegate" is the longest) and when it started, while the command line keeps
// at least kRoomyCommand columns.
constexpr size_t kViaWidth = 8, kStartedWidth = 8, kRoomyCommand = 40;

ProcessColumns process_columns(size_t width) {
    ProcessColumns c;
    c.name = width >= 120 ? 18 : 15;
    size_t fixed = 2 + c.name + c.pid + 1 + c.calls + 1 + c.errors + 1 + c.rate + 2;
    size_t rest = width > fixed ? width - fixed : 0;
    c.doing = std::min<size_t>(rest, 36);
    c.command = rest > c.doing + 2 ? rest - c.doing - 2 : 0;
    if (c.command < 12) {  // not worth a column: give the room to "doing"
        c.doing = rest;
        c.command = 0;
    }
    auto take = [&c](size_t& column, size_t w) {
        if (c.command < kRoomyCommand + w + 2) return false;
        column = w;
        c.command -= w + 2;
        return true;
    };
    if (take(c.via, kViaWidth)) take(c.started, kStartedWidth);
    return c;
}

// The call a process is blocked in: the oldest non-calm call in flight, else
// the oldest calm wait.
const InFlightCall* current_call(const ProcessInfo& p) {
    const InFlightCall* calm = nullptr;
    const InFlightCall* busy = nullptr;
    for (const auto& [seq, c] : p.in_flight) {
        const InFlightCall*& slot = is_calm_wait(c.fn) ? calm : busy;
        if (!slot || c.since_us < slot->since_us) slot = &c;
    }
    return busy ? busy : calm;
}

bool is_busy(const ProcessInfo& p) {
    return std::any_of(p.in_flight.begin(), p.in_flight.end(), [](const auto& e) { return !is_calm_wait(e.second.fn); });
}

// "  └ " before a child's name in the tree.
std::string tree_prefix(const ProcessRow& row, const Glyphs& g) {
    if (row.depth == 0) return "";
    return std::string(2 * (row.depth - 1), ' ') + (g.unicode ? (row.last_child ? "└ " : "├ ") : (row.last_child ? "` " : "| "));
}

std::string command_line(const ProcessInfo& p) {
    std::string s;
    for (const std::string& a : p.argv) s += (s.empty() ? "" : " ") + a;
    return s.empty() ? p.exe : s;
}

// The processes folded into totals, in the columns of the others: how many,
// and their calls, errors, APDUs and lost events.
StyledLine folded_processes_line(const SessionModel& model, const ProcessColumns& c, const Glyphs& g) {
    const FoldedTotals& f = model.folded();
    StyledLine l;
    const std::string what = std::to_string(f.processes) + " exited folded";
    l.add("  ", Role::Dim)
        .add(fit(what, c.name + c.pid, g), Role::Dim)
        .add(fit(std::to_string(f.stats.calls), c.calls + 1, g, Align::Right), Role::Dim)
        .add(fit(std::to_string(f.stats.errors), c.errors + 1, g, Align::Right), f.stats.errors ? Role::Warn : Role::Dim)
        .add(std::string(c.rate + 1, ' '), Role::Dim)
        .add("  ", Role::Dim)
        .add("into totals, " + std::to_string(f.apdus) + " APDUs" +
                 (f.lost_events ? ", " + std::to_string(f.lost_events) + " events lost" : std::string()),
             f.lost_events ? Role::Warn : Role::Dim);
    return l;
}

}  // namespace

Doing process_doing(const ViewContext& ctx, const ProcessInfo& p) {
    const Glyphs& g = ctx.glyphs;
    if (p.state == ProcessState::Exited) return {"exited " + clock_time(p.exit_us), Role::Dim, false};
    if (p.state == ProcessState::Disconnected) return {"gone " + clock_time(p.exit_us) + " (no bye)", Role::Dim, false};
    if (const InFlightCall* c = current_call(p)) {
        const int64_t waited = std::max<int64_t>(0, ctx.now_us - c->since_us);
        std::string more = p.in_flight.size() > 1 ? " +" + std::to_string(p.in_flight.size() - 1) : "";
        std::string fn = display_text(c->fn, g);
        if (is_calm_wait(c->fn)) return {fn + " " + format_duration(waited * 1000, g) + more, Role::Dim, true};
        if (waited >= ctx.patience.blocked_us)
            return {fn + " blocked " + format_duration(waited * 1000, g) + more, Role::Warn, true};
        return {fn + " " + format_duration(waited * 1000, g) + more, Role::Normal, true};
    }
    // Holding a transaction between calls.
    int64_t since = 0;
    for (const auto& [handle, card] : p.cards)
        if (card.transaction && (since == 0 || card.transaction->since_us < since)) since = card.transaction->since_us;
    if (since != 0) {
        const int64_t held = std::max<int64_t>(0, ctx.now_us - since);
        return {"in transaction " + format_duration(held * 1000, g),
                held >= ctx.patience.transaction_us ? Role::Warn : Role::Info, true};
    }
    return {"idle", Role::Dim, false};
}

Pane process_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows) {
    const Glyphs& g = ctx.glyphs;
    const SessionModel& model = ctx.model;
    const ProcessColumns c = process_columns(width);
    const bool focused = ui.focus == Focus::Processes;
    Pane pane;
    pane.total = model.processes().size();

    // The sorted column is marked with an arrow (down: largest or A first).
    const ProcessOrder& order = ui.process_order;
    const bool natural_down = order.sort == ProcessSort::Name || order.sort == ProcessSort::Pid;
    const std::string_view mark = g.unicode ? ((natural_down != order.reversed) ? "▲" : "▼")
                                            : ((natural_down != order.reversed) ? "^" : "v");
    auto column = [&](ProcessSort sort, std::string_view name) {
        return order.sort == sort ? std::string(mark) + std::string(name) : std::string(name);
    };
    std::string title = std::string(focused ? (g.unicode ? "▶ " : "> ") : "") + "Processes " + std::to_string(pane.total);
    if (order.tree) title += " tree";
    if (order.sort == ProcessSort::Name) title += " " + column(ProcessSort::Name, "name");
    StyledLine h;
    h.fill = Role::Heading;
    h.add(fit(title, 2 + c.name, g), Role::HeadingTitle)
        .add(fit(column(ProcessSort::Pid, "PID"), c.pid, g, Align::Right), Role::Heading)
        .add(fit(column(ProcessSort::Calls, "CALLS"), c.calls + 1, g, Align::Right), Role::Heading)
        .add(fit(column(ProcessSort::Errors, "ERR"), c.errors + 1, g, Align::Right), Role::Heading)
        .add(fit(column(ProcessSort::Rate, "RATE"), c.rate + 1, g, Align::Right), Role::Heading)
        .add("  ", Role::Heading)
        .add(fit("NOW", c.doing, g), Role::Heading);
    if (c.via) h.add("  ", Role::Heading).add(fit("VIA", c.via, g), Role::Heading);
    if (c.started) h.add("  ", Role::Heading).add(fit("STARTED", c.started, g), Role::Heading);
    if (c.command) h.add("  ", Role::Heading).add(fit("COMMAND", c.command, g), Role::Heading);
    pane.heading = fit_line(std::move(h), width, g);

    const std::vector<ProcessRow> rows = process_rows(model, order, ctx.now_us);
    // Keep on screen the row the user moves through (focused), else the filtered process.
    const std::optional<size_t> marked = focused ? ui.pane.process : ui.filter.process;
    size_t keep = 0;
    for (size_t i = 0; i < rows.size(); ++i)
        if (marked && rows[i].process->index == *marked) keep = i;
    // Processes folded into totals (the memory budget) take the last row.
    const bool folded_row = model.folded().processes > 0 && max_rows > 0;
    const size_t list_rows = max_rows - (folded_row ? 1 : 0);
    const size_t first = first_visible_row(keep, rows.size(), list_rows);
    if (rows.empty() && list_rows > 0) {
        StyledLine l;
        l.add(ctx.info.live ? "  waiting for traced programs " + std::string(g.arrow) + " " + ctx.info.trace_command +
                                  ", or pcscspy-top -- CMD"
                            : "  no process in this recording",
              Role::Dim);
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    for (size_t i = first; i < rows.size(); ++i) {
        if (pane.rows.size() >= list_rows) break;
        const ProcessInfo* p = rows[i].process;
        const bool ended = p->state != ProcessState::Running;
        const Light light = ended ? Light{} : light_of(p->activity, is_busy(*p), ctx.now_us);
        const Doing doing = process_doing(ctx, *p);
        pane.animated = pane.animated || doing.animated || light_is_fading(light) || light.kind == LightKind::InFlight;
        const Role base = ended ? Role::Dim : Role::Normal;
        StyledLine l;
        l.spans.push_back(Span{std::string(light_character(light.kind)), Role::Normal, light});
        l.add(" ")
            .add(fit(tree_prefix(rows[i], g) + display_text(process_name(*p), g), c.name, g),
                 ended ? Role::Dim : Role::Strong)
            .add(fit(std::to_string(p->pid), c.pid, g, Align::Right), base)
            .add(fit(std::to_string(p->stats.calls), c.calls + 1, g, Align::Right), base)
            .add(fit(std::to_string(p->stats.errors), c.errors + 1, g, Align::Right),
                 p->stats.errors ? (ended ? Role::Dim : Role::Error) : Role::Dim)
            .add(fit(ended ? "" : format_rate(model.call_rate(p->index, ctx.now_us)), c.rate + 1, g, Align::Right), base)
            .add("  ")
            .add(fit(doing.text, c.doing, g), doing.role);
        if (c.via) l.add("  ").add(fit(display_text(p->via, g), c.via, g), Role::Dim);
        if (c.started) l.add("  ").add(fit(p->started_us ? clock_time(p->started_us) : "", c.started, g), Role::Dim);
        if (c.command) {
            std::string cmd = display_text(command_line(*p), g);
            if (p->lost()) cmd = std::to_string(p->lost()) + " events lost  " + cmd;
            l.add("  ").add(fit(cmd, c.command, g), p->lost() ? Role::Warn : Role::Dim);
        }
        l.selected = marked && *marked == p->index;
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    if (folded_row) pane.rows.push_back(fit_line(folded_processes_line(model, c, g), width, g));
    return pane;
}

}  // namespace pcscspy::dashboard
