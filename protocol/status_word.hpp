// Status words SW1 SW2 (ISO/IEC 7816-4 §5.6, tables 5 and 6) and the common
// GlobalPlatform, EMV, FIDO and Java Card ones, as patterns matched most
// specific first.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/aid.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

enum class SwClass : uint8_t {
    Success,  // 9000, 61XX (normal processing)
    Warning,  // 62XX, 63XX
    Error,    // 64XX-6FXX, application errors, and SW1 values that are no status
    Unknown,  // 9XXX the tables do not know: meaning is the application's own
};

inline constexpr Named kSwClasses[] = {
    {static_cast<uint64_t>(SwClass::Success), "success"},
    {static_cast<uint64_t>(SwClass::Warning), "warning"},
    {static_cast<uint64_t>(SwClass::Error), "error"},
    {static_cast<uint64_t>(SwClass::Unknown), "unknown"},
};
std::string_view sw_class_name(SwClass c);

// One row: matches the SWs with (sw & mask) == value, in the applet context
// `applet` (Unknown: any context). A richer row than Named because a status word
// meaning is a pattern with a class, not a single value. The text may hold
// placeholders filled from SW2: {n} decimal SW2, {n256} decimal SW2 with 00
// meaning 256, {x} low nibble of SW2 in decimal, {sw2} SW2 as 2 hex digits,
// {s} a plural 's' unless SW2 is 1.
struct SwRow {
    uint16_t value;
    uint16_t mask;
    SwClass cls;
    std::string_view text;
    AppletKind applet = AppletKind::Unknown;
};

std::span<const SwRow> sw_rows();

struct SwMeaning {
    SwClass cls = SwClass::Error;
    std::string text;             // one line, placeholders filled
    const SwRow* row = nullptr;   // the row that matched (nullptr: none)
};

// The row with the most mask bits among those that match (a row of the given
// applet context wins a tie over a generic one, then the earlier row), its text
// filled. SWs that no row matches (SW1 not 6X/9X) are errors "not a status word".
SwMeaning describe_sw(uint8_t sw1, uint8_t sw2, AppletKind applet = AppletKind::Unknown);
SwMeaning describe_sw(uint16_t sw, AppletKind applet = AppletKind::Unknown);

}  // namespace pcscspy
