// Command and response APDUs (ISO/IEC 7816-4 §5): the length rules of the four
// cases in short and extended form, and the class byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/hex.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// ISO/IEC 7816-3 §12.1.2: case 1 no data, no Le; case 2 Le only; case 3 Lc and
// data; case 4 Lc, data and Le.
enum class ApduCase : uint8_t { Case1 = 1, Case2 = 2, Case3 = 3, Case4 = 4 };

// A well-formed command APDU. Nothing here owns memory: the data field is an
// (offset, length) range of the bytes that were parsed, so that a parse costs no
// allocation (the interposer redacts with it).
struct CommandApdu {
    uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    ApduCase apdu_case = ApduCase::Case1;
    bool extended = false;     // extended length fields (ISO 7816-4 §5.1)
    size_t lc_offset = 0;      // Lc field (1 or 3 bytes), when present
    size_t lc_length = 0;      // 0 when there is no Lc field
    size_t nc = 0;             // Nc, the number of data bytes
    size_t data_offset = 0;    // the data field is [data_offset, data_offset + nc)
    size_t le_offset = 0;      // Le field (1, 2 or 3 bytes), when present
    size_t le_length = 0;      // 0 when there is no Le field
    std::optional<uint32_t> ne;  // Ne: Le=00 short -> 256, 0000 extended -> 65536

    uint16_t p1p2() const { return static_cast<uint16_t>(p1 << 8 | p2); }
    // The data field of `bytes`, the buffer this was parsed from.
    ByteView data(ByteView bytes) const { return bytes.subspan(data_offset, nc); }
};

// Why bytes are not a command APDU.
enum class ApduError : uint8_t {
    TooShort,              // fewer than 4 bytes: no header
    LcDataMismatch,        // Lc says more or fewer data bytes than present
    TrailingBytes,         // bytes after the Le field
    ExtendedTruncated,     // 00 then fewer than 2 length bytes
    ExtendedLcZero,        // extended Lc 0000 followed by more bytes
};

inline constexpr Named kApduErrors[] = {
    {static_cast<uint64_t>(ApduError::TooShort), "too short", "fewer than 4 bytes (no CLA INS P1 P2 header)"},
    {static_cast<uint64_t>(ApduError::LcDataMismatch), "Lc mismatch", "Lc inconsistent with the data present"},
    {static_cast<uint64_t>(ApduError::TrailingBytes), "trailing bytes", "bytes after the Le field"},
    {static_cast<uint64_t>(ApduError::ExtendedTruncated), "extended length truncated",
     "extended length field (00 then 2 bytes) cut short"},
    {static_cast<uint64_t>(ApduError::ExtendedLcZero), "extended Lc zero", "extended Lc of 0000 with further bytes"},
};

// Exactly one of apdu / error is set. Parsing allocates nothing (the
// interposer redacts with it); message() spells the error out.
struct CommandParse {
    std::optional<CommandApdu> apdu;
    std::optional<ApduError> error;
    // The numbers of the error.
    size_t total = 0;       // input length
    bool extended = false;  // the error is in an extended length field
    size_t lc = 0;          // Nc announced by Lc (0 when not read)
    size_t after = 0;       // bytes after the Lc field (or after byte 5 / 7)

    bool ok() const { return apdu.has_value(); }
    // One printable ASCII line with the numbers, e.g. "Lc=5 (0x05) but only 3
    // data byte(s) follow"; empty when ok().
    std::string message() const;
};

// Parses a command APDU by the length rules of ISO/IEC 7816-4 §5.1:
//   4 bytes                      case 1
//   5 bytes                      case 2 short, Le = byte 5 (00 -> Ne 256)
//   byte5 = Lc != 00             case 3 short (5+Lc bytes) or case 4 short (6+Lc)
//   byte5 = 00, 7 bytes          case 2 extended, Le = bytes 6-7 (0000 -> 65536)
//   byte5 = 00, Lc = b6b7 != 0   case 3 extended (7+Lc) or case 4 extended (9+Lc)
// A short Lc of 00 cannot exist: byte 5 = 00 followed by more bytes always starts
// an extended length field. Never throws.
CommandParse parse_command_apdu(ByteView bytes);

// The class byte (ISO/IEC 7816-4 §5.4.1).
enum class ClaKind : uint8_t {
    FirstInterindustry,    // 000x xxxx: channels 0-3, 2 SM bits
    FurtherInterindustry,  // 01xx xxxx: channels 4-19, 1 SM bit
    Reserved,              // 001x xxxx: reserved for future use
    Proprietary,           // 1xxx xxxx except FF
    Invalid,               // FF: invalid (used by PPS in T=0)
};

enum class SecureMessaging : uint8_t {
    None,
    Proprietary,               // first form b4b3 = 01 (the GlobalPlatform C-MAC class 84)
    HeaderNotAuthenticated,    // ISO SM, command header not processed
    HeaderAuthenticated,       // ISO SM, command header authenticated
};

inline constexpr Named kClaKinds[] = {
    {static_cast<uint64_t>(ClaKind::FirstInterindustry), "inter-industry"},
    {static_cast<uint64_t>(ClaKind::FurtherInterindustry), "inter-industry (further)"},
    {static_cast<uint64_t>(ClaKind::Reserved), "reserved"},
    {static_cast<uint64_t>(ClaKind::Proprietary), "proprietary"},
    {static_cast<uint64_t>(ClaKind::Invalid), "invalid"},
};

inline constexpr Named kSecureMessagingKinds[] = {
    {static_cast<uint64_t>(SecureMessaging::None), "no SM"},
    {static_cast<uint64_t>(SecureMessaging::Proprietary), "proprietary SM"},
    {static_cast<uint64_t>(SecureMessaging::HeaderNotAuthenticated), "ISO SM, header not authenticated"},
    {static_cast<uint64_t>(SecureMessaging::HeaderAuthenticated), "ISO SM, header authenticated"},
};

struct ClaInfo {
    ClaKind kind = ClaKind::FirstInterindustry;
    // The chaining / SM / channel bits below are known: always for inter-industry
    // classes; for proprietary ones only by the GlobalPlatform/EMV convention
    // (80-9F and C0-FE use the inter-industry layout below bit 8, e.g. 80 plain,
    // 84 secure messaging, 90 chained). A0-BF (e.g. GSM 11.11's A0) have none.
    bool layout_known = true;
    bool iso_convention = false;  // proprietary class read by the GP/EMV convention
    bool chaining = false;        // b5: not the last command of a chain
    SecureMessaging sm = SecureMessaging::None;
    uint8_t channel = 0;          // logical channel 0-19
};

ClaInfo decode_cla(uint8_t cla);
// One line, e.g. "inter-industry, channel 0, no SM" or
// "proprietary (GP/EMV convention), channel 0, proprietary SM, chained".
std::string describe_cla(uint8_t cla);

// A response APDU: data then SW1 SW2. Fewer than 2 bytes is not a response
// (no SW): sw is empty and data holds what there is.
struct ResponseApdu {
    ByteView data;
    std::optional<uint16_t> sw;
    uint8_t sw1() const { return static_cast<uint8_t>(sw.value_or(0) >> 8); }
    uint8_t sw2() const { return static_cast<uint8_t>(sw.value_or(0) & 0xFF); }
};
ResponseApdu parse_response_apdu(ByteView bytes);

}  // namespace pcscspy
