// Where each pane goes for a terminal size: the top bar, processes, readers,
// the call list (the main pane, given the most room), statistics and the
// footer. Panes shrink to what they hold, within caps; on wide terminals the
// statistics sit beside the call list. Below 80x24 nothing fits well: the
// screen says so instead.
#pragma once

#include <cstddef>

namespace pcscspy::dashboard {

inline constexpr int kMinRows = 24, kMinCols = 80;
// From this width the statistics go beside the call list.
inline constexpr int kSideBySideCols = 160;

struct Rect {
    int y = 0, x = 0, height = 0, width = 0;
    bool empty() const { return height <= 0 || width <= 0; }
    bool operator==(const Rect&) const = default;
};

// Rows each pane would like (its number of entries; at least 1 for its
// "nothing yet" line).
struct PaneNeeds {
    size_t processes = 1, readers = 1, stats = 1;
};

// Pane rectangles include their heading line.
struct Layout {
    bool too_small = false;
    Rect top, processes, readers, calls, stats, footer;
    Rect middle;  // between the top bar and the footer (overlays)
};

Layout compute_layout(int rows, int cols, PaneNeeds needs);

}  // namespace pcscspy::dashboard
