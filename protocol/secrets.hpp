// Secret-bearing command APDUs (PINs, PUKs, keys) and their redacted form: the
// data bytes replaced by a mask of the same length, so that lengths, headers and
// the rest of the exchange stay visible. Used by the interposer before data
// leaves the traced process (PCSCSPY_REDACT=1) and by every view and dump.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/aid.hpp"
#include "protocol/apdu.hpp"
#include "protocol/hex.hpp"

namespace pcscspy {

// '*': masked bytes read as "**" in hex dumps' ASCII column and are easy to spot
// in hex ("2A2A2A").
inline constexpr uint8_t kMaskByte = 0x2A;

// Which commands carry secrets. A row applies when the INS matches, P1P2 matches
// under the mask, the class rule holds and the applet is the row's (Unknown:
// in every context, also when no applet is known).
enum class SecretClass : uint8_t {
    Any,            // any class byte
    GpProprietary,  // proprietary class by the GP/EMV convention (80-9F, C0-FE)
};

struct SecretRule {
    AppletKind applet;
    SecretClass cla;
    uint8_t ins;
    uint16_t p1p2 = 0;
    uint16_t p1p2_mask = 0;   // 0: any P1P2
    std::string_view what;    // what the data is, e.g. "PIN (VERIFY)"
};

std::span<const SecretRule> secret_rules();

// The rule a command matches, nullptr when it carries no secret. Needs the CLA
// and INS bytes (2 bytes); rules on P1P2 need 4. Works on malformed APDUs too.
const SecretRule* find_secret_rule(ByteView command, AppletKind applet = AppletKind::Unknown);
bool carries_secret(ByteView command, AppletKind applet = AppletKind::Unknown);

// The bytes to mask: the data field of a well-formed secret-bearing command
// (empty for a VERIFY without data, the retry counter query), everything from
// byte 5 on for a malformed one, nothing for other commands.
struct SecretRange {
    size_t offset = 0;
    size_t length = 0;
    bool empty() const { return length == 0; }
};
SecretRange secret_range(ByteView command, AppletKind applet = AppletKind::Unknown);

// Masks the secret range in place and returns it; allocates nothing.
SecretRange redact_in_place(std::span<uint8_t> command, AppletKind applet = AppletKind::Unknown);
// A redacted copy: same length, the secret range filled with kMaskByte.
Bytes redact_command(ByteView command, AppletKind applet = AppletKind::Unknown);

}  // namespace pcscspy
