// pcscspy-top --text: runs a started session, printing its calls as they come
// (unless --summary), until a signal, the end of the replayed file or the end of
// the launched command; then the statistics, the --check report and the damage
// and bad-input summary (stderr). Returns the exit status.
#pragma once

#include <ostream>

namespace pcscspy {

class MonitorSession;
class TextView;

int run_text_mode(MonitorSession& session, TextView& view, std::ostream& out, std::ostream& err);

// The end of every mode: bad input and lost events (stderr) and, with --check,
// the report. Shared by the dashboard's caller.
void print_session_problems(const MonitorSession& session, std::ostream& err);

}  // namespace pcscspy
