// The call list's main column: what a call did, in one line (the pieces of
// views/call_summary.hpp, shared with the text mode's --brief), styled: the
// decoded APDU, the SW coloured by its class, a failing call's return code in red.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/call_summary.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

std::vector<Span> call_summary(const SessionModel& model, const CallRecord& call, const Glyphs& glyphs);

using pcscspy::compact_constants;

// The role a status word is shown with (success green, warning yellow, error red).
Role sw_role(uint16_t sw, AppletKind applet);

}  // namespace pcscspy::dashboard
