#include "protocol/status_word.hpp"

#include <bit>
#include <cstdio>

namespace pcscspy {

namespace {

using C = SwClass;
using K = AppletKind;
constexpr uint16_t kExact = 0xFFFF;
constexpr uint16_t kSw1 = 0xFF00;

constexpr SwRow kSwRows[] = {
    // Normal processing.
    {0x9000, kExact, C::Success, "OK"},
    {0x6100, kSw1, C::Success, "{n} response byte{s} still available (GET RESPONSE)"},
    {0x6100, kExact, C::Success, "256 or more response bytes still available (GET RESPONSE)"},

    // Warnings, non-volatile memory unchanged.
    {0x6200, kSw1, C::Warning, "Warning, non-volatile memory unchanged (SW2 {sw2}: triggering by the card)"},
    {0x6200, kExact, C::Warning, "Warning, no information given (non-volatile memory unchanged)"},
    {0x6281, kExact, C::Warning, "Part of returned data may be corrupted"},
    {0x6282, kExact, C::Warning, "End of file or record reached before reading Ne bytes, or unsuccessful search"},
    {0x6283, kExact, C::Warning, "Selected file deactivated (invalidated; GlobalPlatform: card locked)"},
    {0x6283, kExact, C::Warning, "Card life cycle state is CARD_LOCKED (selected file invalidated)", K::GlobalPlatform},
    {0x6283, kExact, C::Warning, "Selected file invalidated (application blocked)", K::Emv},
    {0x6284, kExact, C::Warning, "File control information not formatted according to ISO 7816-4"},
    {0x6285, kExact, C::Warning, "Selected file in termination state"},
    {0x6286, kExact, C::Warning, "No input data available from a sensor on the card"},
    {0x6287, kExact, C::Warning, "At least one of the referenced records is deactivated"},

    // Warnings, non-volatile memory changed.
    {0x6300, kSw1, C::Warning, "Warning, non-volatile memory changed (SW2 {sw2})"},
    {0x6300, kExact, C::Warning,
     "Warning, no information given (non-volatile memory changed); after VERIFY: verification failed"},
    {0x6300, kExact, C::Warning, "Authentication of host cryptogram failed", K::GlobalPlatform},
    {0x6310, kExact, C::Warning, "More data available (repeat GET STATUS or GET DATA)", K::GlobalPlatform},
    {0x6381, kExact, C::Warning, "File filled up by the last write"},
    {0x63C0, 0xFFF0, C::Warning, "Verification failed, {x} retries left"},
    {0x63C1, kExact, C::Warning, "Verification failed, 1 retry left"},
    {0x63C0, kExact, C::Warning, "Verification failed, no retries left (blocked)"},

    // Execution errors.
    {0x6400, kSw1, C::Error, "Execution error, non-volatile memory unchanged (SW2 {sw2}: triggering by the card)"},
    {0x6400, kExact, C::Error, "Execution error, no information given (non-volatile memory unchanged)"},
    {0x6401, kExact, C::Error, "Immediate response required by the card"},
    {0x6500, kSw1, C::Error, "Execution error, non-volatile memory changed (SW2 {sw2})"},
    {0x6500, kExact, C::Error, "Execution error, no information given (non-volatile memory changed)"},
    {0x6581, kExact, C::Error, "Memory failure"},
    {0x6600, kSw1, C::Error, "Security-related issue (SW2 {sw2})"},
    {0x6600, kExact, C::Error, "Security-related issue, no information given"},

    // Checking errors.
    {0x6700, kSw1, C::Error, "Wrong length (SW2 {sw2})"},
    {0x6700, kExact, C::Error, "Wrong length (Lc or Le)"},
    {0x6800, kSw1, C::Error, "Functions in CLA not supported (SW2 {sw2})"},
    {0x6800, kExact, C::Error, "Functions in CLA not supported, no information given"},
    {0x6881, kExact, C::Error, "Logical channel not supported"},
    {0x6882, kExact, C::Error, "Secure messaging not supported"},
    {0x6883, kExact, C::Error, "Last command of the chain expected"},
    {0x6884, kExact, C::Error, "Command chaining not supported"},
    {0x6900, kSw1, C::Error, "Command not allowed (SW2 {sw2})"},
    {0x6900, kExact, C::Error, "Command not allowed, no information given"},
    {0x6981, kExact, C::Error, "Command incompatible with file structure"},
    {0x6982, kExact, C::Error, "Security status not satisfied"},
    {0x6983, kExact, C::Error, "Authentication method blocked"},
    {0x6984, kExact, C::Error, "Reference data not usable (referenced data invalidated)"},
    {0x6985, kExact, C::Error, "Conditions of use not satisfied"},
    {0x6985, kExact, C::Error, "Conditions of use not satisfied (U2F: test of user presence required)", K::Fido},
    {0x6986, kExact, C::Error, "Command not allowed (no current EF)"},
    {0x6987, kExact, C::Error, "Expected secure messaging data objects missing"},
    {0x6988, kExact, C::Error, "Incorrect secure messaging data objects"},
    {0x6999, kExact, C::Error, "Applet selection failed (Java Card)"},
    {0x6A00, kSw1, C::Error, "Wrong parameters P1-P2 (SW2 {sw2})"},
    {0x6A00, kExact, C::Error, "Wrong parameters P1-P2, no information given"},
    {0x6A80, kExact, C::Error, "Incorrect parameters in the command data field"},
    {0x6A81, kExact, C::Error, "Function not supported"},
    {0x6A82, kExact, C::Error, "File or application not found"},
    {0x6A83, kExact, C::Error, "Record not found"},
    {0x6A84, kExact, C::Error, "Not enough memory space in the file"},
    {0x6A85, kExact, C::Error, "Nc inconsistent with TLV structure"},
    {0x6A86, kExact, C::Error, "Incorrect parameters P1-P2"},
    {0x6A87, kExact, C::Error, "Nc inconsistent with parameters P1-P2"},
    {0x6A88, kExact, C::Error, "Referenced data or reference data not found"},
    {0x6A89, kExact, C::Error, "File already exists"},
    {0x6A8A, kExact, C::Error, "DF name already exists"},
    {0x6B00, kSw1, C::Error, "Wrong parameters P1-P2 (SW2 {sw2})"},
    {0x6B00, kExact, C::Error, "Wrong parameters P1-P2 (offset or address outside the EF)"},
    {0x6C00, kSw1, C::Error, "Wrong Le field; exact length is {n256} bytes (Le={sw2})"},
    {0x6D00, kSw1, C::Error, "Instruction code not supported or invalid (SW2 {sw2})"},
    {0x6D00, kExact, C::Error, "Instruction code not supported or invalid"},
    {0x6E00, kSw1, C::Error, "Class not supported (SW2 {sw2})"},
    {0x6E00, kExact, C::Error, "Class not supported"},
    {0x6F00, kSw1, C::Error, "No precise diagnosis (SW2 {sw2})"},
    {0x6F00, kExact, C::Error, "No precise diagnosis"},
    {0x6000, kSw1, C::Error, "Not a status word: 60 is the T=0 NULL procedure byte"},

    // 9XXX other than 9000 belong to the application.
    {0x9000, 0xF000, C::Unknown, "Application-specific status (not defined by ISO 7816-4)"},
    {0x9100, kExact, C::Success, "CTAP2 processing: poll with NFCCTAP_GETRESPONSE", K::Fido},
    {0x9484, kExact, C::Error, "Algorithm not supported (GlobalPlatform)"},
    {0x9485, kExact, C::Error, "Invalid key check value (GlobalPlatform)"},

    // GlobalPlatform Card Specification 2.3: §11.1.3 (general error conditions)
    // and the response status of each command (§11.3-§11.11).
    {0x6400, kExact, C::Error, "No specific diagnosis", K::GlobalPlatform},
    {0x6581, kExact, C::Error, "Memory failure (e.g. during LOAD, INSTALL or PUT KEY)", K::GlobalPlatform},
    {0x6700, kExact, C::Error, "Wrong length in Lc", K::GlobalPlatform},
    {0x6881, kExact, C::Error, "Logical channel not supported or not active", K::GlobalPlatform},
    {0x6982, kExact, C::Error, "Security status not satisfied (no secure channel, or its security level too low)",
     K::GlobalPlatform},
    {0x6985, kExact, C::Error,
     "Conditions of use not satisfied (e.g. life cycle state, or an object others depend on)", K::GlobalPlatform},
    {0x6A80, kExact, C::Error, "Incorrect values in the command data", K::GlobalPlatform},
    {0x6A81, kExact, C::Error, "Function not supported (e.g. card life cycle state is CARD_LOCKED)",
     K::GlobalPlatform},
    {0x6A82, kExact, C::Error, "Application or file not found", K::GlobalPlatform},
    {0x6A84, kExact, C::Error, "Not enough memory space", K::GlobalPlatform},
    {0x6A86, kExact, C::Error, "Incorrect P1 P2", K::GlobalPlatform},
    {0x6A88, kExact, C::Error, "Referenced data not found (key, object or GET DATA tag)", K::GlobalPlatform},
    {0x6D00, kExact, C::Error, "Invalid instruction", K::GlobalPlatform},
    {0x6E00, kExact, C::Error, "Invalid class", K::GlobalPlatform},
    {0x9484, kExact, C::Error, "Algorithm not supported", K::GlobalPlatform},
    {0x9485, kExact, C::Error, "Invalid key check value", K::GlobalPlatform},

    // NIST SP 800-73-4 part 2 §3: the status words of the PIV commands.
    {0x6300, kExact, C::Warning, "Verification failed", K::Piv},
    {0x6982, kExact, C::Error, "Security status not satisfied (PIN or card management key not verified)", K::Piv},
    {0x6983, kExact, C::Error, "Authentication method blocked (PIN or PUK blocked)", K::Piv},
    {0x6A80, kExact, C::Error, "Incorrect parameter in the command data field", K::Piv},
    {0x6A81, kExact, C::Error, "Function not supported", K::Piv},
    {0x6A82, kExact, C::Error, "Application or data object not found", K::Piv},
    {0x6A84, kExact, C::Error, "Not enough memory", K::Piv},
    {0x6A86, kExact, C::Error, "Incorrect parameter in P1 or P2 (algorithm or key reference)", K::Piv},
    {0x6A88, kExact, C::Error, "Key reference not found", K::Piv},

    // OpenPGP card 3.4 §7.4 (status bytes).
    {0x63C0, 0xFFF0, C::Warning, "Password not checked, {x} further retries allowed", K::OpenPgp},
    {0x63C1, kExact, C::Warning, "Password not checked, 1 further retry allowed", K::OpenPgp},
    {0x63C0, kExact, C::Warning, "Password not checked, no retries left (blocked)", K::OpenPgp},
    {0x6285, kExact, C::Warning, "Selected file or DO in termination state (ACTIVATE FILE resets the application)",
     K::OpenPgp},
    {0x6581, kExact, C::Error, "Memory failure", K::OpenPgp},
    {0x6600, kExact, C::Error, "Security-related issue (user interaction: touch not confirmed)", K::OpenPgp},
    {0x6982, kExact, C::Error, "Security status not satisfied: PW wrong or not checked, or SM incorrect", K::OpenPgp},
    {0x6983, kExact, C::Error, "Authentication method blocked: PW blocked (error counter zero)", K::OpenPgp},
    {0x6985, kExact, C::Error, "Condition of use not satisfied", K::OpenPgp},
    {0x6987, kExact, C::Error, "Expected secure messaging DOs missing (e.g. SM key)", K::OpenPgp},
    {0x6988, kExact, C::Error, "SM data objects incorrect (e.g. wrong TLV structure)", K::OpenPgp},
    {0x6A88, kExact, C::Error, "Referenced data, reference data or DO not found", K::OpenPgp},
    {0x6D00, kExact, C::Error, "Instruction code (INS) not supported or invalid", K::OpenPgp},
    {0x6E00, kExact, C::Error, "Class (CLA) not supported", K::OpenPgp},

    // EMV Book 1 §11-12 and Book 3 §6.3.5, §6.5 (status of each command) and
    // §10.1 (GET PROCESSING OPTIONS).
    {0x6300, kExact, C::Warning, "Authentication failed (EXTERNAL AUTHENTICATE: issuer authentication failed)",
     K::Emv},
    {0x63C0, 0xFFF0, C::Warning, "Wrong PIN, {x} PIN tries left", K::Emv},
    {0x63C1, kExact, C::Warning, "Wrong PIN, 1 PIN try left", K::Emv},
    {0x63C0, kExact, C::Warning, "Wrong PIN, no PIN tries left (PIN blocked)", K::Emv},
    {0x6983, kExact, C::Error, "Authentication method blocked (PIN try limit exceeded)", K::Emv},
    {0x6984, kExact, C::Error, "Referenced data invalidated (PIN blocked)", K::Emv},
    {0x6985, kExact, C::Error,
     "Conditions of use not satisfied (GET PROCESSING OPTIONS: application not usable for this transaction)",
     K::Emv},
    {0x6A81, kExact, C::Error, "Function not supported (SELECT: card or application blocked)", K::Emv},
    {0x6A82, kExact, C::Error, "File or application not found", K::Emv},
    {0x6A83, kExact, C::Error, "Record not found (READ RECORD: no more records in this SFI)", K::Emv},
    {0x6A88, kExact, C::Error, "Referenced data (data object) not found", K::Emv},
};

std::string fill(std::string_view text, uint8_t sw2) {
    std::string out;
    out.reserve(text.size() + 8);
    char buf[8];
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '{') {
            size_t close = text.find('}', i);
            if (close != std::string_view::npos) {
                std::string_view key = text.substr(i + 1, close - i - 1);
                bool known = true;
                if (key == "n") std::snprintf(buf, sizeof buf, "%u", sw2);
                else if (key == "n256") std::snprintf(buf, sizeof buf, "%u", sw2 == 0 ? 256u : sw2);
                else if (key == "x") std::snprintf(buf, sizeof buf, "%u", sw2 & 0x0Fu);
                else if (key == "sw2") std::snprintf(buf, sizeof buf, "%02X", sw2);
                else if (key == "s") std::snprintf(buf, sizeof buf, "%s", sw2 == 1 ? "" : "s");
                else known = false;
                if (known) {
                    out += buf;
                    i = close;
                    continue;
                }
            }
        }
        out += text[i];
    }
    return out;
}

}  // namespace

std::string_view sw_class_name(SwClass c) {
    const Named* n = find_value(kSwClasses, static_cast<uint64_t>(c));
    return n ? n->name : std::string_view("unknown");
}

std::span<const SwRow> sw_rows() { return kSwRows; }

SwMeaning describe_sw(uint16_t sw, AppletKind applet) {
    const SwRow* best = nullptr;
    int best_bits = -1;
    for (const SwRow& r : kSwRows) {
        if ((sw & r.mask) != r.value) continue;
        if (r.applet != AppletKind::Unknown && r.applet != applet) continue;
        const int bits = std::popcount(r.mask);
        const bool wins = bits > best_bits ||
                          (bits == best_bits && r.applet != AppletKind::Unknown && best->applet == AppletKind::Unknown);
        if (wins) {
            best = &r;
            best_bits = bits;
        }
    }
    SwMeaning m;
    if (!best) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "Not a status word (SW1 %02X is neither 6X nor 9X)", sw >> 8);
        m.cls = SwClass::Error;
        m.text = buf;
        return m;
    }
    m.cls = best->cls;
    m.text = fill(best->text, static_cast<uint8_t>(sw & 0xFF));
    m.row = best;
    return m;
}

SwMeaning describe_sw(uint8_t sw1, uint8_t sw2, AppletKind applet) {
    return describe_sw(static_cast<uint16_t>(sw1 << 8 | sw2), applet);
}

}  // namespace pcscspy
