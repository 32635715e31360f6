// The call list's window on the history: which kept calls match the filters,
// which of them the list shows for a given height (newest at the bottom,
// following the newest unless a call is selected or the list is paused), and
// moving the selection by matching calls. Costs O(rows shown × calls skipped by
// the filter), never a pass over the whole history per frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/ui_state.hpp"

namespace pcscspy::dashboard {

struct CallWindow {
    std::vector<const CallRecord*> rows;  // oldest first
    uint64_t selected = 0;                // 0: none (following)
    uint64_t newest_shown_limit = 0;      // the newest call the list may show now
    uint64_t newer_while_paused = 0;      // calls that arrived since the pause
};

class CallNavigator {
public:
    CallNavigator(const SessionModel& model, const CallFilter& filter, CallCursor& cursor)
        : model_(model), filter_(filter), cursor_(cursor) {}

    // The newest call the list may show: the newest kept one, or the newest at
    // the time of the pause.
    uint64_t limit() const;
    // The nearest matching call from `ordinal` going older (direction -1) or
    // newer (+1), `ordinal` included; 0 when there is none.
    uint64_t find(uint64_t ordinal, int direction) const;
    const CallRecord* at(uint64_t ordinal) const;

    // The rows for a list of `rows` lines; repairs the cursor (a selected call
    // that left the history or no longer matches the filter) and keeps the
    // selection inside the window.
    CallWindow window(size_t rows);

    // Moves the selection by `delta` matching calls (negative: older). From the
    // following state, the newest call counts as selected.
    void move(long delta);
    void home();    // the oldest kept matching call
    void end();     // back to following the newest call
    void select(uint64_t ordinal);  // a given call (it must be kept)
    void toggle_pause();

private:
    bool matches(uint64_t ordinal) const;
    uint64_t first() const { return model_.first_kept_ordinal(); }

    const SessionModel& model_;
    const CallFilter& filter_;
    CallCursor& cursor_;
};

}  // namespace pcscspy::dashboard
