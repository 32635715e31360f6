#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/detail_view.hpp"

#include "monitor/model/secret_filter.hpp"
#include "monitor/views/dashboard/call_summary.hpp"
#include "monitor/views/dashboard/display_format.hpp"
#include "protocol/atr.hpp"
#include "protocol/call_arguments.hpp"
#include "protocol/event.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/secrets.hpp"

namespace pcscspy::dashboard {

namespace {

constexpr size_t kLabelWidth = 10;

class DetailWriter {
public:
    DetailWriter(std::vector<StyledLine>& lines, const Glyphs& g) : lines_(lines), g_(g) {}

    void section(std::string_view title) {
        if (!lines_.empty()) lines_.emplace_back();
        StyledLine l;
        l.add(std::string(title), Role::HeadingTitle);
        l.fill = Role::Heading;
        lines_.push_back(std::move(l));
    }
    // Texts are sanitised all at once at the end (detail_lines).
    // "label     value"
    void field(std::string_view label, std::string_view value, Role role = Role::Normal) {
        StyledLine l;
        l.add(fit(label, kLabelWidth, g_), Role::Dim).add(std::string(value), role);
        lines_.push_back(std::move(l));
    }
    void text(std::string_view value, Role role = Role::Normal, size_t indent = 0) {
        StyledLine l;
        l.add(spaces(indent) + std::string(value), role);
        lines_.push_back(std::move(l));
    }
    void dump(std::string_view label, ByteView bytes, Role role = Role::Normal) {
        field(label, std::to_string(bytes.size()) + (bytes.size() == 1 ? " byte" : " bytes"));
        for (const std::string& line : hex_dump(bytes)) text(line, role, kLabelWidth);
    }
    StyledLine& last() { return lines_.back(); }

private:
    std::vector<StyledLine>& lines_;
    const Glyphs& g_;
};

std::string byte_hex(uint8_t b) { return to_hex(ByteView(&b, 1)); }

void apdu_case_field(DetailWriter& w, const CommandApdu& a, ByteView bytes) {
    std::string s = "case " + std::to_string(static_cast<int>(a.apdu_case));
    if (a.apdu_case != ApduCase::Case1) s += a.extended ? " extended" : " short";
    if (a.lc_length) s += ", Lc = " + std::to_string(a.nc);
    if (a.le_length) {
        s += ", Le = " + to_hex(bytes.subspan(a.le_offset, a.le_length));
        if (a.ne) s += " (Ne = " + std::to_string(*a.ne) + ")";
    }
    if (a.apdu_case == ApduCase::Case1) s += ": no data, no Le";
    w.field("Case", s);
}

void tlv_block(DetailWriter& w, std::string_view label, const std::vector<TlvLine>& tlv) {
    if (tlv.empty()) return;
    w.field(label, "");
    for (const TlvLine& l : tlv) w.text(l.to_string(), Role::Info, kLabelWidth);
}

// The decoder's named fields of a command's or response's data (GPO's PDOL
// values, GENERATE AC's CDOL, an AFL...), as pcscspy-decode shows them.
void fields_block(DetailWriter& w, const std::vector<std::string>& fields) {
    if (fields.empty()) return;
    w.field("Fields", "");
    for (const std::string& l : fields) w.text(l, Role::Info, kLabelWidth);
}

void apdu_sections(DetailWriter& w, const DecodedExchange& x, bool show_secrets) {
    w.section("Command APDU");
    w.text(x.summary(), Role::Info);
    Bytes command = x.command;
    const bool masked = x.is_secret() && !show_secrets && !x.secret.empty();
    if (masked)
        for (size_t i = x.secret.offset; i < x.secret.offset + x.secret.length && i < command.size(); ++i)
            command[i] = kMaskByte;
    w.field("Bytes", command.empty() ? "(none)" : to_hex_spaced(command));
    if (command.size() >= 4) {
        w.field("CLA " + byte_hex(command[0]), describe_cla(command[0]));
        std::string ins = ins_display_name(x.ins, command[1]);
        if (x.ins.known() && x.ins.table != AppletKind::Unknown)
            ins += " (" + std::string(applet_kind_name(x.ins.table)) + ")";
        if (x.ins.known() && !x.ins.entry->meaning.empty()) ins += "; " + std::string(x.ins.entry->meaning);
        w.field("INS " + byte_hex(command[1]), ins, Role::Info);
        std::string params = x.params.text();
        w.field("P1 P2", byte_hex(command[2]) + " " + byte_hex(command[3]) + (params.empty() ? "" : "  " + params));
    }
    if (!x.applet_name.empty()) w.field("Applet", x.applet_name, Role::Accent);
    if (!x.parse.ok()) {
        w.field("Malformed", x.parse.message(), Role::Error);
    } else {
        const CommandApdu& a = *x.parse.apdu;
        apdu_case_field(w, a, command);
        if (a.nc) w.dump("Data", ByteView(command).subspan(a.data_offset, a.nc), masked ? Role::Warn : Role::Normal);
        tlv_block(w, "BER-TLV", x.command_tlv);
        // Fields would show what the mask hides (PUT KEY's keys...).
        if (!x.is_secret() || show_secrets) fields_block(w, x.data_fields);
    }
    if (x.is_secret())
        w.field("Secret", std::string(x.secret_rule->what) +
                              (masked ? " (masked; --show-secrets shows it)" : " (shown: --show-secrets)"),
                Role::Warn);

    w.section("Response APDU");
    if (x.response.empty()) {
        w.text("no response (the transmit failed)", Role::Dim);
        return;
    }
    if (x.sw) {
        w.field("SW " + sw_hex(*x.sw), x.sw_meaning.text, sw_role(*x.sw, x.applet));
        w.last().add("  (" + std::string(sw_class_name(x.sw_meaning.cls)) + ")", Role::Dim);
    } else {
        w.field("Malformed", "fewer than 2 bytes: no SW1 SW2", Role::Error);
    }
    if (x.continues) {
        const Named* kind = find_value(kContinuationKinds, static_cast<uint64_t>(x.continues->kind));
        w.field("Continues", std::string(kind ? kind->name : "continues") + " #" + std::to_string(x.continues->seq) +
                                 " " + x.continues->command);
    }
    ByteView data = x.response_data();
    if (!data.empty()) w.dump("Data", data);
    if (x.assembled_response.size() > data.size())
        w.field("Assembled", std::to_string(x.assembled_response.size()) + " bytes of response data so far");
    tlv_block(w, "BER-TLV", x.response_tlv);
    fields_block(w, x.response_fields);
}

void atr_section(DetailWriter& w, std::string_view reader, ByteView atr, std::string_view card_name) {
    w.section("ATR" + (reader.empty() ? std::string() : " of " + std::string(reader)));
    w.field("Bytes", to_hex_spaced(atr));
    if (!card_name.empty()) w.field("Card", card_name, Role::Accent);
    Atr parsed = parse_atr(atr);
    for (const std::string& line : atr_lines(parsed)) w.text(line, Role::Normal, 2);
}

Bytes hex_bytes(const nlohmann::json& v) {
    if (!v.is_string()) return {};
    HexParse p = parse_hex(v.get_ref<const std::string&>());
    return p.ok() ? std::move(p.bytes) : Bytes{};
}

}  // namespace

std::vector<StyledLine> detail_lines(const SessionModel& model, const CallRecord& call, bool show_secrets,
                                     const Glyphs& g) {
    std::vector<StyledLine> lines;
    DetailWriter w(lines, g);
    const std::string fn(model.function_name(call));
    const ProcessInfo* p = model.process_at(call.process);  // nullptr: folded into totals
    const ReaderInfo* reader =
        call.reader >= 0 && static_cast<size_t>(call.reader) < model.readers().size() ? &model.readers()[static_cast<size_t>(call.reader)] : nullptr;

    StyledLine title;
    title.add(fn, call.error() ? Role::Error : Role::Strong)
        .add("  seq " + std::to_string(call.seq) + "  call " + std::to_string(call.ordinal) + " of the session", Role::Dim);
    lines.push_back(std::move(title));
    w.field("Process", std::to_string(call.pid) + " " + (p ? process_name(*p) + (process_name(*p) != p->exe_name() ? " (" + p->exe + ")" : "") : std::string(kFoldedProcess)) + "  tid " +
                           std::to_string(call.tid));
    w.field("Started", clock_time_ms(call.ts_us) + std::to_string(1000 + call.ts_us % 1000).substr(1) +
                           "  took " + format_duration(call.dur_ns, g));
    if (reader) w.field("Reader", reader->name);
    const Named* rc = find_return_code(call.rv);
    std::string result = (rc ? std::string(rc->name) : hex_value(static_cast<uint32_t>(call.rv))) + " (" +
                         hex_value(static_cast<uint32_t>(call.rv)) + ")" + (rc ? "  " + std::string(rc->meaning) : "");
    w.field("Result", result, call.error() ? Role::Error : call.rv ? Role::Dim : Role::Ok);

    DecodedEvent decoded = decode_event(call.raw);
    const CallEvent* event = decoded.ok() ? std::get_if<CallEvent>(&*decoded.event) : nullptr;
    nlohmann::json in = event ? event->in : nlohmann::json::object();
    nlohmann::json out = event ? event->out : nlohmann::json::object();
    std::span<const Feature> features;
    if (reader) features = reader->features;
    if (!show_secrets)
        mask_call_secrets(SessionModel::function(call), in, features, static_cast<AppletKind>(call.applet_kind));

    w.section("Arguments");
    ArgumentStyle style;
    style.features = features;
    for (const ArgumentLine& a : describe_call_arguments(fn, in, out, call.rv, style)) {
        StyledLine l;
        l.add(std::string(1, a.direction) + " ", Role::Dim)
            .add(a.text, a.direction == 'i' ? Role::Normal : a.direction == 'o' ? Role::Accent : Role::Info);
        lines.push_back(std::move(l));
    }
    if (!event) w.text("(the event line could not be read again)", Role::Error);

    if (call.has_apdu())
        if (std::optional<DecodedExchange> x = model.decode_exchange(call.ordinal)) apdu_sections(w, *x, show_secrets);

    // ATRs: what the call returned, or for a connection the reader's card.
    if (fn == "SCardStatus") {
        Bytes atr = out.is_object() && out.contains("pbAtr") ? hex_bytes(out["pbAtr"]) : Bytes{};
        std::string name = out.is_object() && out.contains("szReaderName") && out["szReaderName"].is_string()
                               ? out["szReaderName"].get<std::string>()
                               : reader ? reader->name : std::string();
        if (!atr.empty()) atr_section(w, name, atr, reader && reader->atr == atr ? reader->card_name : "");
    } else if (fn == "SCardGetStatusChange" && out.is_object() && out.contains("rgReaderStates") &&
               out["rgReaderStates"].is_array()) {
        for (const nlohmann::json& s : out["rgReaderStates"]) {
            Bytes atr = s.is_object() && s.contains("rgbAtr") ? hex_bytes(s["rgbAtr"]) : Bytes{};
            if (atr.empty()) continue;
            std::string name = s.contains("szReader") && s["szReader"].is_string() ? s["szReader"].get<std::string>() : "";
            const ReaderInfo* r = model.reader_by_name(name);
            atr_section(w, name, atr, r && r->atr == atr ? r->card_name : "");
        }
    } else if (fn == "SCardConnect" && reader && !reader->atr.empty()) {
        atr_section(w, reader->name + " (the card now in the reader)", reader->atr, reader->card_name);
    }
    // Names, arguments and card data come from the traced programs: every text
    // is sanitised here, once, before any of it can reach the terminal.
    for (StyledLine& l : lines)
        for (Span& s : l.spans) s.text = display_text(s.text, g);
    return lines;
}

}  // namespace pcscspy::dashboard
