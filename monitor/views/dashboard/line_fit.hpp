// Cutting and padding whole styled lines to a pane's width.
#pragma once

#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

// Exactly `width` columns: spans past the width are dropped, the one that
// crosses it is cut with an ellipsis, and a span of spaces in the line's fill
// role pads a short line.
StyledLine fit_line(StyledLine line, size_t width, const Glyphs& glyphs);

// The line without its first `columns` columns (horizontal scrolling); a wide
// character cut in two leaves a space.
StyledLine skip_columns(StyledLine line, size_t columns);

// Columns the line takes.
size_t line_width(const StyledLine& line);

// `left` then `right`, right-aligned in `width` columns; `right` is dropped
// when both do not fit with at least one space between them.
StyledLine join_left_right(StyledLine left, StyledLine right, size_t width, const Glyphs& glyphs);

}  // namespace pcscspy::dashboard
