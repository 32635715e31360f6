#include "decode/decode_atr.hpp"

#include "protocol/atr.hpp"

namespace pcscspy::decode {

namespace {


Json optional_number(const std::optional<uint8_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json parameters_json(const AtrParameters& p) {
    Json j = Json::object();
    j["ta1_present"] = p.ta1_present;
    j["fi_index"] = p.fi_index;
    j["fi"] = p.fi ? Json(p.fi) : Json("RFU");
    j["fmax_khz"] = p.fmax_khz ? Json(p.fmax_khz) : Json("RFU");
    j["di_index"] = p.di_index;
    j["di"] = p.di ? Json(p.di) : Json("RFU");
    j["extra_guard_time"] = optional_number(p.extra_guard_time);
    if (p.specific_mode)
        j["specific_mode"] = {{"protocol", p.specific_mode->protocol},
                              {"can_change", p.specific_mode->can_change},
                              {"implicit_parameters", p.specific_mode->implicit_parameters}};
    else
        j["specific_mode"] = nullptr;
    j["wi"] = optional_number(p.wi);
    j["ifsc"] = optional_number(p.ifsc);
    j["bwi"] = optional_number(p.bwi);
    j["cwi"] = optional_number(p.cwi);
    j["error_detection"] = p.crc ? Json(*p.crc ? "CRC" : "LRC") : Json(nullptr);
    j["clock_stop"] = optional_number(p.clock_stop);
    j["class_indicator"] = optional_number(p.class_indicator);
    j["spu"] = optional_number(p.spu);
    return j;
}

Json historical_json(const HistoricalBytes& h) {
    Json j = Json::object();
    j["category"] = h.category ? Json(hex2(*h.category)) : Json(nullptr);
    Json objects = Json::array();
    for (const CompactTlv& o : h.objects) {
        const Named* n = find_value(kCompactTlvTags, o.tag);
        objects.push_back({{"tag", o.tag}, {"name", n ? Json(n->name) : Json(nullptr)}, {"value", to_hex(o.value)}});
    }
    j["objects"] = objects;
    j["lcs"] = h.lcs ? Json(hex2(*h.lcs)) : Json(nullptr);
    j["sw"] = h.sw ? Json(to_hex(Bytes{static_cast<uint8_t>(*h.sw >> 8), static_cast<uint8_t>(*h.sw)})) : Json(nullptr);
    if (!h.dir_reference.empty()) j["dir_reference"] = to_hex(h.dir_reference);
    if (!h.proprietary.empty()) j["proprietary"] = to_hex(h.proprietary);
    return j;
}

}  // namespace

Decoded decode_atr(ByteView bytes, const CardList* cards) {
    Decoded d;
    Atr a = parse_atr(bytes);
    d.malformed = !a.ok();
    d.lines = atr_lines(a);

    CardList::Names names;
    if (cards) names = cards->names_for(bytes);
    if (cards) {
        if (names.descriptions.empty()) {
            d.lines.push_back("Card: not in the card list");
        } else {
            d.lines.push_back(names.corrected_tck
                                  ? "Card (from the card list, with the TCK corrected to " + hex2(*names.corrected_tck) + "):"
                                  : std::string("Card (from the card list):"));
            for (const std::string& n : names.descriptions) d.lines.push_back("  " + n);
        }
    }

    Json& j = d.json;
    j["atr"] = to_hex(bytes);
    j["ok"] = a.ok();
    j["complete"] = a.complete;
    j["ts"] = a.ts ? Json(hex2(*a.ts)) : Json(nullptr);
    j["convention"] = !a.convention ? Json(nullptr)
                      : *a.convention == AtrConvention::Direct ? Json("direct")
                                                               : Json("inverse");
    j["t0"] = a.t0 ? Json(hex2(*a.t0)) : Json(nullptr);
    j["historical_count"] = a.historical_count;
    Json ib = Json::array();
    for (const AtrInterfaceByte& b : a.interface_bytes)
        ib.push_back({{"name", b.name()},
                      {"level", b.level},
                      {"value", hex2(b.value)},
                      {"offset", b.offset},
                      {"protocol", b.protocol ? Json(*b.protocol) : Json(nullptr)},
                      {"meaning", interface_byte_meaning(a, b)}});
    j["interface_bytes"] = ib;
    j["protocols"] = a.protocols;
    j["t0_implicit"] = a.t0_implicit;
    j["parameters"] = parameters_json(a.parameters);
    j["historical_bytes"] = to_hex(a.historical);
    j["historical"] = historical_json(a.historical_decoded);
    j["tck"] = {{"present", a.tck.has_value()},
                {"value", a.tck ? Json(hex2(*a.tck)) : Json(nullptr)},
                {"valid", a.tck ? Json(a.tck_valid) : Json(nullptr)},
                {"required", a.tck_required}};
    j["extra"] = to_hex(a.extra);
    Json issues = Json::array();
    for (const AtrIssue& i : a.issues)
        issues.push_back({{"severity", i.severity == AtrIssue::Severity::Error ? "error" : "warning"},
                          {"offset", i.offset},
                          {"message", i.message}});
    j["issues"] = issues;
    j["cards"] = cards ? Json(names.descriptions) : Json(nullptr);
    j["cards_tck_corrected"] = names.corrected_tck ? Json(hex2(*names.corrected_tck)) : Json(nullptr);
    return d;
}

}  // namespace pcscspy::decode
