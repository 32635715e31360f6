// What a call did, in one line, as pieces a view styles: the dashboard's call
// list and the text mode's --brief lines. A transmit is its decoded APDU (INS
// name, applet, P1/P2 meaning, data length, then the SW and its meaning); other
// calls their key arguments with short constant names (per function:
// kCallSummaries in the .cpp); a call that did not succeed ends with its return
// code. The pieces are the traced program's text, not yet sanitised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

enum class SummaryKind : uint8_t {
    Plain,    // arguments
    Detail,   // secondary facts: timeouts, byte counts, ATRs
    Arrow,    // between what was asked and what came back (the view draws it)
    Command,  // a transmit's decoded command
    Answer,   // its status word and meaning (CallRecord::sw tells its class)
    Failure,  // a return code that is an error
    Quiet,    // a return code that is not an error (SCardGetStatusChange's timeout)
};

struct SummaryPiece {
    SummaryKind kind;
    std::string text;
};

std::vector<SummaryPiece> summarize_call(const SessionModel& model, const CallRecord& call);

// PC/SC constant names without their family prefix, for one-line forms:
// "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT" -> "CHANGED|PRESENT".
std::string compact_constants(std::string_view text);

}  // namespace pcscspy
