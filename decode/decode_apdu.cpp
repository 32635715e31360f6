#include "decode/decode_apdu.hpp"

#include "decode/text_output.hpp"
#include "protocol/apdu.hpp"
#include "protocol/apdu_params.hpp"
#include "protocol/ber_tlv.hpp"
#include "protocol/ins_names.hpp"
#include "protocol/secrets.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy::decode {

namespace {

std::string hex_byte(uint8_t v) { return to_hex(ByteView(&v, 1)); }

std::string sw_hex(uint16_t sw) { return hex_byte(static_cast<uint8_t>(sw >> 8)) + hex_byte(static_cast<uint8_t>(sw)); }

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

Decoded decode_command_apdu(ByteView bytes, AppletKind applet) {
    Decoded d;
    Json& j = d.json;
    j["apdu"] = to_hex(bytes);
    d.lines.push_back(field("APDU", bytes.empty() ? "(empty)" : to_hex_spaced(bytes)));
    CommandParse parse = parse_command_apdu(bytes);
    j["ok"] = parse.ok();
    j["error"] = parse.ok() ? Json(nullptr) : Json(parse.message());
    if (!parse.ok()) {
        d.malformed = true;
        d.lines.push_back(field("Error", parse.message()));
    }
    if (bytes.size() < 4) return d;

    const uint8_t cla = bytes[0], ins = bytes[1], p1 = bytes[2], p2 = bytes[3];
    InsName name = name_instruction(applet, cla, ins, p1);
    std::string params;
    if (parse.ok()) params = describe_params(*parse.apdu, bytes, name, applet).text();
    std::string command = ins_display_name(name, ins);
    d.lines.insert(d.lines.begin() + 1, field("Command", params.empty() ? command : command + ": " + params));
    d.lines.push_back(field("CLA " + hex_byte(cla), describe_cla(cla)));
    d.lines.push_back(field("INS " + hex_byte(ins), ins_text(name, ins)));
    d.lines.push_back(field("P1 P2", hex_byte(p1) + " " + hex_byte(p2)));
    j["cla"] = hex_byte(cla);
    j["cla_text"] = describe_cla(cla);
    j["ins"] = hex_byte(ins);
    j["ins_name"] = ins_display_name(name, ins);
    j["ins_table"] = applet_kind_name(name.table);
    j["p1"] = hex_byte(p1);
    j["p2"] = hex_byte(p2);
    j["params"] = params;

    const SecretRule* secret = find_secret_rule(bytes, applet);
    j["secret"] = secret ? Json(secret->what) : Json(nullptr);
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
            j["application"] = {{"aid", aid->aid_hex}, {"name", aid->name}, {"kind", applet_kind_name(aid->kind)}};
        }
    }
    // Data as BER-TLV when it parses cleanly; a SELECT's data is a name or a
    // path, not TLV.
    j["tlv"] = nullptr;
    if (ins != 0xA4 && !data.empty()) {
        std::vector<std::string> tlv = format_ber_tlv(data, applet);
        if (!tlv.empty()) {
            tlv_field(d.lines, "BER-TLV", tlv);
            j["tlv"] = tlv;
        }
    }
    if (secret) d.lines.push_back(field("Secret", std::string(secret->what) + " (shown as given)"));
    return d;
}

Decoded decode_response_apdu(ByteView bytes, AppletKind applet) {
    Decoded d;
    Json& j = d.json;
    j["response"] = to_hex(bytes);
    d.lines.push_back(field("Response", bytes.empty() ? "(empty)" : to_hex_spaced(bytes)));
    ResponseApdu r = parse_response_apdu(bytes);
    j["ok"] = r.sw.has_value();
    j["data"] = to_hex(r.data);
    if (!r.sw) {
        d.malformed = true;
        d.lines.push_back(field("Error", "a response ends with SW1 SW2: " + std::to_string(bytes.size()) +
                                             " byte(s) are not enough"));
        j["error"] = "no SW1 SW2";
        return d;
    }
    if (!r.data.empty()) {
        auto data_lines = bytes_field("Data (" + std::to_string(r.data.size()) + ")", r.data);
        d.lines.insert(d.lines.end(), data_lines.begin(), data_lines.end());
    }
    std::vector<std::string> tlv = r.data.empty() ? std::vector<std::string>{} : format_ber_tlv(r.data, applet);
    if (!tlv.empty()) tlv_field(d.lines, "BER-TLV", tlv);
    j["tlv"] = tlv.empty() ? Json(nullptr) : Json(tlv);
    SwMeaning m = describe_sw(*r.sw, applet);
    d.lines.push_back(field("SW " + sw_hex(*r.sw), std::string(sw_class_name(m.cls)) + ": " + m.text));
    j["sw"] = sw_hex(*r.sw);
    j["sw_class"] = sw_class_name(m.cls);
    j["sw_meaning"] = m.text;
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
