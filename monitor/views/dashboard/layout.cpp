#include "monitor/views/dashboard/layout.hpp"

#include <algorithm>

namespace pcscspy::dashboard {

namespace {

constexpr int kMinCallRows = 6;

int want(size_t n, int cap) { return std::clamp(static_cast<int>(std::min<size_t>(n, 10'000)), 1, std::max(cap, 1)); }

}  // namespace

Layout compute_layout(int rows, int cols, PaneNeeds needs, bool stats_hidden_by_user) {
    Layout l;
    if (rows < kMinRows || cols < kMinCols) {
        l.too_small = true;
        return l;
    }
    l.top = {0, 0, 1, cols};
    l.footer = {rows - 1, 0, 1, cols};
    l.middle = {1, 0, rows - 2, cols};
    const int avail = rows - 2;
    const bool side = !stats_hidden_by_user && cols >= kSideBySideCols;

    int p = want(needs.processes, std::max(3, avail / 5));
    int r = want(needs.readers, std::max(2, avail / 7));
    int s = side || stats_hidden_by_user ? 0 : want(needs.stats, std::max(3, avail / 5));
    auto calls = [&] { return avail - (1 + p) - (1 + r) - (side || stats_hidden_by_user ? 0 : 1 + s) - 1; };
    // The call list is the main pane: the others give way, stats first.
    while (calls() < kMinCallRows && s > 2) --s;
    while (calls() < kMinCallRows && p > 1) --p;
    while (calls() < kMinCallRows && r > 1) --r;
    bool stats_hidden = stats_hidden_by_user;
    if (!side && calls() < kMinCallRows) stats_hidden = true;

    int y = 1;
    l.processes = {y, 0, 1 + p, cols};
    y += 1 + p;
    l.readers = {y, 0, 1 + r, cols};
    y += 1 + r;
    const int rest = avail - (y - 1);
    if (side) {
        const int stats_w = std::clamp(cols - kCallListWidth - 1, kMinStatsWidth, 120);
        l.calls = {y, 0, rest, cols - stats_w - 1};
        l.stats = {y, cols - stats_w, rest, stats_w};
    } else if (stats_hidden) {
        l.calls = {y, 0, rest, cols};
    } else {
        l.calls = {y, 0, rest - (1 + s), cols};
        l.stats = {y + rest - (1 + s), 0, 1 + s, cols};
    }
    return l;
}

}  // namespace pcscspy::dashboard
