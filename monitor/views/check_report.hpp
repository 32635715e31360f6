// The --check report: the checker's findings grouped by process, each with the
// call seq and a one-line explanation; processes without findings are listed as
// clean.
#pragma once

#include <ostream>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

void print_check_report(std::ostream& out, const SessionModel& model, bool diffable = false);

}  // namespace pcscspy
