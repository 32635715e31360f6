// pcscspy-top --headless: a service. No screen and no text: it collects from
// every source until SIGTERM or SIGINT (a replay: reads the files, then waits),
// keeping the metrics and the recording up to date, then flushes and ends. On
// stderr, one line at the start saying what it listens to and exports, the
// first failure of the recording when it happens, and the problems at the end.
#pragma once

#include <ostream>
#include <string>

namespace pcscspy {

class MonitorSession;

// "headless: listening on ..., recording to ..., metrics at ..." (without the newline).
std::string headless_start_line(const MonitorSession& session);

// Returns the exit status: 0, or 1 when the session met problems (events that
// could not be recorded, a dump that could not be written).
int run_headless(MonitorSession& session, std::ostream& err);

}  // namespace pcscspy
