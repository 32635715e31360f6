#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/findings_view.hpp"

#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"

namespace pcscspy::dashboard {

namespace {
constexpr size_t kTime = 9, kPid = 8, kExe = 15, kKind = 22, kSeq = 8;
}

StyledLine findings_heading(const Glyphs& g, size_t width) {
    StyledLine h;
    h.fill = Role::Heading;
    h.add(fit("TIME", kTime, g), Role::Heading)
        .add(fit("PID", kPid - 1, g, Align::Right), Role::Heading)
        .add(" ", Role::Heading)
        .add(fit("PROCESS", kExe, g), Role::Heading)
        .add(fit("KIND", kKind, g), Role::Heading)
        .add(fit("CALL", kSeq, g), Role::Heading)
        .add("WHAT", Role::Heading);
    return fit_line(std::move(h), width, g);
}

std::vector<StyledLine> findings_lines(const ViewContext& ctx, size_t width) {
    const Glyphs& g = ctx.glyphs;
    std::vector<StyledLine> lines;
    for (const Finding& f : ctx.model.findings()) {
        const ProcessInfo* p = ctx.model.process_at(f.process);
        StyledLine l;
        l.add(fit(f.ts_us ? clock_time(f.ts_us) : "", kTime, g), Role::Dim)
            .add(fit(std::to_string(f.pid), kPid - 1, g, Align::Right))
            .add(" ")
            .add(fit(p ? display_text(process_name(*p), g) : "?", kExe, g), Role::Strong)
            .add(fit(finding_kind_name(f.kind), kKind, g), Role::Warn)
            .add(fit(f.seq ? "#" + std::to_string(f.seq) : "", kSeq, g), Role::Dim)
            .add(display_text(f.explanation, g));
        lines.push_back(fit_line(std::move(l), width, g));
    }
    return lines;
}

uint64_t finding_call(const SessionModel& model, const Finding& finding) {
    if (finding.seq == 0) return 0;
    // Newest first: findings are mostly about recent calls.
    for (auto it = model.calls().rbegin(); it != model.calls().rend(); ++it)
        if (it->process == finding.process && it->seq == finding.seq) return it->ordinal;
    return 0;
}

}  // namespace pcscspy::dashboard
