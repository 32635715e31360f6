// Where each pane goes for a terminal size: the top bar, processes, readers,
// the call list (the main pane, given the most room), statistics and the
// footer. Panes shrink to what they hold, within caps. The call text gets the
// width first: the statistics sit beside the call list only when the list still
// keeps kCallListWidth columns; the user may hide them. Below 80x24 nothing fits
// well: the screen says so instead.
#pragma once

#include <cstddef>

namespace pcscspy::dashboard {

inline constexpr int kMinRows = 24, kMinCols = 80;
// The call list's width before the statistics may take a side: from
// kCallListWidth + 1 + kMinStatsWidth columns they go beside it (narrower, they
// go below, where they cost rows, not call text).
inline constexpr int kCallListWidth = 160;
inline constexpr int kMinStatsWidth = 72;
inline constexpr int kSideBySideCols = kCallListWidth + 1 + kMinStatsWidth;

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

// `stats_hidden`: the call list takes the statistics' room.
Layout compute_layout(int rows, int cols, PaneNeeds needs, bool stats_hidden = false);

}  // namespace pcscspy::dashboard
