// The detail of one call (Enter): who made it and when, its result, every
// argument in and out with symbolic names and hex dumps with ASCII
// (protocol/call_arguments), for a transmit the full APDU breakdown (case, CLA
// bits, INS, P1/P2 meaning, Lc/Le, data and its BER-TLV) and the response (SW
// and its meaning, data, BER-TLV), and the breakdown of every ATR the call
// carries or, for SCardConnect, of the reader's card. Secrets are masked unless
// shown on purpose.
#pragma once

#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

// Lines not fitted to a width (the overlay cuts them); all text sanitised.
std::vector<StyledLine> detail_lines(const SessionModel& model, const CallRecord& call, bool show_secrets,
                                     const Glyphs& glyphs);

}  // namespace pcscspy::dashboard
