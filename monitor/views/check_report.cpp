#include "monitor/views/check_report.hpp"

#include <map>

#include "monitor/model/process_name.hpp"
#include "monitor/views/terminal_text.hpp"

namespace pcscspy {

void print_check_report(std::ostream& out, const SessionModel& model, bool diffable) {
    const auto& findings = model.findings();
    std::map<size_t, std::vector<const Finding*>> by_process;
    for (const Finding& f : findings) by_process[f.process].push_back(&f);
    out << "\nCorrectness report: " << findings.size() << " finding" << (findings.size() == 1 ? "" : "s") << " in "
        << by_process.size() << " of " << model.processes().size() + model.folded().processes << " process"
        << (model.processes().size() + model.folded().processes == 1 ? "" : "es") << "\n";
    size_t n = 0;
    for (const ProcessInfo& p : model.processes()) {
        ++n;
        std::string who = diffable ? "process #" + std::to_string(n) : "process " + std::to_string(p.pid);
        who += " " + TerminalText::clean(process_name(p));
        auto it = by_process.find(p.index);
        if (it == by_process.end()) {
            out << who << ": no findings\n";
            continue;
        }
        out << who << ":\n";
        for (const Finding* f : it->second)
            out << "  call #" << f->seq << "  " << finding_kind_name(f->kind) << ": "
                << TerminalText::clean(f->explanation) << "\n";
    }
    // Findings of processes folded into totals (the memory budget): their pid is known.
    bool heading = false;
    for (const auto& [process, list] : by_process) {
        if (model.process_at(process)) continue;
        if (!heading) out << "processes folded into totals:\n";
        heading = true;
        for (const Finding* f : list)
            out << "  " << (diffable ? std::string("pid ?") : "pid " + std::to_string(f->pid)) << " call #" << f->seq
                << "  " << finding_kind_name(f->kind) << ": " << TerminalText::clean(f->explanation) << "\n";
    }
    if (model.findings_dropped())
        out << model.findings_dropped() << " further findings not kept (more than " << kMaxFindings << ")\n";
}

}  // namespace pcscspy
