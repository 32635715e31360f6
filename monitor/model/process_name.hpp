// The one name a process goes by in every view (text mode, statistics, checks,
// dashboard, captures): its executable's name, or for a script interpreter
// (python3, perl, sh...) the script it runs, which is what a user recognises:
// "python3 /x/card_session.py" is card_session.py, "perl /usr/bin/scriptor" is
// scriptor.
#pragma once

#include <string>

#include "monitor/model/entities.hpp"

namespace pcscspy {

// Not sanitised: views pass it through their terminal sanitiser.
std::string process_name(const ProcessInfo& p);

}  // namespace pcscspy
