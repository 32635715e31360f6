// What the dashboard's user has chosen: filters, the call list's selection and
// scrolling, pause, search, which statistics table, which overlay is open, and
// the last message. Plain data, changed by the controller (key actions) and
// normalised by the view-model; no terminal in sight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monitor/model/call_record.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy::dashboard {

// The call list's filters: indexes into SessionModel::processes() / readers().
struct CallFilter {
    std::optional<size_t> process;
    std::optional<size_t> reader;

    bool active() const { return process || reader; }
    bool matches(const CallRecord& c) const {
        return (!process || c.process == *process) &&
               (!reader || (c.reader >= 0 && static_cast<size_t>(c.reader) == *reader));
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
    size_t call_scroll = 0;  // columns of the CALL text scrolled off to the left (← →)
    StatsTable stats = StatsTable::Functions;
    bool stats_hidden = false;  // `S`: the call list takes the statistics' room
    Overlay overlay = Overlay::None;
    DetailState detail;
    FindingsState findings;
    size_t help_scroll = 0;
    Message message;
    bool quit = false;
};

}  // namespace pcscspy::dashboard
