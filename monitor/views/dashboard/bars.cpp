// The top bar and the footer.
#include <algorithm>

#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/key_table.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"

namespace pcscspy::dashboard {

namespace {

// A piece of a bar. When the bar is too narrow, segments give way from the
// lowest priority up: a shrinkable one is first cut down (middle ellipsis) to
// `min_width`, and any that still does not fit is dropped.
struct Segment {
    std::string text;
    Role role;
    int priority;
    size_t min_width = 0;  // 0: not shrinkable
};

StyledLine fit_segments(std::vector<Segment> segs, size_t width, Role fill, const Glyphs& g, size_t gap = 2) {
    auto total = [&] {
        size_t w = 0;
        for (const Segment& s : segs) w += display_width(s.text);
        return w + (segs.empty() ? 0 : gap * (segs.size() - 1));
    };
    std::vector<int> priorities;
    for (const Segment& s : segs) priorities.push_back(s.priority);
    std::sort(priorities.begin(), priorities.end());
    for (int priority : priorities) {
        if (total() <= width) break;
        auto it = std::find_if(segs.begin(), segs.end(), [&](const Segment& s) { return s.priority == priority; });
        if (it == segs.end()) continue;
        const size_t w = display_width(it->text);
        const size_t excess = total() - width;
        if (it->min_width && w > it->min_width && w - it->min_width >= excess) {
            it->text = truncate(it->text, w - excess, g, Cut::Middle);
            break;
        }
        segs.erase(it);
    }
    StyledLine line;
    line.fill = fill;
    for (size_t i = 0; i < segs.size(); ++i) {
        if (i) line.add(spaces(gap), fill);
        line.add(segs[i].text, segs[i].role);
    }
    return fit_line(std::move(line), width, g);
}

std::string filter_text(const ViewContext& ctx, const UiState& ui) {
    const SessionModel& model = ctx.model;
    std::string text;
    if (const ProcessInfo* p = ui.filter.process ? model.process_at(*ui.filter.process) : nullptr)
        text += "pid " + std::to_string(p->pid) + " " + display_text(process_name(*p), ctx.glyphs);
    if (ui.filter.reader && *ui.filter.reader < model.readers().size())
        text += (text.empty() ? "" : ", ") + std::string("reader ") +
                display_text(model.readers()[*ui.filter.reader].name, ctx.glyphs);
    if (ui.filter.expression) text += (text.empty() ? "" : ", ") + display_text(ui.filter.expression->text(), ctx.glyphs);
    return text;
}

}  // namespace

StyledLine top_bar(const ViewContext& ctx, const UiState& ui, size_t width) {
    const SessionModel& model = ctx.model;
    const ModelCounters& n = model.counters();
    const Glyphs& g = ctx.glyphs;
    std::vector<Segment> segs;
    segs.push_back({" pcscspy-top", Role::BarStrong, 100});
    if (!ctx.info.live) segs.push_back({" REPLAY ", Role::BarStrong, 99});
    else if (ui.cursor.paused) segs.push_back({" PAUSED ", Role::Paused, 99});
    else segs.push_back({" LIVE ", Role::Live, 99});
    segs.push_back({display_text(ctx.info.source, g), Role::Bar, 10, 12});
    if (ctx.info.live) segs.push_back({"up " + format_uptime(ctx.now_us - ctx.info.started_us), Role::Bar, 40});
    else if (model.latest_ts_us() > model.first_ts_us())
        segs.push_back({"span " + format_uptime(model.latest_ts_us() - model.first_ts_us()), Role::Bar, 40});
    size_t running = 0;
    for (const ProcessInfo& p : model.processes()) running += p.state == ProcessState::Running;
    std::string procs = "procs " + std::to_string(model.processes().size());
    if (running != model.processes().size()) procs += " (" + std::to_string(running) + " running)";
    if (const uint64_t folded = model.folded().processes) procs += " +" + std::to_string(folded) + " folded";
    segs.push_back({procs, Role::Bar, 60});
    if (const uint64_t capped = model.folded().entries())  // threads, handles, readers... past the model's caps
        segs.push_back({"capped " + std::to_string(capped), Role::Paused, 55});
    segs.push_back({"calls " + std::to_string(n.calls), Role::Bar, 80});
    segs.push_back({"errors " + std::to_string(model.function_stats().totals().errors),
                    model.function_stats().totals().errors ? Role::BarStrong : Role::Bar, 75});
    const uint64_t lost = n.lost();  // reported, and found missing by the monitor
    segs.push_back({"lost " + std::to_string(lost), lost ? Role::Paused : Role::Bar, lost ? 85 : 50});
    segs.push_back({"bad " + std::to_string(n.bad_lines), n.bad_lines ? Role::Paused : Role::Bar, n.bad_lines ? 84 : 45});
    if (n.seq_disorder) segs.push_back({"out of order " + std::to_string(n.seq_disorder), Role::Paused, 83});
    if (!model.findings().empty())
        segs.push_back({"findings " + std::to_string(model.findings().size()), Role::BarStrong, 70});
    if (std::string f = filter_text(ctx, ui); !f.empty()) segs.push_back({"filter: " + f, Role::Paused, 90, 14});
    if (!ui.search.query.empty())
        segs.push_back({"/" + display_text(ui.search.query, g) + " (" + std::to_string(ui.search.matches) + ")",
                        Role::Paused, 88, 10});
    return fit_segments(std::move(segs), width, Role::Bar, g);
}

StyledLine footer(const ViewContext& ctx, const UiState& ui, size_t width) {
    const Glyphs& g = ctx.glyphs;
    if (ui.filter_prompt.editing) {
        // As Wireshark's filter bar: the text, and whether it parses yet.
        const FilterPromptState& p = ui.filter_prompt;
        StyledLine l;
        l.add("filter: ", Role::Paused).add(display_text(p.input, g), Role::Paused).add("_", Role::Paused);
        StyledLine right;
        if (!p.error.empty()) right.add(display_text(p.error, g), Role::Error);
        else if (p.input.find_first_not_of(' ') == std::string::npos)
            right.add("Enter: no filter  Esc cancel  e.g. ins==A4 && sw!=9000  (? lists the fields)", Role::Dim);
        else right.add("Enter apply  Esc cancel", Role::Ok);
        // The end of a long input stays visible (where the user types).
        const size_t right_w = std::min(line_width(right), width / 2);
        right = fit_line(std::move(right), right_w, g);
        const size_t room = width > right_w + 1 ? width - right_w - 1 : width;
        if (line_width(l) > room) l = skip_columns(std::move(l), line_width(l) - room);
        return join_left_right(std::move(l), std::move(right), width, g);
    }
    if (ui.search.editing) {
        StyledLine l;
        l.add("/", Role::Paused).add(display_text(ui.search.input, g), Role::Paused).add("_", Role::Paused);
        StyledLine right;
        right.add("Enter find  Esc cancel  (function, reader, exe, INS, SW, hex)", Role::Dim);
        return join_left_right(std::move(l), std::move(right), width, g);
    }
    // Key hints on the left (htop style: the key, then its word on a bar), the
    // last message on the right. When too narrow the message wins and hints go,
    // from the next-to-last: "q quit" stays.
    std::string message = display_text(ui.message.text, g);
    const size_t message_w = display_width(message);
    const size_t room = message.empty() ? width : (width > message_w + 2 ? width - message_w - 2 : 0);
    std::vector<const KeyBinding*> hints = footer_hints();
    auto hints_width = [&] {
        size_t w = 0;
        for (const KeyBinding* k : hints) w += display_width(display_text(k->label, g)) + display_width(k->hint) + 1;
        return w;
    };
    while (!hints.empty() && hints_width() > room) hints.erase(hints.size() >= 2 ? hints.end() - 2 : hints.begin());
    StyledLine left;
    for (const KeyBinding* k : hints)
        left.add(display_text(k->label, g), Role::Key).add(std::string(k->hint) + " ", Role::KeyLabel);
    StyledLine right;
    if (!message.empty()) right.add(truncate(message, width, g, Cut::Middle), ui.message.role);
    if (hints.empty()) return fit_line(std::move(right), width, g);
    return join_left_right(std::move(left), std::move(right), width, g);
}

}  // namespace pcscspy::dashboard
