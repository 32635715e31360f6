#include "monitor/app/headless_mode.hpp"

#include "monitor/app/monitor_session.hpp"
#include "monitor/app/text_mode.hpp"
#include "monitor/views/terminal_text.hpp"

namespace pcscspy {

namespace {

std::string byte_size(uint64_t n) {
    if (n % (1u << 30) == 0) return std::to_string(n >> 30) + "G";
    if (n % (1u << 20) == 0) return std::to_string(n >> 20) + "M";
    if (n % (1u << 10) == 0) return std::to_string(n >> 10) + "K";
    return std::to_string(n);
}

}  // namespace

std::string headless_start_line(const MonitorSession& session) {
    const Options& o = session.options();
    std::string line = "headless, ";
    if (session.live()) line += "listening on " + session.socket_path();
    else {
        line += "replayed";
        for (const std::string& f : o.replay_files) line += " " + f;
    }
    if (o.record) {
        line += "; recording to " + *o.record;
        if (o.record_rotate)
            line += " (rotated at " + byte_size(o.record_rotate->max_bytes) + ", keeping " +
                    std::to_string(o.record_rotate->keep) + ")";
    }
    if (o.dump) line += "; session document at exit to " + *o.dump;
    if (!session.metrics_url().empty()) line += "; metrics at " + session.metrics_url();
    line += "; SIGTERM to stop";
    return TerminalText::clean(line);
}

int run_headless(MonitorSession& session, std::ostream& err) {
    err << "pcscspy-top: " << headless_start_line(session) << std::endl;
    size_t warned = 0;
    while (!session.stop_requested()) {
        session.pump(1000);
        // Each new problem once, when it happens: a service's log is read later.
        for (; warned < session.warnings().size(); ++warned)
            err << "pcscspy-top: " << TerminalText::clean(session.warnings()[warned]) << std::endl;
    }
    std::vector<std::string> problems = session.finish();
    print_session_problems(session, err);
    for (; warned < session.warnings().size(); ++warned)
        err << "pcscspy-top: " << TerminalText::clean(session.warnings()[warned]) << "\n";
    for (const std::string& p : problems) err << "pcscspy-top: " << TerminalText::clean(p) << "\n";
    err.flush();
    return problems.empty() ? 0 : 1;
}

}  // namespace pcscspy
