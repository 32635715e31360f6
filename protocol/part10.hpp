// PC/SC v2 part 10 ("IFDs with Secure PIN Entry Capabilities") exchanges of
// SCardControl: the CM_IOCTL_GET_FEATURE_REQUEST answer, the PIN and TLV
// properties the reader reports, and the PIN verify/modify requests, with their
// PIN-bearing bytes masked on request. Structures and byte orders are those of
// pcsc-lite's reader.h (TLV control codes big-endian, everything else
// little-endian), and the text lines follow pcsc-spy's.
//
// Every parser reads only inside the buffer it is given: truncated or malformed
// input gives an error (with the offset where reading stopped) and whatever was
// parsed before it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/hex.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/secrets.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

struct Part10Error {
    size_t offset;        // where in the buffer the problem is
    std::string message;  // one line
};

template <class T>
struct Part10Parse {
    T value{};  // on error: what was parsed before it (the rest zero/empty)
    std::optional<Part10Error> error;
    bool ok() const { return !error; }
};

// bEntryValidationCondition bits.
inline constexpr Named kEntryValidationConditions[] = {
    {0x01, "maximum size reached"},
    {0x02, "validation key pressed"},
    {0x04, "timeout occurred"},
};

// bPPDUSupport bits (FEATURE_GET_TLV_PROPERTIES).
inline constexpr Named kPpduSupport[] = {
    {0x01, "PPDU over SCardControl(FEATURE_CCID_ESC_COMMAND)"},
    {0x02, "PPDU over SCardTransmit"},
};

// FEATURE_EXECUTE_PACE bIdxFunction (PC/SC part 10 AMD1).
inline constexpr Named kPaceFunctions[] = {
    {0x01, "GetReaderPACECapabilities"},
    {0x02, "EstablishPACEChannel"},
    {0x03, "DestroyPACEChannel"},
};

// --- CM_IOCTL_GET_FEATURE_REQUEST answer: TLV, tag 1 byte, length 1 byte (4),
// value the big-endian control code. ---
Part10Parse<std::vector<Feature>> parse_feature_list(ByteView answer);
// "Tag FEATURE_IFD_PIN_PROPERTIES is 0x4233000A", one line per feature.
std::vector<std::string> feature_list_lines(std::span<const Feature> features);

// --- FEATURE_IFD_PIN_PROPERTIES answer (PIN_PROPERTIES_STRUCTURE, 4 bytes). ---
struct PinProperties {
    uint16_t wLcdLayout = 0;  // 0xXXYY: XX lines, YY characters per line; 0 = no display
    uint8_t bEntryValidationCondition = 0;
    uint8_t bTimeOut2 = 0;
};
Part10Parse<PinProperties> parse_pin_properties(ByteView answer);
std::vector<std::string> pin_properties_lines(const PinProperties& p);

// --- FEATURE_GET_TLV_PROPERTIES answer: TLV, tag 1 byte, length 1 byte,
// little-endian value (kPart10Properties). ---
struct TlvProperty {
    uint8_t tag = 0;
    Bytes value;
    // The value as a number for the b/w/dw properties when it has their size.
    std::optional<uint32_t> number;
};
Part10Parse<std::vector<TlvProperty>> parse_tlv_properties(ByteView answer);
std::vector<std::string> tlv_properties_lines(std::span<const TlvProperty> properties);

// --- FEATURE_VERIFY_PIN_DIRECT / _START request (PIN_VERIFY_STRUCTURE). ---
struct PinVerify {
    uint8_t bTimerOut = 0, bTimerOut2 = 0, bmFormatString = 0, bmPINBlockString = 0, bmPINLengthFormat = 0;
    uint16_t wPINMaxExtraDigit = 0;  // 0xXXYY: XX minimum, YY maximum PIN size
    uint8_t bEntryValidationCondition = 0, bNumberMessage = 0;
    uint16_t wLangId = 0;
    uint8_t bMsgIndex = 0;
    std::array<uint8_t, 3> bTeoPrologue{};
    uint32_t ulDataLength = 0;
    Bytes abData;  // the APDU sent to the card
};
inline constexpr size_t kPinVerifyHeaderSize = 19;
Part10Parse<PinVerify> parse_pin_verify(ByteView request);
std::vector<std::string> pin_verify_lines(const PinVerify& v);

// --- FEATURE_MODIFY_PIN_DIRECT / _START request (PIN_MODIFY_STRUCTURE). ---
struct PinModify {
    uint8_t bTimerOut = 0, bTimerOut2 = 0, bmFormatString = 0, bmPINBlockString = 0, bmPINLengthFormat = 0;
    uint8_t bInsertionOffsetOld = 0, bInsertionOffsetNew = 0;
    uint16_t wPINMaxExtraDigit = 0;
    uint8_t bConfirmPIN = 0, bEntryValidationCondition = 0, bNumberMessage = 0;
    uint16_t wLangId = 0;
    uint8_t bMsgIndex1 = 0, bMsgIndex2 = 0, bMsgIndex3 = 0;
    std::array<uint8_t, 3> bTeoPrologue{};
    uint32_t ulDataLength = 0;
    Bytes abData;
};
inline constexpr size_t kPinModifyHeaderSize = 24;
Part10Parse<PinModify> parse_pin_modify(ByteView request);
std::vector<std::string> pin_modify_lines(const PinModify& m);

// --- Secrets. ---
// The request of a SCardControl call for `feature_tag` with its PIN-bearing
// bytes replaced by kMaskByte (secrets.hpp: one mask for every secret), same
// length. Masked: the data field of the APDU inside PIN_VERIFY/PIN_MODIFY structures (VERIFY/MODIFY_PIN_DIRECT and _START),
// the PIN of a PACE EstablishPACEChannel, and the whole request of the _APP_ID
// variants (whose structure is not decoded). When the request is malformed the
// mask errs on the safe side: everything from where the secret may start to the
// end. Other features come back unchanged (length 0).
struct ControlRedaction {
    Bytes bytes;
    size_t offset = 0;  // masked range [offset, offset + length)
    size_t length = 0;
    std::optional<std::string> note;  // why the range is what it is, when the request was malformed
    bool masked() const { return length > 0; }
};
bool control_request_may_carry_pin(uint8_t feature_tag);
ControlRedaction redact_control_request(uint8_t feature_tag, ByteView request);

// --- pcsc-spy's "parsing ... results:" for a whole SCardControl exchange. ---
// Picks the parser from the control code (CM_IOCTL_GET_FEATURE_REQUEST, or the
// feature `features` maps it to) and returns a title line followed by the
// decoded lines indented by two spaces; empty when nothing applies. Pass the
// redacted request when secrets must not be shown.
std::vector<std::string> describe_control(uint64_t control_code, std::span<const Feature> features, ByteView request,
                                          ByteView response);

}  // namespace pcscspy
