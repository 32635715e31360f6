#include "protocol/pcsc_format.hpp"

#include "protocol/xlat.hpp"

namespace pcscspy {

std::string scope_to_string(uint64_t scope) { return name_or_hex(kScopes, scope); }
std::string share_mode_to_string(uint64_t mode) { return name_or_hex(kShareModes, mode); }
std::string disposition_to_string(uint64_t disposition) { return name_or_hex(kDispositions, disposition); }
std::string attribute_to_string(uint64_t attr_id) { return name_or_hex(kAttributes, attr_id); }
std::string feature_tag_to_string(uint64_t tag) { return name_or_hex(kFeatureTags, tag, 2); }

std::string protocol_to_string(uint64_t protocols) {
    if (protocols == 0) return std::string(kProtocols[0].name);
    std::string out;
    uint64_t rest = protocols;
    for (const Named& p : kProtocols) {
        if (p.value == 0 || !(protocols & p.value)) continue;
        if (!out.empty()) out += ", ";
        out += p.meaning;
        rest &= ~p.value;
    }
    if (rest) {
        if (!out.empty()) out += ", ";
        out += hex_value(rest);
    }
    return out;
}

std::string reader_state_to_string(uint64_t state) {
    std::string out = flags_to_string(kReaderStates, state & kReaderStateMask);
    // Bits above 32 are not part of a DWORD state; keep them visible rather
    // than folding them into the counter.
    if (uint16_t events = reader_event_counter(state)) out += " (event " + std::to_string(events) + ")";
    if (state >> 32) out += " (+" + hex_value(state >> 32 << 32, 16) + ")";
    return out;
}

std::string card_state_to_string(uint64_t state) { return flags_to_string(kCardStates, state); }

std::string control_code_to_string(uint64_t code, std::span<const Feature> features) {
    if (const Feature* f = find_feature_by_code(features, code)) return feature_tag_to_string(f->tag);
    if (const Named* n = find_value(kControlCodes, code)) return std::string(n->name);
    if (code >= kScardCtlCodeBase && code <= 0xFFFFFFFF)
        return "SCARD_CTL_CODE(" + std::to_string(code - kScardCtlCodeBase) + ")";
    return hex_value(code);
}

}  // namespace pcscspy
