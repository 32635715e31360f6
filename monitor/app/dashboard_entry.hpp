// The one entry point of the ncurses dashboard (monitor/views/dashboard/, built
// into the pcscspy_dashboard library when present). It is given a started
// session and runs until the user quits or the session is asked to stop; it
// returns the process exit status. The caller then calls session.finish().
#pragma once

namespace pcscspy {

class MonitorSession;

int run_dashboard(MonitorSession& session);

}  // namespace pcscspy
