// The dashboard's panes as data: each builder turns the model (and the user's
// choices) into a heading line and rows of styled cells fitted to a width.
// No terminal involved: tests read these directly.
#pragma once

#include <cstddef>
#include <vector>

#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/ui_state.hpp"
#include "monitor/views/dashboard/view_context.hpp"

namespace pcscspy::dashboard {

struct Pane {
    StyledLine heading;            // the title and column names
    std::vector<StyledLine> rows;  // at most the rows asked for, each fitted
    size_t total = 0;              // rows the pane has in all (processes, readers, table rows)
    bool animated = false;         // shows something that changes with the clock alone
};

// One row per traced process: light, name, pid, calls, errors, rate, what it
// is doing now, command line. Running processes first (arrival order), then
// the ended ones, most recent first; the filtered process is always shown.
Pane process_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows);

// One row per reader: light, name, card, APDUs, last SW, transaction holder, ATR and card name.
Pane reader_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows);

// The calls shown by the call list's window (normalises ui.cursor for `rows`).
Pane call_list_pane(const ViewContext& ctx, UiState& ui, size_t width, size_t rows);

// Time per function, reader or process (ui.stats), sorted by total time.
Pane stats_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows);

// The top bar: mode, source, uptime, counters, filters.
StyledLine top_bar(const ViewContext& ctx, const UiState& ui, size_t width);

// The bottom line: the search prompt, or key hints and the last message.
StyledLine footer(const ViewContext& ctx, const UiState& ui, size_t width);

// What the process pane says a process is doing now, e.g. "SCardTransmit 0.4s",
// "SCardBeginTransaction blocked 4.0s" (warning), "SCardGetStatusChange 12.3s"
// (calm), "in transaction 1.2s", "idle", "exited 14:03:27".
struct Doing {
    std::string text;
    Role role = Role::Dim;
    bool animated = false;
};
Doing process_doing(const ViewContext& ctx, const ProcessInfo& p);

}  // namespace pcscspy::dashboard
