#include "monitor/views/dashboard/call_summary.hpp"

#include "protocol/status_word.hpp"

namespace pcscspy::dashboard {

Role sw_role(uint16_t sw, AppletKind applet) {
    switch (describe_sw(sw, applet).cls) {
        case SwClass::Success: return Role::Ok;
        case SwClass::Warning: return Role::Warn;
        case SwClass::Error: return Role::Error;
        case SwClass::Unknown: return Role::Normal;
    }
    return Role::Normal;
}

std::vector<Span> call_summary(const SessionModel& model, const CallRecord& call, const Glyphs& glyphs) {
    std::vector<Span> spans;
    for (const SummaryPiece& p : summarize_call(model, call)) {
        Role role = Role::Normal;
        std::string_view text = p.text;
        switch (p.kind) {
            case SummaryKind::Plain: break;
            case SummaryKind::Detail: role = Role::Dim; break;
            case SummaryKind::Arrow:
                role = Role::Dim;
                text = glyphs.arrow;
                break;
            case SummaryKind::Command: role = Role::Info; break;
            // The answer in its SW class colour.
            case SummaryKind::Answer:
                if (call.has_sw()) role = sw_role(call.sw, static_cast<AppletKind>(call.applet_kind));
                break;
            case SummaryKind::Failure: role = Role::Error; break;
            case SummaryKind::Quiet: role = Role::Dim; break;
        }
        if (text.empty()) continue;
        if (!spans.empty()) spans.push_back(Span{" ", Role::Normal, std::nullopt});
        spans.push_back(Span{display_text(text, glyphs), role, std::nullopt});
    }
    return spans;
}

}  // namespace pcscspy::dashboard
