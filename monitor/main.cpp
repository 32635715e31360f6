// pcscspy-top: parse the command line, start the session, run one view.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "monitor/app/headless_mode.hpp"
#include "monitor/app/monitor_session.hpp"
#include "monitor/app/options.hpp"
#include "monitor/app/text_mode.hpp"
#include "monitor/views/terminal_text.hpp"
#include "monitor/views/text_view.hpp"

#ifdef PCSCSPY_HAVE_DASHBOARD
#include "monitor/app/dashboard_host.hpp"
#endif

using namespace pcscspy;

namespace {

#ifdef PCSCSPY_HAVE_DASHBOARD
int run_default_view(MonitorSession& session) {
    const Options& o = session.options();
    SessionDashboardHost host(session);
    // --no-color and NO_COLOR as in text mode (the terminal is known to be one).
    int status = dashboard::run_dashboard(host, {use_color(o, true, std::getenv("NO_COLOR")), o.show_secrets});
    std::vector<std::string> problems = session.finish();
    print_session_problems(session, std::cerr);
    if (auto log = session.kept_command_log())
        std::cerr << "pcscspy-top: the output of " << TerminalText::clean(session.command()->description) << " is in "
                  << TerminalText::clean(*log) << "\n";
    // The dashboard showed these on its status line, which is gone now.
    for (const std::string& w : session.warnings()) std::cerr << "pcscspy-top: " << TerminalText::clean(w) << "\n";
    for (const std::string& p : problems) std::cerr << "pcscspy-top: " << TerminalText::clean(p) << "\n";
    return problems.empty() && !session.failed() ? status : 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    OptionsParse parsed = parse_options(argc, argv);
    if (parsed.error) {
        std::cerr << "pcscspy-top: " << TerminalText::clean(*parsed.error) << " (pcscspy-top --help for more)\n";
        return 2;
    }
    Options& o = parsed.options;
    if (o.help) {
        std::cout << usage_text();
        return 0;
    }
    if (o.version) {
        std::cout << version_text();
        return 0;
    }
#ifndef PCSCSPY_HAVE_DASHBOARD
    if (!o.text && !o.headless) {
        std::cerr << "pcscspy-top: the live dashboard is not part of this build yet; use --text "
                     "(e.g. pcscspy-top --text, or pcscspy-top --replay F --text)\n";
        return 2;
    }
#endif
    std::ios::sync_with_stdio(false);
    MonitorSession session(o);
    TextView view(std::cout, TextViewOptions{use_color(o, isatty(STDOUT_FILENO), std::getenv("NO_COLOR")),
                                             o.diffable, o.show_secrets, o.brief});
    CallSink print;
    if (o.text && !o.summary) print = [&view](const SessionModel& m, const CallRecord& c, nlohmann::json* event) {
            view.print_call(m, c, event);
        };
    // The endpoint's threads start after the session blocked its signals.
    if (auto err = session.start_metrics()) {
        std::cerr << "pcscspy-top: " << TerminalText::clean(*err) << "\n";
        return 2;
    }
    if (auto failure = session.start(print)) {
        std::cerr << "pcscspy-top: " << TerminalText::clean(failure->message) << "\n";
        return failure->exit_status;
    }
    if (o.headless) return run_headless(session, std::cerr);
#ifdef PCSCSPY_HAVE_DASHBOARD
    if (!o.text) return run_default_view(session);
#endif
    return run_text_mode(session, view, std::cout, std::cerr);
}
