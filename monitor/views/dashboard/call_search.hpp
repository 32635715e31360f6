// The call list's search ("/"): a kept call matches when the text is found,
// ignoring case, in its function name, reader name, process's exe name, decoded
// APDU (INS name, applet, P1/P2 meaning, SW and its meaning) or return code
// name; or, when the text is hex (spaces and colons allowed), in its APDU, response
// or ATR bytes, on byte boundaries. Of a secret-bearing command only the header
// (CLA INS P1 P2) is searched unless secrets are shown: a search must not reveal
// a masked PIN.
#pragma once

#include <string>
#include <string_view>

#include "monitor/model/session_model.hpp"

namespace pcscspy::dashboard {

class CallSearch {
public:
    CallSearch(std::string_view query, bool show_secrets);
    bool empty() const { return lower_.empty(); }
    bool matches(const SessionModel& model, const CallRecord& call) const;

private:
    bool text_matches(std::string_view text) const;
    bool hex_matches(std::string_view raw, std::string_view field) const;

    std::string lower_;  // the query, lower case
    std::string hex_;    // the query as upper-case hex digits ("" when it is not hex)
    bool show_secrets_;
};

}  // namespace pcscspy::dashboard
