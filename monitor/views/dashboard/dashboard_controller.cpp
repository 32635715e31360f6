#include "monitor/views/dashboard/dashboard_controller.hpp"

#include <algorithm>

#include "monitor/views/dashboard/call_search.hpp"
#include "monitor/views/dashboard/call_window.hpp"
#include "monitor/views/dashboard/detail_view.hpp"
#include "monitor/views/dashboard/findings_view.hpp"
#include "monitor/views/dashboard/process_order.hpp"

namespace pcscspy::dashboard {

namespace {

void append_utf8(std::string& s, int cp) {
    const auto c = static_cast<uint32_t>(cp);
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else if (c < 0x800) {
        s += static_cast<char>(0xC0 | c >> 6);
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        s += static_cast<char>(0xE0 | c >> 12);
        s += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | c >> 18);
        s += static_cast<char>(0x80 | (c >> 12 & 0x3F));
        s += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
}

void erase_last_utf8(std::string& s) {
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty()) s.pop_back();
}

// A bounded prompt: a search text longer than this is pasted garbage.
constexpr size_t kMaxSearchBytes = 256;
// Columns the call text moves per ← or →.
constexpr size_t kScrollStep = 16;

}  // namespace

bool DashboardController::handle_key(int key) {
    if (ui_.search.editing || ui_.filter_prompt.editing) {
        if (const KeyBinding* b = find_binding(KeyScope::Prompt, key)) {
            act_prompt(b->action);
            return true;
        }
        if (key >= 0x20 && key < keys::kBase && key != 0x7F) {
            type(key);
            return true;
        }
        return false;
    }
    if (ui_.overlay != Overlay::None) {
        if (const KeyBinding* b = find_binding(KeyScope::Overlay, key)) {
            act_overlay(b->action);
            return true;
        }
        return false;
    }
    if (ui_.focus != Focus::Calls)
        if (const KeyBinding* b = find_binding(KeyScope::Pane, key)) {
            act_pane(b->action);
            return true;
        }
    if (const KeyBinding* b = find_binding(KeyScope::Main, key)) {
        act(b->action);
        return true;
    }
    return false;
}

void DashboardController::act(Action action) {
    CallNavigator nav(model_, ui_.filter, ui_.cursor);
    const long page = static_cast<long>(std::max<size_t>(ui_.cursor.page_rows, 2) - 1);
    switch (action) {
        case Action::Help:
            ui_.overlay = Overlay::Help;
            ui_.help_scroll = 0;
            break;
        case Action::Quit: ui_.quit = true; break;
        case Action::Up: nav.move(-1); break;
        case Action::Down: nav.move(+1); break;
        case Action::PageUp: nav.move(-page); break;
        case Action::PageDown: nav.move(+page); break;
        case Action::Home: nav.home(); break;
        case Action::End: nav.end(); break;
        case Action::Open: open_detail(); break;
        case Action::Pause: nav.toggle_pause(); break;
        case Action::CycleProcess: cycle_process(); break;
        case Action::CycleReader: cycle_reader(); break;
        case Action::ClearFilters:
            ui_.filter = {};
            ui_.search = {};
            ui_.message = {"filters cleared", Role::Dim};
            break;
        case Action::Search:
            ui_.search.editing = true;
            ui_.search.input.clear();
            ui_.search.origin = ui_.cursor;
            break;
        case Action::Filter:
            // The expression in force, to edit.
            ui_.filter_prompt = {true, ui_.filter.expression ? ui_.filter.expression->text() : "", ""};
            break;
        case Action::ScrollLeft: ui_.call_scroll -= std::min<size_t>(ui_.call_scroll, kScrollStep); break;
        case Action::ScrollRight: ui_.call_scroll += kScrollStep; break;  // the pane clamps it
        case Action::NextPane: focus_pane(+1); break;
        case Action::PreviousPane: focus_pane(-1); break;
        case Action::SortProcesses: {
            auto& order = ui_.process_order;
            order.sort = static_cast<ProcessSort>((static_cast<size_t>(order.sort) + 1) % std::size(kProcessSorts));
            order.reversed = false;
            const Named* sort = find_value(kProcessSorts, static_cast<uint64_t>(order.sort));
            ui_.message = {"processes sorted by " + std::string(sort ? sort->name : "?") +
                               (order.sort == ProcessSort::Arrival ? " (running first)" : "") + "; O reverses",
                           Role::Dim};
            break;
        }
        case Action::ReverseProcesses: ui_.process_order.reversed = !ui_.process_order.reversed; break;
        case Action::ProcessTree:
            ui_.process_order.tree = !ui_.process_order.tree;
            ui_.message = {ui_.process_order.tree ? "processes as a tree: each under its parent" : "processes as a list",
                           Role::Dim};
            break;
        case Action::ToggleStats: ui_.stats_hidden = !ui_.stats_hidden; break;
        case Action::NextMatch: jump_to_match(-1); break;
        case Action::PreviousMatch: jump_to_match(+1); break;
        case Action::CycleStats:
            ui_.stats = static_cast<StatsTable>((static_cast<size_t>(ui_.stats) + 1) % std::size(kStatsTables));
            break;
        case Action::Findings:
            ui_.overlay = Overlay::Findings;
            break;
        case Action::Dump: dump(); break;
        case Action::Pick:
        case Action::LeavePane:
        case Action::Close:
        case Action::PromptConfirm:
        case Action::PromptCancel:
        case Action::PromptErase: break;
    }
}

void DashboardController::focus_pane(int direction) {
    constexpr Focus kOrder[] = {Focus::Calls, Focus::Processes, Focus::Readers};
    size_t at = 0;
    for (size_t i = 0; i < std::size(kOrder); ++i)
        if (kOrder[i] == ui_.focus) at = i;
    const size_t n = std::size(kOrder);
    at = direction > 0 ? (at + 1) % n : (at + n - 1) % n;
    ui_.focus = kOrder[at];
    // Start from the filtered row, else the first one.
    if (ui_.focus == Focus::Processes && !ui_.pane.process) {
        auto rows = process_rows(model_, ui_.process_order, model_.latest_ts_us());
        ui_.pane.process = ui_.filter.process ? ui_.filter.process
                           : rows.empty()     ? std::nullopt
                                              : std::optional<size_t>(rows.front().process->index);
    }
    if (ui_.focus == Focus::Readers && !ui_.pane.reader) {
        ui_.pane.reader = ui_.filter.reader ? ui_.filter.reader
                          : model_.readers().empty() ? std::nullopt
                                                     : std::optional<size_t>(0);
    }
    if (ui_.focus != Focus::Calls) ui_.message = {"Up/Down select, Enter filters by it, Tab next pane, Esc back to the calls", Role::Dim};
}

void DashboardController::act_pane(Action action) {
    // The rows of the focused pane, in the order it shows them (model indexes).
    std::vector<size_t> rows;
    if (ui_.focus == Focus::Processes)
        for (const ProcessRow& r : process_rows(model_, ui_.process_order, model_.latest_ts_us()))
            rows.push_back(r.process->index);
    else
        rows = reader_rows(model_);
    std::optional<size_t>& selected = ui_.focus == Focus::Processes ? ui_.pane.process : ui_.pane.reader;
    std::optional<size_t>& filter = ui_.focus == Focus::Processes ? ui_.filter.process : ui_.filter.reader;
    size_t at = 0;
    for (size_t i = 0; i < rows.size(); ++i)
        if (selected && rows[i] == *selected) at = i;
    const size_t page = 5;
    switch (action) {
        case Action::Up: at -= std::min<size_t>(at, 1); break;
        case Action::Down: ++at; break;
        case Action::PageUp: at -= std::min(at, page); break;
        case Action::PageDown: at += page; break;
        case Action::Home: at = 0; break;
        case Action::End: at = rows.empty() ? 0 : rows.size() - 1; break;
        case Action::Pick: {
            if (rows.empty()) return;
            const size_t index = rows[std::min(at, rows.size() - 1)];
            if (filter == index) {
                filter.reset();
                ui_.message = {"filter removed", Role::Dim};
            } else {
                filter = index;
                ui_.message = {"calls of this " + std::string(ui_.focus == Focus::Processes ? "process" : "reader") +
                                   " only (Enter again: all)",
                               Role::Dim};
            }
            CallNavigator(model_, ui_.filter, ui_.cursor).end();
            return;
        }
        case Action::LeavePane:
            ui_.focus = Focus::Calls;
            ui_.message = {};
            return;
        default: return;
    }
    if (!rows.empty()) selected = rows[std::min(at, rows.size() - 1)];
}

void DashboardController::act_overlay(Action action) {
    // Detail and help scroll; the findings move their selection.
    size_t* scroll = ui_.overlay == Overlay::Detail ? &ui_.detail.scroll
                     : ui_.overlay == Overlay::Help ? &ui_.help_scroll
                                                    : &ui_.findings.selected;
    const size_t page_rows = ui_.overlay == Overlay::Detail     ? ui_.detail.page_rows
                             : ui_.overlay == Overlay::Findings ? ui_.findings.page_rows
                                                                : 10;
    const size_t page = std::max<size_t>(page_rows, 2) - 1;
    switch (action) {
        case Action::Up: *scroll -= std::min<size_t>(*scroll, 1); break;
        case Action::Down: ++*scroll; break;  // the frame clamps it
        case Action::PageUp: *scroll -= std::min(*scroll, page); break;
        case Action::PageDown: *scroll += page; break;
        case Action::Home: *scroll = 0; break;
        case Action::End: *scroll = SIZE_MAX / 2; break;
        case Action::Open:
            if (ui_.overlay == Overlay::Findings) show_finding_call();
            else ui_.overlay = Overlay::None;
            break;
        case Action::Close: ui_.overlay = Overlay::None; break;
        default: break;
    }
}

void DashboardController::act_prompt(Action action) {
    if (ui_.filter_prompt.editing) {
        act_filter_prompt(action);
        return;
    }
    switch (action) {
        case Action::PromptConfirm: {
            ui_.search.editing = false;
            ui_.search.query = ui_.search.input;
            ui_.search.matches = 0;
            if (ui_.search.query.empty()) break;
            CallSearch search(ui_.search.query, show_secrets_);
            for (const CallRecord& c : model_.calls())
                if (ui_.filter.matches(model_, c) && search.matches(model_, c)) ++ui_.search.matches;
            if (ui_.search.matches == 0)
                ui_.message = {"no call matches \"" + ui_.search.query + "\"", Role::Warn};
            else
                ui_.message = {std::to_string(ui_.search.matches) + " calls match \"" + ui_.search.query +
                                   "\" (n: older, N: newer)",
                               Role::Normal};
            break;
        }
        case Action::PromptCancel:
            ui_.search.editing = false;
            ui_.cursor = ui_.search.origin;
            break;
        case Action::PromptErase:
            erase_last_utf8(ui_.search.input);
            search_as_you_type();
            break;
        default: break;
    }
}

void DashboardController::act_filter_prompt(Action action) {
    FilterPromptState& p = ui_.filter_prompt;
    switch (action) {
        case Action::PromptConfirm: {
            if (p.input.find_first_not_of(' ') == std::string::npos) {
                p = {};
                if (ui_.filter.expression) {
                    ui_.filter.expression.reset();
                    ui_.message = {"filter expression removed", Role::Dim};
                    CallNavigator(model_, ui_.filter, ui_.cursor).end();
                }
                break;
            }
            auto parsed = CallFilterExpression::parse(p.input);
            if (!parsed.expression) {
                // The prompt stays open with the text, to be mended.
                p.error = parsed.error->text();
                ui_.message = {"bad filter: " + p.error, Role::Error};
                break;
            }
            ui_.filter.expression = std::move(parsed.expression);
            p = {};
            CallNavigator(model_, ui_.filter, ui_.cursor).end();
            uint64_t n = 0;
            for (const CallRecord& c : model_.calls()) n += ui_.filter.matches(model_, c);
            ui_.message = {std::to_string(n) + " kept calls pass the filter (f edits it, c clears it)",
                           n ? Role::Normal : Role::Warn};
            break;
        }
        case Action::PromptCancel: p = {}; break;
        case Action::PromptErase:
            erase_last_utf8(p.input);
            check_filter_input();
            break;
        default: break;
    }
}

void DashboardController::check_filter_input() {
    FilterPromptState& p = ui_.filter_prompt;
    p.error.clear();
    if (p.input.find_first_not_of(' ') == std::string::npos) return;
    auto parsed = CallFilterExpression::parse(p.input);
    if (parsed.error) p.error = parsed.error->text();
}

void DashboardController::type(int code_point) {
    if (ui_.filter_prompt.editing) {
        if (ui_.filter_prompt.input.size() < kFilterMaxBytes) append_utf8(ui_.filter_prompt.input, code_point);
        check_filter_input();
        return;
    }
    if (ui_.search.input.size() < kMaxSearchBytes) append_utf8(ui_.search.input, code_point);
    search_as_you_type();
}

void DashboardController::search_as_you_type() {
    // From where the list was when the prompt opened.
    ui_.cursor = ui_.search.origin;
    if (ui_.search.input.empty()) return;
    CallNavigator nav(model_, ui_.filter, ui_.cursor);
    uint64_t from = ui_.cursor.following() ? nav.limit() : ui_.cursor.selected;
    uint64_t o = find_match(ui_.search.input, from, -1);
    if (o == 0) o = find_match(ui_.search.input, from, +1);
    if (o) nav.select(o);
}

uint64_t DashboardController::find_match(const std::string& query, uint64_t from, int direction) const {
    CallSearch search(query, show_secrets_);
    if (search.empty()) return 0;
    CallCursor cursor = ui_.cursor;
    CallNavigator nav(model_, ui_.filter, cursor);
    const uint64_t first = model_.first_kept_ordinal();
    for (uint64_t o = nav.find(from, direction); o != 0;
         o = direction < 0 ? (o > first ? nav.find(o - 1, -1) : 0) : nav.find(o + 1, +1))
        if (search.matches(model_, *model_.call_at(o))) return o;
    return 0;
}

void DashboardController::jump_to_match(int direction) {
    if (ui_.search.query.empty()) {
        ui_.message = {"no search: / starts one", Role::Dim};
        return;
    }
    CallNavigator nav(model_, ui_.filter, ui_.cursor);
    uint64_t from = ui_.cursor.following() ? nav.limit() + (direction < 0 ? 1 : 0) : ui_.cursor.selected;
    if (from == 0) return;
    uint64_t start = direction < 0 ? from - 1 : from + 1;
    uint64_t o = start == 0 ? 0 : find_match(ui_.search.query, start, direction);
    if (o == 0) {
        ui_.message = {std::string("no ") + (direction < 0 ? "older" : "newer") + " match for \"" + ui_.search.query + "\"",
                       Role::Warn};
        return;
    }
    nav.select(o);
}

void DashboardController::cycle_process() {
    // The next process by index (indexes are serials: folded ones are skipped).
    const auto& procs = model_.processes();
    auto next = procs.begin();
    if (ui_.filter.process)
        next = std::upper_bound(procs.begin(), procs.end(), *ui_.filter.process,
                                [](size_t i, const ProcessInfo& p) { return i < p.index; });
    if (next != procs.end()) ui_.filter.process = next->index;
    else ui_.filter.process.reset();
    CallNavigator(model_, ui_.filter, ui_.cursor).end();
}

void DashboardController::cycle_reader() {
    const size_t n = model_.readers().size();
    if (!ui_.filter.reader) ui_.filter.reader = n ? std::optional<size_t>(0) : std::nullopt;
    else if (*ui_.filter.reader + 1 < n) ++*ui_.filter.reader;
    else ui_.filter.reader.reset();
    CallNavigator(model_, ui_.filter, ui_.cursor).end();
}

void DashboardController::open_detail() {
    CallNavigator nav(model_, ui_.filter, ui_.cursor);
    uint64_t ordinal = ui_.cursor.following() ? nav.find(nav.limit(), -1) : ui_.cursor.selected;
    const CallRecord* call = ordinal ? model_.call_at(ordinal) : nullptr;
    if (!call) {
        ui_.message = {"no call to show", Role::Dim};
        return;
    }
    ui_.detail = DetailState{ordinal, detail_lines(model_, *call, show_secrets_, glyphs_), 0, ui_.detail.page_rows};
    ui_.overlay = Overlay::Detail;
}

void DashboardController::dump() {
    if (!services_.dump || !services_.dump_path) return;
    std::string path = services_.dump_path();
    if (auto err = services_.dump(path)) ui_.message = {"dump failed: " + *err, Role::Error};
    else ui_.message = {"session dumped to " + path, Role::Ok};
}

void DashboardController::show_finding_call() {
    const auto& findings = model_.findings();
    if (ui_.findings.selected >= findings.size()) return;
    const Finding& f = findings[ui_.findings.selected];
    uint64_t ordinal = finding_call(model_, f);
    if (ordinal == 0) {
        ui_.message = {f.seq ? "that call is no longer in the history" : "this finding is about no single call", Role::Warn};
        return;
    }
    if (!ui_.filter.matches(model_, *model_.call_at(ordinal))) ui_.filter = {};
    CallNavigator nav(model_, ui_.filter, ui_.cursor);
    if (ui_.cursor.paused && ordinal > nav.limit()) ui_.cursor.paused = false;
    nav.select(ordinal);
    ui_.overlay = Overlay::None;
}

}  // namespace pcscspy::dashboard
