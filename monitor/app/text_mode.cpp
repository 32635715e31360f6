#include "monitor/app/text_mode.hpp"

#include "monitor/app/monitor_session.hpp"
#include "monitor/app/socket_hint.hpp"
#include "monitor/views/check_report.hpp"
#include "monitor/views/terminal_text.hpp"
#include "monitor/views/text_view.hpp"

namespace pcscspy {

void print_session_problems(const MonitorSession& session, std::ostream& err) {
    const ModelCounters& c = session.model().counters();
    if (session.replay_report())
        for (const std::string& l : damage_lines(*session.replay_report(), *session.options().replay))
            err << "pcscspy-top: " << TerminalText::clean(l) << "\n";
    if (const EventServer* s = session.server()) {
        const ServerCounters& sc = s->counters();
        if (sc.refused)
            err << "pcscspy-top: refused " << sc.refused << " connection" << (sc.refused == 1 ? "" : "s")
                << " from other users\n";
        if (sc.refused_full)
            err << "pcscspy-top: refused " << sc.refused_full << " connection" << (sc.refused_full == 1 ? "" : "s")
                << " past " << kMaxConnections << " at once or with no descriptor left\n";
        if (sc.closed_for_memory)
            err << "pcscspy-top: closed " << sc.closed_for_memory << " connection" << (sc.closed_for_memory == 1 ? "" : "s")
                << " whose incomplete line passed " << (kMaxPartialBytes >> 20) << " MiB of incomplete lines in all\n";
        for (const ConnectionStats& cs : s->connections())
            if (cs.bad_lines || cs.overlong_lines || cs.pending_at_close)
                err << "pcscspy-top: connection " << cs.id << " (pid " << cs.pid << "): " << cs.bad_lines
                    << " bad lines, " << cs.overlong_lines << " over-long lines"
                    << (cs.pending_at_close ? ", closed in the middle of a line" : "") << "\n";
    }
    if (c.bad_lines) {
        err << "pcscspy-top: " << c.bad_lines << " line" << (c.bad_lines == 1 ? " was" : "s were") << " not events (";
        bool first = true;
        for (size_t k = 0; k < kEventErrorKinds; ++k)
            if (c.bad_by_kind[k]) {
                err << (first ? "" : ", ") << c.bad_by_kind[k] << " " << to_string(static_cast<EventErrorKind>(k));
                first = false;
            }
        err << ")\n";
    }
    if (c.lost()) {
        err << "pcscspy-top: " << c.lost() << " events were lost by the traced processes";
        if (c.lost_missing)
            err << " (" << c.lost_missing << " of them not reported by them: seq numbers that never arrived)";
        err << "\n";
    }
    if (c.seq_disorder)
        err << "pcscspy-top: " << c.seq_disorder << " event" << (c.seq_disorder == 1 ? " came" : "s came")
            << " with a seq out of order (below an earlier one of their thread, or a call's repeated)\n";
    if (c.orphan_byes) err << "pcscspy-top: " << c.orphan_byes << " bye events named a process never seen\n";
    if (const FoldedTotals& f = session.model().folded(); f.entries()) {
        // Past the model's caps (statistics exact, the entries themselves gone).
        err << "pcscspy-top: folded past the caps:";
        const std::pair<uint64_t, const char*> kinds[] = {
            {f.threads, "threads"},        {f.contexts, "closed or old contexts"}, {f.cards, "closed or old card handles"},
            {f.allocations, "allocations"}, {f.begins, "calls in flight (counted unmatched)"},
            {f.reader_names, "events naming readers past the cap (one shared row)"},
            {f.lines, "bye lines of unknown pids"}};
        bool first = true;
        for (const auto& [n, what] : kinds)
            if (n) {
                err << (first ? " " : ", ") << n << " " << what;
                first = false;
            }
        err << "\n";
    }
    if (const uint64_t dropped = session.model().findings_dropped())
        err << "pcscspy-top: " << dropped << " findings not kept past " << kMaxFindings << "\n";
}

int run_text_mode(MonitorSession& session, TextView& view, std::ostream& out, std::ostream& err) {
    const Options& o = session.options();
    size_t warnings_said = 0;
    if (session.live()) {
        if (const auto& command = session.command()) {
            err << "pcscspy-top: running " << TerminalText::clean(command->description);
            if (!command->log_path.empty()) err << ", output in " << TerminalText::clean(command->log_path);
            err << "\n";
        }
        else {
            err << "pcscspy-top: listening on " << TerminalText::clean(session.socket_path())
                << "; trace a program with: " << TerminalText::clean(trace_command_for(session.socket_path()))
                << " (Ctrl-C to stop)\n";
            // The system-wide capture sees the user's programs whatever their socket.
            if (auto hint = sudo_hint(); hint && !session.capturing()) err << "pcscspy-top: " << *hint << "\n";
        }
        if (!session.capture_notice().empty())
            err << "pcscspy-top: " << TerminalText::clean(session.capture_notice()) << "\n";
        while (!session.stop_requested() && !session.command_finished()) {
            session.pump(200);
            out.flush();
            if (!out) session.request_stop();  // stdout closed (EPIPE)
            // Said when it happens, once.
            for (; warnings_said < session.warnings().size(); ++warnings_said)
                err << "pcscspy-top: " << TerminalText::clean(session.warnings()[warnings_said]) << "\n";
        }
    }
    std::vector<std::string> problems = session.finish();
    view.print_statistics(session.model());
    if (o.check) print_check_report(out, session.model(), o.diffable);
    out.flush();
    print_session_problems(session, err);
    for (; warnings_said < session.warnings().size(); ++warnings_said)
        err << "pcscspy-top: " << TerminalText::clean(session.warnings()[warnings_said]) << "\n";
    for (const std::string& p : problems) err << "pcscspy-top: " << TerminalText::clean(p) << "\n";
    if (!problems.empty() || session.failed()) return 1;
    if (session.command_status()) return *session.command_status();
    return 0;
}

}  // namespace pcscspy
