// What the dashboard's user has chosen: filters, the call list's selection and
// scrolling, pause, search, which pane has the focus, the process pane's order,
// which statistics table, which overlay is open, and the last message. Plain
// data, changed by the controller (key actions) and normalised by the
// view-model; no terminal in sight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "monitor/model/call_filter_expression.hpp"
#include "monitor/model/call_record.hpp"
#include "monitor/model/call_stats.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy::dashboard {

// The call list's filters: a process and a reader (indexes into
// SessionModel::processes() / readers()) and an expression (`f`); a call must
// pass all that are set. The statistics and the list's heading follow them.
struct CallFilter {
    std::optional<size_t> process;
    std::optional<size_t> reader;
    std::shared_ptr<const CallFilterExpression> expression;

    bool active() const { return process || reader || expression; }
    bool matches(const SessionModel& model, const CallRecord& c) const {
        return (!process || c.process == *process) &&
               (!reader || (c.reader >= 0 && static_cast<size_t>(c.reader) == *reader)) &&
               (!expression || expression->matches(model, c));
    }
    bool operator==(const CallFilter& o) const {
        return process == o.process && reader == o.reader && expression == o.expression;
    }
};

// Scrolling of the call list. Ordinals are SessionModel's (1-based, never reused).
struct CallCursor {
    uint64_t selected = 0;   // the selected call; 0: none, the list follows the newest call
    uint64_t top = 0;        // first call shown while a call is selected
    bool paused = false;     // the list stays as it was (events are still collected)
    uint64_t paused_at = 0;  // the newest call when the pause began
    size_t page_rows = 10;   // rows of the call list in the last frame (PgUp/PgDn)

    bool following() const { return selected == 0; }
};

enum class StatsTable : uint8_t { Functions, Readers, Processes };
inline constexpr Named kStatsTables[] = {
    {static_cast<uint64_t>(StatsTable::Functions), "per function", "by function"},
    {static_cast<uint64_t>(StatsTable::Readers), "per reader", "by reader"},
    {static_cast<uint64_t>(StatsTable::Processes), "per process", "by process"},
};

enum class Overlay : uint8_t { None, Help, Detail, Findings };

struct SearchState {
    std::string query;     // the search in force ("" none)
    bool editing = false;  // the prompt is open
    std::string input;     // what is being typed
    uint64_t matches = 0;  // matching kept calls, counted when the search was confirmed
    CallCursor origin;     // the list as it was when the prompt opened (Esc goes back)
};

// The filter prompt (`f`), in the footer like the search's.
struct FilterPromptState {
    bool editing = false;
    std::string input;  // the expression being typed (starts as the one in force)
    std::string error;  // why the input does not parse yet ("" it does, or is empty)
};

// Which pane the arrows and Enter work in (Tab moves on).
enum class Focus : uint8_t { Calls, Processes, Readers };

// The process pane's order: by a column (`o` cycles, `O` reverses), as a tree of
// parents and children (`T`). Default: running processes first, in arrival order.
enum class ProcessSort : uint8_t { Arrival, Name, Pid, Calls, Errors, Rate };
inline constexpr Named kProcessSorts[] = {
    {static_cast<uint64_t>(ProcessSort::Arrival), "arrival", "running first, in arrival order"},
    {static_cast<uint64_t>(ProcessSort::Name), "name", "NAME"},
    {static_cast<uint64_t>(ProcessSort::Pid), "pid", "PID"},
    {static_cast<uint64_t>(ProcessSort::Calls), "calls", "CALLS"},
    {static_cast<uint64_t>(ProcessSort::Errors), "errors", "ERR"},
    {static_cast<uint64_t>(ProcessSort::Rate), "rate", "RATE"},
};
struct ProcessOrder {
    ProcessSort sort = ProcessSort::Arrival;
    bool reversed = false;  // numbers: largest first unless reversed; names: A-Z unless reversed
    bool tree = false;
};

// The rows selected in the process and reader panes (indexes into the model's
// processes() / readers(); kept by identity, so a reordering keeps them).
struct PaneSelection {
    std::optional<size_t> process;
    std::optional<size_t> reader;
};

// Statistics computed over the calls that pass the filter, kept up to date
// frame by frame (only the calls that arrived since are looked at); rebuilt
// from the kept calls when the filter changes.
struct FilteredStats {
    CallFilter filter;             // the filter they were computed for
    uint64_t next_ordinal = 0;     // calls before this one were counted (0: nothing yet)
    uint64_t first_counted = 0;    // the oldest call counted
    bool partial = false;          // calls of the filter had already left the history
    uint64_t calls = 0;            // calls that passed
    FunctionStatsTable functions;  // per function, with durations
    std::vector<CallStats> readers;    // by reader index
    std::unordered_map<size_t, CallStats> processes;  // by ProcessInfo::index (a sparse serial)
};

// The detail of one call, built when it was opened (the call may leave the
// history while it is shown).
struct DetailState {
    uint64_t ordinal = 0;
    std::vector<StyledLine> lines;  // not fitted: cut to the overlay's width when drawn
    size_t scroll = 0;
    size_t page_rows = 10;
};

struct FindingsState {
    size_t selected = 0;
    size_t top = 0;
    size_t page_rows = 10;
};

struct Message {
    std::string text;  // plain text (sanitised when drawn)
    Role role = Role::Normal;
};

struct UiState {
    CallFilter filter;
    CallCursor cursor;
    SearchState search;
    FilterPromptState filter_prompt;
    Focus focus = Focus::Calls;
    PaneSelection pane;
    ProcessOrder process_order;
    size_t call_scroll = 0;  // columns of the CALL text scrolled off to the left (← →)
    StatsTable stats = StatsTable::Functions;
    bool stats_hidden = false;  // `S`: the call list takes the statistics' room
    FilteredStats filtered;
    Overlay overlay = Overlay::None;
    DetailState detail;
    FindingsState findings;
    size_t help_scroll = 0;
    Message message;
    bool quit = false;
};

}  // namespace pcscspy::dashboard
