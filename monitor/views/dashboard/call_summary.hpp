// The call list's main column: what a call did, in one line. A transmit shows
// its decoded APDU (INS name, applet, P1/P2 meaning, data length, then → the SW
// coloured by its class and its meaning); other calls their key arguments with
// short constant names (per function: kCallSummaries in the .cpp); a failing
// call ends with its return code in red.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

std::vector<Span> call_summary(const SessionModel& model, const CallRecord& call, const Glyphs& glyphs);

// PC/SC constant names without their family prefix, for narrow columns:
// "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT" -> "CHANGED|PRESENT".
std::string compact_constants(std::string_view text);

// The role a status word is shown with (success green, warning yellow, error red).
Role sw_role(uint16_t sw, AppletKind applet);

}  // namespace pcscspy::dashboard
