#include <algorithm>

#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/call_summary.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "monitor/views/dashboard/line_fit.hpp"
#include "monitor/views/dashboard/panes.hpp"
#include "monitor/views/dashboard/process_order.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy::dashboard {

namespace {

struct ReaderColumns {
    size_t name, card = 7, apdus = 7, sw, holder, atr;
};

ReaderColumns reader_columns(size_t width) {
    ReaderColumns c;
    c.name = width >= 140 ? 26 : 20;
    c.sw = width >= 120 ? 24 : 15;
    c.holder = width >= 120 ? 24 : 16;
    size_t fixed = 2 + c.name + 1 + c.card + c.apdus + 2 + c.sw + 2 + c.holder + 2;
    c.atr = width > fixed ? width - fixed : 0;
    if (c.atr < 12) {  // no room for an ATR worth reading: the SW meaning gets it
        c.sw += c.atr;
        c.atr = 0;
    }
    return c;
}

// A reader is busy while a process waits in a (non-calm) call on one of its card handles.
bool reader_busy(const SessionModel& model, size_t reader) {
    for (const ProcessInfo& p : model.processes())
        for (const auto& [seq, call] : p.in_flight) {
            if (!call.card || is_calm_wait(call.fn)) continue;
            auto it = p.cards.find(*call.card);
            if (it != p.cards.end() && it->second.reader >= 0 && static_cast<size_t>(it->second.reader) == reader)
                return true;
        }
    return false;
}

// The SW class of the last status word, by applet context unknown (the
// reader's SW is shown generically; the call list has the applet's meaning).
std::pair<std::string, Role> last_sw(const ReaderInfo& r) {
    if (!r.last_sw) return {"", Role::Dim};
    SwMeaning m = describe_sw(*r.last_sw);
    return {sw_hex(*r.last_sw) + " " + m.text, sw_role(*r.last_sw, AppletKind::Unknown)};
}

}  // namespace

Pane reader_pane(const ViewContext& ctx, const UiState& ui, size_t width, size_t max_rows) {
    const Glyphs& g = ctx.glyphs;
    const SessionModel& model = ctx.model;
    const ReaderColumns c = reader_columns(width);
    Pane pane;
    pane.total = model.readers().size();

    const bool focused = ui.focus == Focus::Readers;
    StyledLine h;
    h.fill = Role::Heading;
    h.add(fit(std::string(focused ? (g.unicode ? "▶ " : "> ") : "") + "Readers " + std::to_string(pane.total),
              2 + c.name + 1, g),
          Role::HeadingTitle)
        .add(fit("CARD", c.card, g), Role::Heading)
        .add(fit("APDUS", c.apdus, g, Align::Right), Role::Heading)
        .add("  ", Role::Heading)
        .add(fit("LAST SW", c.sw, g), Role::Heading)
        .add("  ", Role::Heading)
        .add(fit("TRANSACTION", c.holder, g), Role::Heading);
    if (c.atr) h.add("  ", Role::Heading).add(fit("ATR / CARD", c.atr, g), Role::Heading);
    pane.heading = fit_line(std::move(h), width, g);

    // The reader watcher's word on pcscd, when it has one to say.
    const ReaderServiceInfo& service = model.reader_service();
    if (service.state == ReaderService::NoService || service.state == ReaderService::NoLibrary) {
        const Named* what = find_value(kReaderServices, static_cast<uint64_t>(service.state));
        std::string text = "  " + std::string(what ? what->name : "?");
        if (service.state == ReaderService::NoService) text += ": readers appear when it starts";
        if (!service.detail.empty()) text += " (" + service.detail + ")";
        if (max_rows > 0) pane.rows.push_back(fit_line(StyledLine{}.add(display_text(text, g), Role::Warn), width, g));
    } else if (model.readers().empty() && max_rows > 0) {
        StyledLine l;
        l.add(service.state == ReaderService::Running ? "  no reader connected" : "  no reader seen yet", Role::Dim);
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    // Keep on screen the row the user moves through (focused), else the filtered reader.
    const std::vector<size_t> order = reader_rows(model);
    const std::optional<size_t> marked = focused ? ui.pane.reader : ui.filter.reader;
    size_t keep = 0;
    for (size_t i = 0; i < order.size(); ++i)
        if (marked && order[i] == *marked) keep = i;
    for (size_t i = first_visible_row(keep, order.size(), max_rows); i < order.size(); ++i) {
        if (pane.rows.size() >= max_rows) break;
        const size_t index = order[i];
        const ReaderInfo& r = model.readers()[index];
        const Light light = light_of(r.activity, reader_busy(model, index), ctx.now_us);
        pane.animated = pane.animated || light_is_fading(light) || light.kind == LightKind::InFlight;
        StyledLine l;
        l.spans.push_back(Span{std::string(light_character(light.kind)), Role::Normal, light});
        l.add(" ").add(fit(display_text(r.name, g), c.name, g, Align::Left, Cut::Middle),
                       r.attached == false ? Role::Dim : Role::Strong)
            .add(" ");
        if (r.attached == false) l.add(fit("gone", c.card, g), Role::Dim);
        else if (!r.card_present) l.add(fit("?", c.card, g), Role::Dim);
        else if (*r.card_present) l.add(fit("present", c.card, g), Role::Ok);
        else l.add(fit("empty", c.card, g), Role::Dim);
        l.add(fit(r.apdus ? std::to_string(r.apdus) : "", c.apdus, g, Align::Right));
        l.add("  ");
        auto [sw, sw_role_] = last_sw(r);
        l.add(fit(display_text(sw, g), c.sw, g), sw_role_);
        l.add("  ");
        std::string holder;
        Role holder_role = Role::Dim;
        if (r.transaction_pid) {
            // The pid and the time matter more than the exe name: the name is cut first.
            const int64_t held = std::max<int64_t>(0, ctx.now_us - r.transaction_since_us);
            const ProcessInfo* holder_process = model.process_at(r.transaction_process);
            std::string exe = holder_process ? process_name(*holder_process) : std::string();
            std::string head = std::to_string(*r.transaction_pid) + " ";
            std::string tail = " " + format_duration(held * 1000, g);
            size_t fixed = display_width(head) + display_width(tail);
            holder = head + truncate(display_text(exe, g), c.holder > fixed ? c.holder - fixed : 0, g) + tail;
            holder_role = held >= ctx.patience.transaction_us ? Role::Warn : Role::Info;
            pane.animated = true;
        }
        l.add(fit(holder, c.holder, g), holder_role);
        if (c.atr) {
            l.add("  ");
            std::string atr = r.atr.empty() ? "" : to_hex(r.atr);
            size_t atr_w = std::min<size_t>(display_width(atr), std::max<size_t>(c.atr / 2, 16));
            if (!atr.empty()) l.add(truncate(atr, atr_w, g, Cut::Middle), Role::Dim);
            if (!r.card_name.empty()) l.add(" ").add(display_text(r.card_name, g), Role::Accent);
        }
        l.selected = marked && *marked == index;
        pane.rows.push_back(fit_line(std::move(l), width, g));
    }
    return pane;
}

}  // namespace pcscspy::dashboard
