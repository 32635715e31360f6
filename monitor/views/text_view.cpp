#include "monitor/views/text_view.hpp"

#include <cstdio>
#include <ctime>

#include "monitor/model/process_name.hpp"
#include "monitor/model/secret_filter.hpp"
#include "monitor/views/call_summary.hpp"
#include "monitor/views/terminal_text.hpp"
#include "protocol/call_arguments.hpp"
#include "protocol/event.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy {

namespace {

// pcsc-spy's colours.
constexpr std::string_view kBlue = "\x1b[34m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kMagenta = "\x1b[35m";
constexpr std::string_view kCyan = "\x1b[36m";
constexpr std::string_view kBoldRed = "\x1b[01;31m";
constexpr std::string_view kNormal = "\x1b[0m";

std::string seconds(int64_t ns) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(ns / 1'000'000'000),
                  static_cast<long long>(ns % 1'000'000'000 / 1000));
    return buf;
}

std::string percent(double part, double whole) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%6.2f%%", whole > 0 ? 100.0 * part / whole : 0.0);
    return buf;
}

// Right-aligned in `width`, and always at least one space before (wide numbers never run together).
std::string pad_left(std::string s, size_t width) {
    return s.size() + 1 >= width ? " " + s : std::string(width - s.size(), ' ') + s;
}
std::string pad_right(std::string s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

// Local wall-clock time to the microsecond: "10:41:02.123456".
std::string clock_time_us(int64_t ts_us) {
    std::time_t t = static_cast<std::time_t>(ts_us / 1'000'000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(ts_us % 1'000'000));
    return buf;
}

// A decoded exchange's data as BER-TLV objects, one per line, under a title.
void tlv_block(std::string& result, const std::string& indent, std::string_view title,
               const std::vector<TlvLine>& lines) {
    if (lines.empty()) return;
    result += indent + "   " + std::string(title) + ":\n";
    for (const TlvLine& l : lines) {
        result += indent + "     ";
        TerminalText::append(result, l.to_string());
        result += '\n';
    }
}

}  // namespace

std::string TextView::paint(std::string_view colour, std::string text) const {
    if (!o_.color) return text;
    return std::string(colour) + text + std::string(kNormal);
}

std::string TextView::placeholder(std::string_view kind, int64_t value) {
    auto key = std::make_pair(std::string(kind), value);
    auto it = placeholders_.find(key);
    if (it == placeholders_.end()) it = placeholders_.emplace(key, ++placeholder_counts_[std::string(kind)]).first;
    return std::string(kind) + "#" + std::to_string(it->second);
}

std::string TextView::label(const SessionModel& model, const CallRecord& call) {
    // Every line says its process, from the first one on (a second one may come);
    // the thread once the process has several.
    const ProcessInfo* p = model.process_at(call.process);  // nullptr: folded into totals
    std::string pid = o_.diffable ? placeholder("pid", call.pid) : std::to_string(call.pid);
    std::string text = "[" + pid;
    if (p && p->threads.size() > 1)
        text += " " + (o_.diffable ? placeholder("tid", call.tid) : "tid " + std::to_string(call.tid));
    return text + " " + (p ? TerminalText::clean(process_name(*p)) : std::string(kFoldedProcess)) + "] ";
}

std::string TextView::number_and_time(const CallRecord& call) const {
    return "#" + std::to_string(call.seq) + " " + (o_.diffable ? "??:??:??.??????" : clock_time_us(call.ts_us));
}

std::string TextView::heading(const SessionModel& model, const CallRecord& call) const {
    std::string text = number_and_time(call) + " ";
    TerminalText::append(text, model.function_name(call));  // an unknown name is the peer's text
    return text;
}

std::string TextView::duration(const CallRecord& call) const {
    return o_.diffable ? "[??.??]" : "[" + seconds(call.dur_ns) + "]";
}

std::string TextView::format_call(const SessionModel& model, const CallRecord& call, nlohmann::json* event) {
    if (o_.brief) {
        std::string line;
        for (const Piece& p : brief_line(model, call)) line += p.text;
        return line + "\n";
    }
    std::string result;
    std::string fn(model.function_name(call));
    std::string indent = label(model, call);
    result += indent + heading(model, call) + "\n";
    nlohmann::json in = nlohmann::json::object(), out = nlohmann::json::object();
    std::string rv_name;
    if (event && event->is_object()) {
        // The model accepted this event, so its members have their schema types.
        if (auto it = event->find("in"); it != event->end() && it->is_object()) in = std::move(*it);
        if (auto it = event->find("out"); it != event->end() && it->is_object()) out = std::move(*it);
        if (auto it = event->find("rv_name"); it != event->end() && it->is_string()) rv_name = it->get<std::string>();
    } else {
        DecodedEvent d = decode_event(call.raw);
        if (d.ok())
            if (auto* ev = std::get_if<CallEvent>(&*d.event)) {
                in = std::move(ev->in);
                out = std::move(ev->out);
                rv_name = ev->rv_name;
            }
    }
    std::span<const Feature> features;
    if (call.reader >= 0) features = model.readers()[static_cast<size_t>(call.reader)].features;
    if (!o_.show_secrets)
        mask_call_secrets(SessionModel::function(call), in, features, static_cast<AppletKind>(call.applet_kind));
    ArgumentStyle style;
    style.features = features;
    if (o_.diffable)
        style.variable = [this](std::string_view name, int64_t v) {
            std::string_view kind = name.find("Context") != std::string_view::npos ? "ctx"
                                    : name.find("Card") != std::string_view::npos  ? "card"
                                                                                  : "ptr";
            return placeholder(kind, v);
        };
    for (const ArgumentLine& l : describe_call_arguments(fn, in, out, call.rv, style)) {
        result += indent;
        result += ' ';
        result += l.direction;
        result += ' ';
        TerminalText::append(result, l.text);
        result += '\n';
    }
    if (!call.apdu.empty()) {
        result += indent + "   APDU: ";
        TerminalText::append(result, call.apdu);
        result += '\n';
        // The data as the dashboard's detail view decodes it (the model's decoder,
        // in the handle's applet context). A command carrying a secret has none.
        if (std::optional<DecodedExchange> x = model.decode_exchange(call.ordinal)) {
            tlv_block(result, indent, "command data", x->command_tlv);
            tlv_block(result, indent, "response data", x->response_tlv);
        }
    }
    const Named* rc = find_return_code(call.rv);
    std::string meaning = rc ? std::string(rc->meaning) : "Unknown error.";
    std::string name = rc ? std::string(rc->name) : TerminalText::clean(rv_name.empty() ? "?" : rv_name);
    result += indent + " => " + meaning + " (" + name + " [" + hex_value(static_cast<uint32_t>(call.rv)) + "]) " +
              duration(call) + "\n";
    return result;
}

std::vector<TextView::Piece> TextView::brief_line(const SessionModel& model, const CallRecord& call) {
    std::vector<Piece> pieces;
    pieces.push_back({{}, label(model, call) + number_and_time(call) + " "});
    pieces.push_back({kBlue, TerminalText::clean(model.function_name(call))});
    for (SummaryPiece& p : summarize_call(model, call)) {
        std::string_view colour;
        std::string text = std::move(p.text);
        switch (p.kind) {
            case SummaryKind::Plain:
            case SummaryKind::Detail:
            case SummaryKind::Quiet: break;
            case SummaryKind::Arrow: text = "→"; break;
            case SummaryKind::Command: colour = kCyan; break;
            case SummaryKind::Answer: {
                SwClass cls = describe_sw(call.sw, static_cast<AppletKind>(call.applet_kind)).cls;
                colour = !call.has_sw()              ? std::string_view()
                         : cls == SwClass::Success ? kGreen
                         : cls == SwClass::Error   ? kBoldRed
                                                   : std::string_view();
                break;
            }
            case SummaryKind::Failure: colour = kBoldRed; break;
        }
        if (text.empty()) continue;
        pieces.push_back({{}, " "});
        pieces.push_back({colour, TerminalText::clean(text)});
    }
    pieces.push_back({{}, " " + duration(call)});
    return pieces;
}

void TextView::print_call(const SessionModel& model, const CallRecord& call, nlohmann::json* event) {
    if (o_.brief) {
        std::string line;
        for (const Piece& p : brief_line(model, call)) line += p.colour.empty() ? p.text : paint(p.colour, p.text);
        out_ << line << '\n';
        return;
    }
    std::string text = format_call(model, call, event);
    if (!o_.color) {
        out_ << text;
        return;
    }
    // Colour line by line as pcsc-spy does: function blue, in green, out magenta,
    // APDU lines cyan, errors bold red.
    size_t start = 0;
    bool first = true;
    std::string indent = label(model, call);
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        start = end + 1;
        std::string_view body = std::string_view(line).substr(std::min(indent.size(), line.size()));
        std::string_view colour = first                                 ? kBlue
                                  : body.starts_with(" i ")             ? kGreen
                                  : body.starts_with(" o ")             ? kMagenta
                                  : body.starts_with(" => ") && call.rv ? kBoldRed
                                  : body.starts_with("   ")             ? kCyan
                                                                        : std::string_view();
        first = false;
        out_ << (colour.empty() ? line : indent + paint(colour, std::string(body))) << '\n';
    }
}

void TextView::print_statistics(const SessionModel& model) {
    const FunctionStatsTable& table = model.function_stats();
    CallStats totals = table.totals();
    auto t = [&](int64_t ns) { return o_.diffable ? std::string("?") : seconds(ns); };
    out_ << "\nResults sorted by total execution time\n";
    int64_t elapsed_us = model.latest_ts_us() - model.first_ts_us();
    out_ << "total time: " << (o_.diffable ? "?" : seconds(elapsed_us * 1000)) << " sec elapsed, " << t(totals.total_ns)
         << " sec in " << totals.calls << " calls, " << totals.errors << " errors\n";
    out_ << pad_right("function", 24) << pad_left("calls", 8) << pad_left("errors", 8) << pad_left("total s", 12)
         << pad_left("mean s", 11) << pad_left("min s", 11) << pad_left("max s", 11) << pad_left("p95 s", 11)
         << pad_left("share", 9) << "\n";
    for (const FunctionStats* f : table.sorted_by_total()) {
        out_ << pad_right(TerminalText::clean(f->name), 24) << pad_left(std::to_string(f->stats.calls), 8)
             << pad_left(std::to_string(f->stats.errors), 8) << pad_left(t(f->stats.total_ns), 12)
             << pad_left(t(f->stats.mean_ns()), 11) << pad_left(t(f->stats.min_ns), 11)
             << pad_left(t(f->stats.max_ns), 11) << pad_left(t(f->p95_ns()), 11)
             << pad_left(o_.diffable ? "?" : percent(static_cast<double>(f->stats.total_ns),
                                                     static_cast<double>(totals.total_ns)),
                         9)
             << "\n";
    }
    if (!model.readers().empty()) {
        out_ << "\nReaders\n"
             << pad_right("reader", 28) << pad_left("calls", 8) << pad_left("APDUs", 8) << pad_left("sent", 10)
             << pad_left("received", 10) << pad_left("success", 9) << pad_left("warning", 9) << pad_left("error", 7)
             << pad_left("unknown", 9) << "  last SW  card\n";
        for (const ReaderInfo& r : model.readers()) {
            std::string sw = "-";
            if (r.last_sw) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "%04X", *r.last_sw);
                sw = buf;
            }
            std::string card = !r.card_present ? "?" : *r.card_present ? "present" : "absent";
            if (!r.atr.empty()) card += " " + to_hex_spaced(r.atr);
            if (!r.card_name.empty()) card += " (" + r.card_name + ")";
            out_ << pad_right(TerminalText::clean(r.name), 28) << pad_left(std::to_string(r.stats.calls), 8)
                 << pad_left(std::to_string(r.apdus), 8) << pad_left(std::to_string(r.bytes_sent), 10)
                 << pad_left(std::to_string(r.bytes_received), 10);
            for (size_t k = 0; k < kSwClassCount; ++k)
                out_ << pad_left(std::to_string(r.sw_classes[k]), k == 2 ? 7 : 9);
            out_ << "  " << pad_right(sw, 7) << "  " << TerminalText::clean(card) << "\n";
        }
    }
    if (!model.processes().empty()) {
        out_ << "\nProcesses\n"
             << pad_left("pid", 8) << "  " << pad_right("exe", 20) << pad_left("calls", 8) << pad_left("errors", 8)
             << pad_left("APDUs", 8) << pad_left("total s", 12) << "  state\n";
        for (const ProcessInfo& p : model.processes()) {
            std::string state = p.state == ProcessState::Running  ? "running"
                                : p.state == ProcessState::Exited ? "exited"
                                                                  : "disconnected";
            if (p.lost()) state += ", " + std::to_string(p.lost()) + " events lost";
            out_ << pad_left(o_.diffable ? placeholder("pid", p.pid) : std::to_string(p.pid), 8) << "  "
                 << pad_right(TerminalText::clean(process_name(p)), 20) << pad_left(std::to_string(p.stats.calls), 8)
                 << pad_left(std::to_string(p.stats.errors), 8) << pad_left(std::to_string(p.apdus), 8)
                 << pad_left(t(p.stats.total_ns), 12) << "  " << state << "\n";
        }
    }
    if (const FoldedTotals& f = model.folded(); f.processes)
        out_ << f.processes << " exited process" << (f.processes == 1 ? "" : "es")
             << " folded into totals (memory budget): " << f.stats.calls << " calls, " << f.stats.errors << " errors, "
             << f.apdus << " APDUs, " << f.lost_events << " events lost\n";
}

}  // namespace pcscspy
