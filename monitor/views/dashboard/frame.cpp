#include "monitor/views/dashboard/frame.hpp"

#include <algorithm>

#include "monitor/views/dashboard/filtered_stats.hpp"
#include "monitor/views/dashboard/findings_view.hpp"
#include "monitor/views/dashboard/key_table.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"

namespace pcscspy::dashboard {

namespace {

void place(Frame& f, int y, int x, StyledLine line) { f.lines.push_back(PlacedLine{y, x, std::move(line)}); }

void place_pane(Frame& f, const Rect& r, Pane pane) {
    if (r.empty()) return;
    place(f, r.y, r.x, std::move(pane.heading));
    int y = r.y + 1;
    for (StyledLine& row : pane.rows) {
        if (y >= r.y + r.height) break;
        place(f, y++, r.x, std::move(row));
    }
    // Rows the pane does not use are cleared (the screen keeps what was there).
    for (; y < r.y + r.height; ++y) place(f, y, r.x, StyledLine{{Span{spaces(static_cast<size_t>(r.width)), Role::Normal, std::nullopt}}});
    f.animated = f.animated || pane.animated;
}

// Rows of the statistics table: the session's, or the filtered calls'.
size_t stats_entries(const SessionModel& m, const UiState& ui) {
    const bool filtered = ui.filter.active();
    size_t n = 0;
    switch (ui.stats) {
        case StatsTable::Functions:
            for (const FunctionStats& s : (filtered ? ui.filtered.functions : m.function_stats()).rows())
                n += s.stats.calls != 0;
            break;
        case StatsTable::Readers:
            if (filtered)
                for (const CallStats& s : ui.filtered.readers) n += s.calls != 0;
            else
                for (const ReaderInfo& r : m.readers()) n += r.stats.calls != 0;
            break;
        case StatsTable::Processes:
            if (filtered)
                for (const auto& [process, s] : ui.filtered.processes) n += s.calls != 0 && m.process_at(process);
            else
                for (const ProcessInfo& p : m.processes()) n += p.stats.calls != 0;
            break;
    }
    return n;
}

// A framed box: a title in the top border, a hint in the bottom one, content
// lines (fitted here to the inner width) and blank lines below them.
void place_box(Frame& f, const Rect& r, std::string_view title, std::string_view hint, std::vector<StyledLine> content,
               const Glyphs& g) {
    if (r.height < 3 || r.width < 10) return;
    const size_t inner = static_cast<size_t>(r.width) - 4;  // borders and a space each side
    auto border_line = [&](std::string_view left, std::string_view text, std::string_view right, Role text_role) {
        StyledLine l;
        std::string rule;
        for (int i = 0; i < 2; ++i) rule += g.rule;
        l.add(std::string(left) + rule, Role::Border);
        std::string t = text.empty() ? "" : " " + truncate(text, inner - 2, g) + " ";
        l.add(t, text_role);
        size_t used = 2 + display_width(t);
        std::string fill;
        for (size_t i = used; i + 2 < static_cast<size_t>(r.width); ++i) fill += g.rule;
        l.add(fill + std::string(right), Role::Border);
        return fit_line(std::move(l), static_cast<size_t>(r.width), g);
    };
    place(f, r.y, r.x, border_line(g.corner_tl, title, g.corner_tr, Role::HeadingTitle));
    for (int i = 0; i < r.height - 2; ++i) {
        StyledLine line = static_cast<size_t>(i) < content.size() ? std::move(content[static_cast<size_t>(i)]) : StyledLine{};
        const bool selected = line.selected;
        line.selected = false;
        StyledLine inside = fit_line(std::move(line), inner, g);
        StyledLine l;
        l.add(std::string(g.side), Role::Border).add(" ");
        if (!selected)
            for (const Span& s : inside.spans) l.spans.push_back(s);
        else
            l.add(spaces(inner));
        l.add(" ").add(std::string(g.side), Role::Border);
        place(f, r.y + 1 + i, r.x, std::move(l));
        if (selected) {
            // The selection bar stays inside the frame.
            inside.selected = true;
            place(f, r.y + 1 + i, r.x + 2, std::move(inside));
        }
    }
    place(f, r.y + r.height - 1, r.x, border_line(g.corner_bl, hint, g.corner_br, Role::Dim));
}

template <typename T>
std::vector<T> page(std::vector<T> all, size_t& scroll, size_t rows) {
    size_t max_scroll = all.size() > rows ? all.size() - rows : 0;
    scroll = std::min(scroll, max_scroll);
    std::vector<T> out;
    for (size_t i = scroll; i < all.size() && out.size() < rows; ++i) out.push_back(std::move(all[i]));
    return out;
}

std::string scroll_hint(size_t scroll, size_t rows, size_t total, std::string_view keys) {
    std::string where = total > rows ? std::to_string(scroll + 1) + "-" + std::to_string(std::min(total, scroll + rows)) +
                                           " of " + std::to_string(total) + "  "
                                     : "";
    return where + std::string(keys);
}

void help_overlay(Frame& f, const Layout& l, UiState& ui, const Glyphs& g) {
    std::vector<StyledLine> lines = help_lines(g);
    size_t widest = 0;
    for (const StyledLine& line : lines) widest = std::max(widest, line_width(line));
    Rect r;
    r.width = std::min<int>(l.middle.width - 2, static_cast<int>(widest) + 4);
    r.height = std::min<int>(l.middle.height, static_cast<int>(lines.size()) + 2);
    r.x = (f.cols - r.width) / 2;
    r.y = l.middle.y + (l.middle.height - r.height) / 2;
    const size_t rows = static_cast<size_t>(r.height - 2);
    size_t total = lines.size();
    std::vector<StyledLine> shown = page(std::move(lines), ui.help_scroll, rows);
    place_box(f, r, "pcscspy-top keys", scroll_hint(ui.help_scroll, rows, total, "Esc close"), std::move(shown), g);
}

void detail_overlay(Frame& f, const Layout& l, UiState& ui, const ViewContext& ctx) {
    const size_t rows = static_cast<size_t>(std::max(1, l.middle.height - 2));
    ui.detail.page_rows = rows;
    size_t total = ui.detail.lines.size();
    std::vector<StyledLine> shown = page(ui.detail.lines, ui.detail.scroll, rows);
    place_box(f, l.middle, "Call detail", scroll_hint(ui.detail.scroll, rows, total, "scroll: arrows PgUp PgDn  close: Esc q Enter"),
              std::move(shown), ctx.glyphs);
}

void findings_overlay(Frame& f, const Layout& l, UiState& ui, const ViewContext& ctx) {
    const Glyphs& g = ctx.glyphs;
    const size_t inner = static_cast<size_t>(l.middle.width) - 4;
    const size_t rows = static_cast<size_t>(std::max(1, l.middle.height - 3));  // borders and the heading
    FindingsState& s = ui.findings;
    s.page_rows = rows;
    std::vector<StyledLine> all = findings_lines(ctx, inner);
    const size_t total = all.size();
    if (total == 0) s.selected = 0;
    else s.selected = std::min(s.selected, total - 1);
    if (s.selected < s.top) s.top = s.selected;
    if (s.selected >= s.top + rows) s.top = s.selected + 1 - rows;
    std::vector<StyledLine> content;
    content.push_back(findings_heading(g, inner));
    if (all.empty()) content.push_back(StyledLine{}.add("no finding: no misuse of the PC/SC API seen so far", Role::Dim));
    for (size_t i = s.top; i < all.size() && content.size() < rows + 1; ++i) {
        all[i].selected = i == s.selected;
        content.push_back(std::move(all[i]));
    }
    place_box(f, l.middle, "Correctness findings " + std::to_string(total),
              scroll_hint(s.top, rows, total, "Enter: show the call  Esc close"), std::move(content), g);
}

void too_small(Frame& f, const Glyphs& g) {
    std::string a = "terminal too small: " + std::to_string(f.cols) + "x" + std::to_string(f.rows);
    std::string b = "pcscspy-top needs at least " + std::to_string(kMinCols) + "x" + std::to_string(kMinRows);
    std::string c = "(q quits)";
    const size_t w = static_cast<size_t>(std::max(f.cols, 0));
    int y = std::max(0, f.rows / 2 - 1);
    for (const std::string& text : {a, b, c}) {
        if (y >= f.rows) break;
        size_t tw = display_width(text);
        StyledLine l;
        l.add(tw < w ? spaces((w - tw) / 2) : "").add(text, &text == &a ? Role::Warn : Role::Normal);
        place(f, y++, 0, fit_line(std::move(l), w, g));
    }
}

}  // namespace

Frame build_frame(const ViewContext& ctx, UiState& ui, int rows, int cols) {
    Frame f;
    f.rows = rows;
    f.cols = cols;
    const SessionModel& m = ctx.model;
    const Glyphs& g = ctx.glyphs;
    update_filtered_stats(m, ui.filter, ui.filtered);
    // The reader pane also says when pcscd is not running (one more row).
    const ReaderService service = m.reader_service().state;
    const size_t service_row = service == ReaderService::NoService || service == ReaderService::NoLibrary ? 1 : 0;
    PaneNeeds needs{std::max<size_t>(1, m.processes().size() + (m.folded().processes ? 1 : 0)), std::max<size_t>(1, m.readers().size() + service_row),
                    std::max<size_t>(1, stats_entries(m, ui))};
    Layout l = compute_layout(rows, cols, needs, ui.stats_hidden);
    if (l.too_small) {
        too_small(f, g);
        return f;
    }
    const auto width = [](const Rect& r) { return static_cast<size_t>(r.width); };
    const auto body = [](const Rect& r) { return static_cast<size_t>(std::max(0, r.height - 1)); };
    place(f, l.top.y, 0, top_bar(ctx, ui, width(l.top)));
    place_pane(f, l.processes, process_pane(ctx, ui, width(l.processes), body(l.processes)));
    place_pane(f, l.readers, reader_pane(ctx, ui, width(l.readers), body(l.readers)));
    place_pane(f, l.calls, call_list_pane(ctx, ui, width(l.calls), body(l.calls)));
    if (!l.stats.empty()) {
        place_pane(f, l.stats, stats_pane(ctx, ui, width(l.stats), body(l.stats)));
        if (l.stats.y == l.calls.y)  // side by side: a rule between them
            for (int y = l.calls.y; y < l.calls.y + l.calls.height; ++y)
                place(f, y, l.calls.width, StyledLine{{Span{std::string(g.side), Role::Border, std::nullopt}}});
    }
    place(f, l.footer.y, 0, footer(ctx, ui, width(l.footer)));

    switch (ui.overlay) {
        case Overlay::None: break;
        case Overlay::Help: help_overlay(f, l, ui, g); break;
        case Overlay::Detail: detail_overlay(f, l, ui, ctx); break;
        case Overlay::Findings: findings_overlay(f, l, ui, ctx); break;
    }
    return f;
}

std::vector<std::string> frame_text(const Frame& frame) {
    // A grid of cells, one character each; the cell after a wide character is
    // empty (the character covers it).
    std::vector<std::vector<std::string>> cells(static_cast<size_t>(std::max(frame.rows, 0)),
                                                std::vector<std::string>(static_cast<size_t>(std::max(frame.cols, 0)), " "));
    for (const PlacedLine& pl : frame.lines) {
        if (pl.y < 0 || pl.y >= frame.rows) continue;
        auto& row = cells[static_cast<size_t>(pl.y)];
        size_t x = static_cast<size_t>(std::max(pl.x, 0));
        for (const Span& s : pl.line.spans) {
            for (size_t i = 0; i < s.text.size();) {
                size_t len = 1;
                auto b = static_cast<unsigned char>(s.text[i]);
                if (b >= 0xF0) len = 4;
                else if (b >= 0xE0) len = 3;
                else if (b >= 0xC0) len = 2;
                std::string ch = s.text.substr(i, len);
                size_t w = display_width(ch);
                if (x < row.size() && w > 0) {
                    row[x] = ch;
                    if (w == 2 && x + 1 < row.size()) row[x + 1] = "";
                } else if (w == 0 && x > 0 && x - 1 < row.size()) {
                    row[x - 1] += ch;  // a combining character joins the previous cell
                }
                x += w;
                i += len;
            }
        }
    }
    std::vector<std::string> out;
    for (auto& row : cells) {
        std::string line;
        for (std::string& c : row) line += c;
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out.push_back(std::move(line));
    }
    return out;
}

}  // namespace pcscspy::dashboard
