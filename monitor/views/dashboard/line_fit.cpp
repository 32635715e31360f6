#include "monitor/views/dashboard/line_fit.hpp"

namespace pcscspy::dashboard {

size_t line_width(const StyledLine& line) {
    size_t w = 0;
    for (const Span& s : line.spans) w += display_width(s.text);
    return w;
}

StyledLine fit_line(StyledLine line, size_t width, const Glyphs& glyphs) {
    size_t used = 0;
    size_t keep = 0;
    for (; keep < line.spans.size(); ++keep) {
        Span& s = line.spans[keep];
        size_t w = display_width(s.text);
        if (used + w <= width) {
            used += w;
            continue;
        }
        s.text = truncate(s.text, width - used, glyphs);
        used += display_width(s.text);
        ++keep;
        break;
    }
    line.spans.resize(keep);
    if (used < width) line.spans.push_back(Span{spaces(width - used), line.fill, std::nullopt});
    return line;
}

StyledLine join_left_right(StyledLine left, StyledLine right, size_t width, const Glyphs& glyphs) {
    size_t lw = line_width(left), rw = line_width(right);
    if (rw == 0 || lw + 1 + rw > width) return fit_line(std::move(left), width, glyphs);
    left.spans.push_back(Span{spaces(width - lw - rw), left.fill, std::nullopt});
    for (Span& s : right.spans) left.spans.push_back(std::move(s));
    return left;
}

}  // namespace pcscspy::dashboard
