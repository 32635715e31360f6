// One screenful of the dashboard as data: styled lines at positions. The
// view-model builds it from the model and the user's choices; the ncurses layer
// only draws it; tests read it as text (frame_text).
#pragma once

#include <string>
#include <vector>

#include "monitor/views/dashboard/layout.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/ui_state.hpp"
#include "monitor/views/dashboard/view_context.hpp"

namespace pcscspy::dashboard {

struct PlacedLine {
    int y = 0, x = 0;
    StyledLine line;  // fitted to its width; later lines are drawn over earlier ones
    bool operator==(const PlacedLine&) const = default;
};

struct Frame {
    int rows = 0, cols = 0;
    std::vector<PlacedLine> lines;
    // Something on screen changes with the clock alone (lights fading, calls
    // in flight): redraw a few times a second even without events.
    bool animated = false;
    bool operator==(const Frame&) const = default;
};

// Builds the frame for a terminal of rows x cols (normalises the parts of `ui`
// that depend on the size: scrolling, page sizes).
Frame build_frame(const ViewContext& ctx, UiState& ui, int rows, int cols);

// The frame as plain text, one string per row (lights as their no-colour
// characters), for tests and benchmarks.
std::vector<std::string> frame_text(const Frame& frame);

}  // namespace pcscspy::dashboard
