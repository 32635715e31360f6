// The short name a process goes by on screen: its executable's name, or for a
// script interpreter (python, perl, sh...) the script it runs, which is what a
// user recognises ("card_session.py" rather than "python3.11").
#pragma once

#include <string>

#include "monitor/model/entities.hpp"

namespace pcscspy::dashboard {

// Not sanitised: pass it through display_text() before drawing.
std::string process_label(const ProcessInfo& p);

}  // namespace pcscspy::dashboard
