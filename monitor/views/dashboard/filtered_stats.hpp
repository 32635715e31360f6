// The statistics of the calls that pass the call list's filter (UiState::
// filtered): the stats pane and the call list's heading show them instead of
// the session's while a filter is set. Counted over the kept calls (the history):
// exact unless calls the filter would have passed had already left it, which
// FilteredStats::partial says.
#pragma once

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/ui_state.hpp"

namespace pcscspy::dashboard {

// Brings `stats` up to date for `filter`: counts the calls that arrived since the
// last update, or starts again from the oldest kept call when the filter changed.
// Cleared when no filter is set.
void update_filtered_stats(const SessionModel& model, const CallFilter& filter, FilteredStats& stats);

}  // namespace pcscspy::dashboard
