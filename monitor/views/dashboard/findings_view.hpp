// The correctness checker's findings as a list: when, which process, what kind,
// which call, and the explanation.
#pragma once

#include <vector>

#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/view_context.hpp"

namespace pcscspy::dashboard {

// The column heading and one line per finding, fitted to `width`, in the
// checker's order (the order it found them).
StyledLine findings_heading(const Glyphs& glyphs, size_t width);
std::vector<StyledLine> findings_lines(const ViewContext& ctx, size_t width);

// The kept call a finding is about (0: none kept): its process and seq.
uint64_t finding_call(const SessionModel& model, const Finding& finding);

}  // namespace pcscspy::dashboard
