// Text for PC/SC values, as the views and pcscspy-decode show them. Every name
// comes from the tables of pcsc_names.hpp; values no table explains are shown in
// hex, never dropped.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "protocol/pcsc_names.hpp"

namespace pcscspy {

std::string scope_to_string(uint64_t scope);             // "SCARD_SCOPE_USER"
std::string share_mode_to_string(uint64_t mode);         // "SCARD_SHARE_SHARED"
std::string disposition_to_string(uint64_t disposition); // "SCARD_LEAVE_CARD"
std::string attribute_to_string(uint64_t attr_id);       // "SCARD_ATTR_ATR_STRING"
std::string feature_tag_to_string(uint64_t tag);         // "FEATURE_VERIFY_PIN_DIRECT"

// Protocol bit set as pcsc-spy shows it: "T=0, T=1" for 3, "T=1" for 2,
// "SCARD_PROTOCOL_UNDEFINED" for 0; unknown bits appended in hex.
std::string protocol_to_string(uint64_t protocols);

// dwCurrentState/dwEventState: the state bits of the low 16 bits joined by '|',
// then the event counter of the upper 16 bits when it is not zero:
// "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT (event 3)". 0 is SCARD_STATE_UNAWARE.
std::string reader_state_to_string(uint64_t state);
constexpr uint16_t reader_event_counter(uint64_t state) {
    return static_cast<uint16_t>((state >> kReaderEventCounterShift) & 0xFFFF);
}

// SCardStatus pdwState: "SCARD_PRESENT|SCARD_POWERED|SCARD_NEGOTIABLE".
std::string card_state_to_string(uint64_t state);

// The feature whose control code this is, according to the reader's answer to
// CM_IOCTL_GET_FEATURE_REQUEST (part10.hpp: parse_feature_list).
constexpr const Feature* find_feature_by_code(std::span<const Feature> features, uint64_t code) {
    for (const Feature& f : features)
        if (f.control_code == code) return &f;
    return nullptr;
}

// dwControlCode: the feature name when `features` knows the code
// ("FEATURE_IFD_PIN_PROPERTIES"), else the kControlCodes name
// ("CM_IOCTL_GET_FEATURE_REQUEST"), else "SCARD_CTL_CODE(n)" (n in decimal, as
// reader.h writes it) for codes from 0x42000000 on, else hex.
std::string control_code_to_string(uint64_t code, std::span<const Feature> features = {});

}  // namespace pcscspy
