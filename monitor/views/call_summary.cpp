#include "monitor/views/call_summary.hpp"

#include <nlohmann/json.hpp>

#include "protocol/pcsc_format.hpp"
#include "protocol/pcsc_names.hpp"

namespace pcscspy {

using nlohmann::json;

namespace {

// Family prefixes dropped in one-line forms (the detail view shows full names).
constexpr std::string_view kConstantPrefixes[] = {"SCARD_STATE_", "SCARD_SCOPE_", "SCARD_SHARE_", "SCARD_ATTR_",
                                                  "SCARD_"};

struct SummaryText {
    std::vector<SummaryPiece>& pieces;
    void add(std::string_view text, SummaryKind kind = SummaryKind::Plain) {
        pieces.push_back(SummaryPiece{kind, std::string(text)});
    }
    void arrow() { add("", SummaryKind::Arrow); }
};

struct CallData {
    const json& in;
    const json& out;
    const SessionModel& model;
    const CallRecord& call;
};

std::optional<uint64_t> number(const json& object, std::string_view name) {
    if (!object.is_object()) return std::nullopt;
    auto it = object.find(name);
    if (it == object.end()) return std::nullopt;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_number_integer()) return static_cast<uint64_t>(it->get<int64_t>());
    return std::nullopt;
}

std::optional<std::string> string_field(const json& object, std::string_view name) {
    if (!object.is_object()) return std::nullopt;
    auto it = object.find(name);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

size_t hex_length(const json& object, std::string_view name) {
    auto s = string_field(object, name);
    return s ? s->size() / 2 : 0;
}

std::string bytes_text(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string names_list(const json& object, std::string_view name) {
    if (!object.is_object()) return {};
    auto it = object.find(name);
    if (it == object.end() || !it->is_array()) return {};
    std::string text;
    for (const json& s : *it)
        if (s.is_string()) text += (text.empty() ? "" : ", ") + s.get<std::string>();
    return std::to_string(it->size()) + ": " + text;
}

void scope(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwScope")) s.add(compact_constants(scope_to_string(*v)));
}

void readers_listed(const CallData& d, SummaryText& s) {
    std::string list = names_list(d.out, "mszReaders");
    if (!list.empty()) s.add(list);
}

void groups_listed(const CallData& d, SummaryText& s) {
    std::string list = names_list(d.out, "mszGroups");
    if (!list.empty()) s.add(list);
}

void active_protocol(const CallData& d, SummaryText& s) {
    auto p = number(d.out, "pdwActiveProtocol");
    if (!p) return;
    s.arrow();
    s.add(protocol_to_string(*p));
}

void connect(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwShareMode")) s.add(compact_constants(share_mode_to_string(*v)) + ",");
    if (auto v = number(d.in, "dwPreferredProtocols")) s.add(protocol_to_string(*v));
    active_protocol(d, s);
}

void reconnect(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwShareMode")) s.add(compact_constants(share_mode_to_string(*v)) + ",");
    if (auto v = number(d.in, "dwInitialization")) s.add(compact_constants(disposition_to_string(*v)));
    active_protocol(d, s);
}

void disposition(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwDisposition")) s.add(compact_constants(disposition_to_string(*v)));
}

void status(const CallData& d, SummaryText& s) {
    if (auto v = number(d.out, "pdwState")) s.add(compact_constants(card_state_to_string(*v)));
    if (auto v = number(d.out, "pdwProtocol")) s.add(protocol_to_string(*v));
    if (auto atr = string_field(d.out, "pbAtr"); atr && !atr->empty()) s.add("ATR " + *atr, SummaryKind::Detail);
}

void status_change(const CallData& d, SummaryText& s) {
    if (auto t = number(d.in, "dwTimeout"))
        s.add(static_cast<uint32_t>(*t) == 0xFFFFFFFF ? "wait forever" : "timeout " + std::to_string(*t) + " ms",
              SummaryKind::Detail);
    const json& states = d.out.is_object() && d.out.contains("rgReaderStates") ? d.out : d.in;
    auto it = states.is_object() ? states.find("rgReaderStates") : states.end();
    if (!states.is_object() || it == states.end() || !it->is_array()) return;
    bool first = true;
    for (const json& r : *it) {
        auto name = string_field(r, "szReader");
        auto event = number(r, "dwEventState");
        if (!name) continue;
        s.add((first ? "" : "· ") + *name + (event ? ": " + compact_constants(reader_state_to_string(*event)) : ""));
        first = false;
    }
}

void control(const CallData& d, SummaryText& s) {
    std::span<const Feature> features;
    if (d.call.reader >= 0 && static_cast<size_t>(d.call.reader) < d.model.readers().size())
        features = d.model.readers()[static_cast<size_t>(d.call.reader)].features;
    if (auto v = number(d.in, "dwControlCode")) s.add(control_code_to_string(*v, features));
    s.add(bytes_text(hex_length(d.in, "pbSendBuffer")), SummaryKind::Detail);
    if (d.call.rv == 0) {
        s.arrow();
        s.add(bytes_text(hex_length(d.out, "pbRecvBuffer")), SummaryKind::Detail);
    }
}

void get_attribute(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwAttrId")) s.add(compact_constants(attribute_to_string(*v)));
    if (d.call.rv == 0 && string_field(d.out, "pbAttr")) {
        s.arrow();
        s.add(bytes_text(hex_length(d.out, "pbAttr")), SummaryKind::Detail);
    }
}

void set_attribute(const CallData& d, SummaryText& s) {
    if (auto v = number(d.in, "dwAttrId")) s.add(compact_constants(attribute_to_string(*v)));
    s.add(bytes_text(hex_length(d.in, "pbAttr")), SummaryKind::Detail);
}

// A transmit whose APDU the model could not decode (too short, or no handle).
void transmit_bytes(const CallData& d, SummaryText& s) {
    s.add(bytes_text(d.call.sent), SummaryKind::Detail);
    if (d.call.rv == 0) {
        s.arrow();
        s.add(bytes_text(d.call.received), SummaryKind::Detail);
    }
}

struct CallSummarizer {
    std::string_view fn;
    void (*summarize)(const CallData&, SummaryText&);
};

// Functions without a row (context checks, transactions, SCardCancel,
// SCardFreeMemory) have nothing worth a column.
constexpr CallSummarizer kCallSummaries[] = {
    {"SCardEstablishContext", scope},
    {"SCardListReaders", readers_listed},
    {"SCardListReaderGroups", groups_listed},
    {"SCardConnect", connect},
    {"SCardReconnect", reconnect},
    {"SCardDisconnect", disposition},
    {"SCardEndTransaction", disposition},
    {"SCardStatus", status},
    {"SCardGetStatusChange", status_change},
    {"SCardControl", control},
    {"SCardGetAttrib", get_attribute},
    {"SCardSetAttrib", set_attribute},
    {"SCardTransmit", transmit_bytes},
};

void apdu_summary(const CallRecord& call, SummaryText& s) {
    // "<command> → <SW> <meaning>": the command, then the answer.
    std::string_view text = call.apdu;
    constexpr std::string_view kArrow = " → ";
    size_t at = text.rfind(kArrow);
    if (at == std::string_view::npos) {
        s.add(text, SummaryKind::Command);
        return;
    }
    s.add(text.substr(0, at), SummaryKind::Command);
    s.arrow();
    s.add(text.substr(at + kArrow.size()), SummaryKind::Answer);
}

}  // namespace

std::string compact_constants(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        bool dropped = false;
        // Only at the start of a name (start of text or after a separator).
        if (i == 0 || text[i - 1] == '|' || text[i - 1] == ' ' || text[i - 1] == '(')
            for (std::string_view p : kConstantPrefixes)
                if (text.substr(i, p.size()) == p && i + p.size() < text.size()) {
                    i += p.size();
                    dropped = true;
                    break;
                }
        if (!dropped) out += text[i++];
    }
    return out;
}

std::vector<SummaryPiece> summarize_call(const SessionModel& model, const CallRecord& call) {
    std::vector<SummaryPiece> pieces;
    SummaryText s{pieces};
    std::string_view fn = model.function_name(call);
    if (!call.apdu.empty()) {
        apdu_summary(call, s);
    } else {
        for (const CallSummarizer& c : kCallSummaries) {
            if (c.fn != fn) continue;
            json event = json::parse(call.raw, nullptr, false);
            if (event.is_discarded() || !event.is_object()) break;
            static const json kEmpty = json::object();
            auto in = event.find("in"), out = event.find("out");
            CallData d{in != event.end() ? *in : kEmpty, out != event.end() ? *out : kEmpty, model, call};
            c.summarize(d, s);
            break;
        }
    }
    if (call.rv != 0) {
        const Named* rc = find_return_code(call.rv);
        std::string name = rc ? std::string(rc->name) : hex_value(static_cast<uint32_t>(call.rv));
        // SCardGetStatusChange's timeout is its normal "nothing happened".
        s.add(name, call.error() ? SummaryKind::Failure : SummaryKind::Quiet);
    }
    return pieces;
}

}  // namespace pcscspy
