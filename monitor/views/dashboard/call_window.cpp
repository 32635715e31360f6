#include "monitor/views/dashboard/call_window.hpp"

#include <algorithm>

namespace pcscspy::dashboard {

uint64_t CallNavigator::limit() const {
    uint64_t newest = model_.calls().empty() ? 0 : model_.calls().back().ordinal;
    return cursor_.paused ? std::min(newest, cursor_.paused_at) : newest;
}

const CallRecord* CallNavigator::at(uint64_t ordinal) const {
    return ordinal <= limit() ? model_.call_at(ordinal) : nullptr;
}

bool CallNavigator::matches(uint64_t ordinal) const {
    const CallRecord* c = at(ordinal);
    return c && filter_.matches(model_, *c);
}

uint64_t CallNavigator::find(uint64_t ordinal, int direction) const {
    const uint64_t lo = first(), hi = limit();
    if (hi < lo) return 0;
    if (ordinal < lo) {
        if (direction < 0) return 0;
        ordinal = lo;
    }
    if (ordinal > hi) {
        if (direction > 0) return 0;
        ordinal = hi;
    }
    for (uint64_t o = ordinal;; o = direction < 0 ? o - 1 : o + 1) {
        if (matches(o)) return o;
        if ((direction < 0 && o == lo) || (direction > 0 && o == hi)) return 0;
    }
}

CallWindow CallNavigator::window(size_t rows) {
    CallWindow w;
    w.newest_shown_limit = limit();
    if (cursor_.paused && !model_.calls().empty())
        w.newer_while_paused = model_.calls().back().ordinal - w.newest_shown_limit;
    if (rows == 0) return w;

    // Repair the selection.
    if (cursor_.selected != 0 && !matches(cursor_.selected)) {
        uint64_t s = find(cursor_.selected, -1);
        if (s == 0) s = find(cursor_.selected, +1);
        cursor_.selected = s;
        if (s == 0) cursor_.top = 0;
    }

    if (cursor_.following()) {
        for (uint64_t o = find(limit(), -1); o != 0 && w.rows.size() < rows; o = o > first() ? find(o - 1, -1) : 0)
            w.rows.push_back(at(o));
        std::reverse(w.rows.begin(), w.rows.end());
        return w;
    }

    w.selected = cursor_.selected;
    if (cursor_.top == 0 || cursor_.top > cursor_.selected || !matches(cursor_.top)) {
        uint64_t t = cursor_.top ? find(std::min(cursor_.top, cursor_.selected), +1) : 0;
        cursor_.top = t && t <= cursor_.selected ? t : cursor_.selected;
    }
    auto fill_from = [&](uint64_t top) {
        w.rows.clear();
        for (uint64_t o = top; o != 0 && w.rows.size() < rows; o = find(o + 1, +1)) w.rows.push_back(at(o));
    };
    fill_from(cursor_.top);
    bool selected_shown = std::any_of(w.rows.begin(), w.rows.end(),
                                      [&](const CallRecord* c) { return c->ordinal == cursor_.selected; });
    if (!selected_shown || w.rows.size() < rows) {
        // Scroll so that the selection is on the last line, or fill the list up
        // when it ends before its last line.
        uint64_t anchor = selected_shown ? w.rows.back()->ordinal : cursor_.selected;
        uint64_t t = anchor;
        for (size_t n = 1; n < rows; ++n) {
            uint64_t prev = t > first() ? find(t - 1, -1) : 0;
            if (prev == 0) break;
            t = prev;
        }
        cursor_.top = t;
        fill_from(t);
    }
    return w;
}

void CallNavigator::move(long delta) {
    uint64_t from = cursor_.following() ? find(limit(), -1) : cursor_.selected;
    if (from == 0) return;
    uint64_t o = from;
    for (long n = 0; n < (delta < 0 ? -delta : delta); ++n) {
        uint64_t next = delta < 0 ? (o > first() ? find(o - 1, -1) : 0) : find(o + 1, +1);
        if (next == 0) {
            // Moving down past the newest call follows it again (unless paused).
            if (delta > 0 && !cursor_.paused) {
                end();
                return;
            }
            break;
        }
        o = next;
    }
    cursor_.selected = o;
}

void CallNavigator::home() {
    uint64_t o = find(first(), +1);
    if (o == 0) return;
    cursor_.selected = o;
    cursor_.top = o;
}

void CallNavigator::end() {
    cursor_.selected = 0;
    cursor_.top = 0;
}

void CallNavigator::select(uint64_t ordinal) {
    if (!at(ordinal)) return;
    cursor_.selected = ordinal;
}

void CallNavigator::toggle_pause() {
    cursor_.paused = !cursor_.paused;
    if (cursor_.paused) cursor_.paused_at = model_.calls().empty() ? 0 : model_.calls().back().ordinal;
}

}  // namespace pcscspy::dashboard
