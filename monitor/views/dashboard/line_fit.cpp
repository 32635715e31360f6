#include "monitor/views/dashboard/line_fit.hpp"

namespace pcscspy::dashboard {

size_t line_width(const StyledLine& line) {
    size_t w = 0;
    for (const Span& s : line.spans) w += display_width(s.text);
    return w;
}

StyledLine skip_columns(StyledLine line, size_t columns) {
    size_t to_skip = columns;
    size_t first = 0;
    for (; first < line.spans.size() && to_skip > 0; ++first) {
        Span& s = line.spans[first];
        const size_t w = display_width(s.text);
        if (w <= to_skip) {
            to_skip -= w;
            continue;
        }
        // Cut inside this span, character by character (a UTF-8 sequence each).
        auto sequence = [&](size_t at) {
            size_t len = 1;
            while (at + len < s.text.size() && (static_cast<unsigned char>(s.text[at + len]) & 0xC0) == 0x80) ++len;
            return std::string_view(s.text).substr(at, len);
        };
        size_t i = 0, skipped = 0;
        while (i < s.text.size() && skipped < to_skip) {
            std::string_view ch = sequence(i);
            skipped += display_width(ch);
            i += ch.size();
        }
        // Combining characters of the last one skipped go with it.
        while (i < s.text.size() && display_width(sequence(i)) == 0) i += sequence(i).size();
        s.text = std::string(skipped - to_skip, ' ') + s.text.substr(i);
        to_skip = 0;
        break;
    }
    line.spans.erase(line.spans.begin(), line.spans.begin() + static_cast<long>(first));
    return line;
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
