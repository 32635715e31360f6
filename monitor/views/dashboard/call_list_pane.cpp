#include <algorithm>

#include "monitor/views/dashboard/call_search.hpp"
#include "monitor/views/dashboard/call_summary.hpp"
#include "monitor/views/dashboard/call_window.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"

namespace pcscspy::dashboard {

namespace {

struct CallColumns {
    size_t time = 12, pid, function, reader, summary, duration = 7;
    bool short_names;  // "Transmit" for "SCardTransmit" in narrow terminals
};

CallColumns call_columns(size_t width, bool threads) {
    CallColumns c;
    c.pid = threads ? 13 : 7;
    c.short_names = width < 100;
    c.function = c.short_names ? 16 : 21;
    c.reader = width >= 110 ? (width >= 160 ? 22 : 17) : 0;
    size_t fixed = c.time + 1 + c.pid + 1 + c.function + 1 + (c.reader ? c.reader + 1 : 0) + 1 + c.duration;
    c.summary = width > fixed ? width - fixed : 0;
    return c;
}

std::string_view function_label(std::string_view fn, bool short_names) {
    if (short_names && fn.starts_with("SCard") && fn.size() > 5) fn.remove_prefix(5);
    return fn;
}

// A decoded APDU too long for its column: the command part (Info) keeps at
// least three fifths of the column, the answer after the arrow the rest, so
// both the INS name and the SW stay visible: "VERIFY … → 63C2 Verificat…".
void shorten_command(StyledLine& summary, size_t width, const Glyphs& g) {
    size_t total = line_width(summary);
    if (total <= width) return;
    for (Span& s : summary.spans) {
        if (s.role != Role::Info) continue;
        const size_t w = display_width(s.text);
        const size_t others = total - w;
        const size_t keep = std::max(width > others ? width - others : 0, std::min(w, width * 3 / 5));
        if (keep < w) s.text = truncate(s.text, keep, g);
        return;
    }
}

}  // namespace

Pane call_list_pane(const ViewContext& ctx, UiState& ui, size_t width, size_t rows) {
    const Glyphs& g = ctx.glyphs;
    const SessionModel& model = ctx.model;
    ui.cursor.page_rows = std::max<size_t>(rows, 1);
    CallNavigator nav(model, ui.filter, ui.cursor);
    CallWindow window = nav.window(rows);

    bool threads = false;
    for (const CallRecord* call : window.rows)
        if (const ProcessInfo* p = model.process_at(call->process); p && p->threads.size() > 1) threads = true;
    const CallColumns c = call_columns(width, threads);

    Pane pane;
    pane.total = model.counters().calls;
    std::string state;
    Role state_role = Role::Heading;
    if (ui.cursor.paused) {
        state = "PAUSED";
        if (window.newer_while_paused) state += " +" + std::to_string(window.newer_while_paused) + " new";
        state_role = Role::Paused;
    } else if (!ui.cursor.following()) {
        state = "scrolled " + std::string(g.arrow) + " End follows";
    }
    // Each row's call text, computed once; scrolled horizontally no further than
    // the longest of them needs.
    std::vector<StyledLine> summaries;
    size_t longest = 0;
    for (const CallRecord* call : window.rows) {
        summaries.emplace_back().spans = call_summary(model, *call, g);
        longest = std::max(longest, line_width(summaries.back()));
    }
    if (!summaries.empty()) ui.call_scroll = std::min(ui.call_scroll, longest > c.summary ? longest - c.summary : size_t{0});
    if (ui.call_scroll) state = "+" + std::to_string(ui.call_scroll) + " cols" + (state.empty() ? "" : "  " + state);

    // "Calls N": of the calls that pass the filter, when one is set.
    std::string title = "Calls " + std::to_string(pane.total);
    if (ui.filter.active()) title = "Calls " + std::to_string(ui.filtered.calls) + " of " + std::to_string(pane.total);
    const std::string pid_label = threads ? "PID/TID" : "PID";
    const size_t lead = c.time + 1 + c.pid;
    // The list is in the order calls end, and shows when each ended.
    const std::string order_note = "CALL  (as they ended; time: the end)";
    const std::string call_label = c.summary > order_note.size() ? order_note : "CALL";
    StyledLine h;
    h.fill = Role::Heading;
    if (display_width(title) + 1 + pid_label.size() <= lead)
        h.add(fit(title, lead - pid_label.size(), g), Role::HeadingTitle).add(pid_label, Role::Heading);
    else
        h.add(fit(title, lead, g), Role::HeadingTitle);
    h.add(" ", Role::Heading).add(fit("FUNCTION", c.function + 1, g), Role::Heading);
    if (c.reader) h.add(fit("READER", c.reader + 1, g), Role::Heading);
    h.add(fit(call_label, c.summary > state.size() + 6 ? c.summary - state.size() - 1 : c.summary, g), Role::Heading);
    if (c.summary > state.size() + 6 && !state.empty()) h.add(state, state_role).add(" ", Role::Heading);
    h.add(" ", Role::Heading).add(fit("TIME", c.duration, g, Align::Right), Role::Heading);
    pane.heading = fit_line(std::move(h), width, g);

    if (window.rows.empty() && rows > 0) {
        StyledLine l;
        std::string why = model.calls().empty() ? (model.counters().calls ? "  no call kept (--history 0)" : "  no call yet")
                                                : "  no call passes the filter (c clears it)";
        l.add(why, Role::Dim);
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    // Calls matching the search in force are marked (their time stands out).
    const CallSearch search(ui.search.query, ctx.show_secrets);
    for (size_t row = 0; row < window.rows.size(); ++row) {
        const CallRecord* call = window.rows[row];
        const bool error = call->error();
        StyledLine l;
        const bool match = !search.empty() && search.matches(model, *call);
        l.add(fit(clock_time_ms(call->end_us()), c.time, g), match ? Role::Paused : Role::Dim).add(" ");
        std::string pid = std::to_string(call->pid);
        if (const ProcessInfo* p = threads ? model.process_at(call->process) : nullptr; p && p->threads.size() > 1)
            pid += "/" + std::to_string(call->tid);
        l.add(fit(pid, c.pid, g, Align::Right), Role::Normal).add(" ");
        l.add(fit(display_text(function_label(model.function_name(*call), c.short_names), g), c.function, g),
              error ? Role::Error : Role::Strong)
            .add(" ");
        if (c.reader) {
            std::string reader = call->reader >= 0 && static_cast<size_t>(call->reader) < model.readers().size()
                                     ? display_text(model.readers()[static_cast<size_t>(call->reader)].name, g)
                                     : std::string();
            l.add(fit(reader, c.reader, g, Align::Left, Cut::Middle), Role::Dim).add(" ");
        }
        StyledLine summary = std::move(summaries[row]);
        if (ui.call_scroll) summary = skip_columns(std::move(summary), ui.call_scroll);
        else shorten_command(summary, c.summary, g);
        for (Span& s : fit_line(std::move(summary), c.summary, g).spans) l.spans.push_back(std::move(s));
        l.add(" ").add(fit(format_duration(call->dur_ns, g), c.duration, g, Align::Right),
                       call->dur_ns >= ctx.patience.blocked_us * 1000 && !is_calm_wait(model.function_name(*call))
                           ? Role::Warn
                           : Role::Dim);
        l.selected = call->ordinal == window.selected;
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    return pane;
}

}  // namespace pcscspy::dashboard
