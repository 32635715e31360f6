// The one name a process goes by in every view (text mode, statistics, checks,
// dashboard, captures): its executable's name, or for a script interpreter
// (python3, perl, sh...) the script it runs, which is what a user recognises:
// "python3 /x/card_session.py" is card_session.py, "perl /usr/bin/scriptor" is
// scriptor.
#pragma once

#include <string>
#include <string_view>

#include "monitor/model/entities.hpp"

namespace pcscspy {

// Not sanitised: views pass it through their terminal sanitiser.
std::string process_name(const ProcessInfo& p);

// What views show for the process of a kept call once that process was folded
// into totals (SessionModel::process_at returns nullptr): the pid is still known.
inline constexpr std::string_view kFoldedProcess = "(folded)";

}  // namespace pcscspy
