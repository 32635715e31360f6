#include "decode/decode_apdu.hpp"

#include "decode/text_output.hpp"
#include "protocol/apdu_decoder.hpp"

namespace pcscspy::decode {

namespace {


std::string sw_hex(uint16_t sw) { return hex2(static_cast<uint8_t>(sw >> 8)) + hex2(static_cast<uint8_t>(sw)); }

// "4 short: Lc = 7, Le = 00 (Ne = 256)"
std::string case_text(const CommandApdu& a, ByteView bytes) {
    std::string s = std::to_string(static_cast<int>(a.apdu_case));
    if (a.apdu_case != ApduCase::Case1) s += a.extended ? " extended" : " short";
    std::vector<std::string> parts;
    if (a.lc_length) parts.push_back("Lc = " + std::to_string(a.nc));
    if (a.le_length) {
        std::string le = "Le = " + to_hex(bytes.subspan(a.le_offset, a.le_length));
        if (a.ne) le += " (Ne = " + std::to_string(*a.ne) + ")";
        parts.push_back(le);
    }
    if (parts.empty()) return s + ": no data, no Le";
    s += ":";
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : " ") + parts[i];
    return s;
}

// BER-TLV lines under a label: the first line carries it.
void tlv_field(std::vector<std::string>& out, std::string_view label, const std::vector<std::string>& tlv) {
    for (const std::string& l : tlv) out.push_back(field(&l == &tlv.front() ? label : "", l));
}

std::string ins_text(const InsName& n, uint8_t ins) {
    std::string s = ins_display_name(n, ins);
    if (n.known() && n.table != AppletKind::Unknown) s += " (" + std::string(applet_kind_name(n.table)) + ")";
    if (n.known() && !n.entry->meaning.empty()) s += "; " + std::string(n.entry->meaning);
    return s;
}

}  // namespace

namespace {

// The decoder with `applet` selected on channel 0 (its first well-known AID),
// so that --applet names everything as the monitor does after a real SELECT.
ApduDecoder decoder_for(AppletKind applet) {
    ApduDecoder decoder;
    if (applet == AppletKind::Unknown) return decoder;
    for (const KnownAid& known : known_aids()) {
        if (known.kind != applet) continue;
        decoder.assume_selected(parse_hex(known.aid_hex).bytes);
        break;
    }
    return decoder;
}

std::vector<std::string> tlv_text(const std::vector<TlvLine>& lines) {
    std::vector<std::string> out;
    for (const TlvLine& l : lines) out.push_back(l.to_string());
    return out;
}

// The response lines and fields of an exchange whose command was given with its
// response: "response", "sw", "sw_class", "sw_meaning", "response_tlv".
void add_response(Decoded& d, const DecodedExchange& x) {
    Json& j = d.json;
    j["response"] = to_hex(x.response);
    d.lines.push_back(field("Response", x.response.empty() ? "(empty)" : to_hex_spaced(x.response)));
    if (!x.sw) {
        d.malformed = true;
        d.lines.push_back(field("Error", "a response ends with SW1 SW2"));
        j["sw"] = nullptr;
        return;
    }
    std::vector<std::string> tlv = tlv_text(x.response_tlv);
    if (!tlv.empty()) tlv_field(d.lines, "BER-TLV", tlv);
    j["response_tlv"] = tlv.empty() ? Json(nullptr) : Json(tlv);
    if (!x.response_fields.empty()) tlv_field(d.lines, "Fields", x.response_fields);
    j["response_fields"] = x.response_fields.empty() ? Json(nullptr) : Json(x.response_fields);
    d.lines.push_back(field("SW " + sw_hex(*x.sw), std::string(sw_class_name(x.sw_meaning.cls)) + ": " + x.sw_meaning.text));
    j["sw"] = sw_hex(*x.sw);
    j["sw_class"] = sw_class_name(x.sw_meaning.cls);
    j["sw_meaning"] = x.sw_meaning.text;
}

}  // namespace

ApduSession::ApduSession(AppletKind applet) : decoder_(decoder_for(applet)) {}

Decoded decode_command_apdu(ByteView bytes, AppletKind applet) { return ApduSession(applet).command(bytes); }

Decoded ApduSession::command(ByteView bytes, std::optional<ByteView> response) {
    Decoded d;
    Json& j = d.json;
    j["apdu"] = to_hex(bytes);
    d.lines.push_back(field("APDU", bytes.empty() ? "(empty)" : to_hex_spaced(bytes)));
    const uint8_t channel = bytes.empty() ? 0 : decode_cla(bytes[0]).channel;
    const AppletKind applet = decoder_.applet(channel);
    const std::string context = applet == AppletKind::Unknown ? std::string() : to_hex(decoder_.selected_aid(channel));
    DecodedExchange x = decoder_.feed(bytes, response.value_or(ByteView()), ++seq_);
    // No response given: a SELECT by DF name is taken to have succeeded.
    if (!response && x.parse.ok() && x.ins_name == "SELECT" && x.parse.apdu->p1 == 0x04 && x.parse.apdu->nc)
        decoder_.assume_selected(x.parse.apdu->data(bytes), x.channel);
    const CommandParse& parse = x.parse;
    j["ok"] = parse.ok();
    j["error"] = parse.ok() ? Json(nullptr) : Json(parse.message());
    if (!parse.ok()) {
        d.malformed = true;
        d.lines.push_back(field("Error", parse.message()));
    }
    if (bytes.size() < 4) return d;

    const uint8_t cla = bytes[0], ins = bytes[1], p1 = bytes[2], p2 = bytes[3];
    const std::string params = x.params.text();
    d.lines.insert(d.lines.begin() + 1, field("Command", params.empty() ? x.ins_name : x.ins_name + ": " + params));
    d.lines.push_back(field("CLA " + hex2(cla), describe_cla(cla)));
    d.lines.push_back(field("INS " + hex2(ins), ins_text(x.ins, ins)));
    d.lines.push_back(field("P1 P2", hex2(p1) + " " + hex2(p2)));
    j["cla"] = hex2(cla);
    j["cla_text"] = describe_cla(cla);
    j["ins"] = hex2(ins);
    j["ins_name"] = x.ins_name;
    j["ins_table"] = x.ins.known() ? Json(ins_table_name(x.ins)) : Json(nullptr);
    j["p1"] = hex2(p1);
    j["p2"] = hex2(p2);
    j["params"] = params;
    // The context the command was decoded in: --applet, or what an earlier
    // line selected.
    j["applet"] = applet == AppletKind::Unknown ? Json(nullptr) : Json(applet_kind_name(applet));
    if (applet != AppletKind::Unknown)
        d.lines.push_back(field("Applet", std::string(applet_kind_name(applet)) + " (selected " + context + ")"));
    j["secret"] = x.secret_rule ? Json(x.secret_rule->what) : Json(nullptr);
    if (!parse.ok()) return d;

    const CommandApdu& a = *parse.apdu;
    ByteView data = a.data(bytes);
    d.lines.push_back(field("Case", case_text(a, bytes)));
    j["case"] = static_cast<int>(a.apdu_case);
    j["extended"] = a.extended;
    j["lc"] = a.lc_length ? Json(a.nc) : Json(nullptr);
    j["data"] = to_hex(data);
    j["le"] = a.le_length ? Json(to_hex(bytes.subspan(a.le_offset, a.le_length))) : Json(nullptr);
    j["ne"] = a.ne ? Json(*a.ne) : Json(nullptr);
    if (!data.empty()) {
        auto data_lines = bytes_field("Data", data);
        d.lines.insert(d.lines.end(), data_lines.begin(), data_lines.end());
    }

    // A SELECT by DF name names the application it reaches.
    j["application"] = nullptr;
    if (ins == 0xA4 && p1 == 0x04 && !data.empty()) {
        if (const KnownAid* aid = find_aid(data)) {
            std::string text(aid->name);
            if (applet_kind_name(aid->kind) != aid->name) text += " (" + std::string(applet_kind_name(aid->kind)) + ")";
            d.lines.push_back(field("Application", text + ", AID " + std::string(aid->aid_hex) +
                                                       (aid->aid_hex.size() < data.size() * 2 ? "..." : "")));
            j["application"] = {{"aid", aid->aid_hex},
                                {"name", aid->name},
                                {"kind", applet_kind_name(aid->kind)},
                                {"source", aid->source}};
        }
    }
    // The data as BER-TLV for the commands whose data is TLV (the decoder's
    // choice, as in the monitor).
    std::vector<std::string> tlv = tlv_text(x.command_tlv);
    if (!tlv.empty()) tlv_field(d.lines, "BER-TLV", tlv);
    j["tlv"] = tlv.empty() ? Json(nullptr) : Json(tlv);
    // Fields the command set fixes (PDOL values of GET PROCESSING OPTIONS, PUT KEY...).
    if (!x.data_fields.empty()) tlv_field(d.lines, "Fields", x.data_fields);
    j["fields"] = x.data_fields.empty() ? Json(nullptr) : Json(x.data_fields);
    if (x.secret_rule) d.lines.push_back(field("Secret", std::string(x.secret_rule->what) + " (shown as given)"));
    if (response) add_response(d, x);
    return d;
}

Decoded decode_response_apdu(ByteView bytes, AppletKind applet) {
    Decoded d;
    Json& j = d.json;
    j["response"] = to_hex(bytes);
    d.lines.push_back(field("Response", bytes.empty() ? "(empty)" : to_hex_spaced(bytes)));
    ApduDecoder decoder = decoder_for(applet);
    DecodedExchange x = decoder.feed({}, bytes, 1);
    j["ok"] = x.sw.has_value();
    j["data"] = to_hex(x.response_data());
    if (!x.sw) {
        d.malformed = true;
        d.lines.push_back(field("Error", "a response ends with SW1 SW2: " + std::to_string(bytes.size()) +
                                             " byte(s) are not enough"));
        j["error"] = "no SW1 SW2";
        return d;
    }
    ByteView data = x.response_data();
    if (!data.empty()) {
        auto data_lines = bytes_field("Data (" + std::to_string(data.size()) + ")", data);
        d.lines.insert(d.lines.end(), data_lines.begin(), data_lines.end());
    }
    std::vector<std::string> tlv = tlv_text(x.response_tlv);
    if (!tlv.empty()) tlv_field(d.lines, "BER-TLV", tlv);
    j["tlv"] = tlv.empty() ? Json(nullptr) : Json(tlv);
    d.lines.push_back(field("SW " + sw_hex(*x.sw), std::string(sw_class_name(x.sw_meaning.cls)) + ": " + x.sw_meaning.text));
    j["sw"] = sw_hex(*x.sw);
    j["sw_class"] = sw_class_name(x.sw_meaning.cls);
    j["sw_meaning"] = x.sw_meaning.text;
    return d;
}

Decoded decode_status_word(ByteView sw, AppletKind applet) {
    Decoded d;
    uint16_t v = static_cast<uint16_t>(sw[0] << 8 | sw[1]);
    SwMeaning m = describe_sw(v, applet);
    d.lines.push_back(field("SW " + sw_hex(v), std::string(sw_class_name(m.cls)) + ": " + m.text));
    d.json["sw"] = sw_hex(v);
    d.json["class"] = sw_class_name(m.cls);
    d.json["meaning"] = m.text;
    return d;
}

}  // namespace pcscspy::decode
