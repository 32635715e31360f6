// Hex text <-> bytes, and the hex+ASCII dump used by every view.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pcscspy {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

struct HexError {
    size_t position;      // offset in the input text
    std::string message;  // one line, e.g. "odd number of hex digits"
};

// Parses hex text as users paste it: upper or lower case, separated or not by
// spaces, tabs, newlines or colons ("3B:95", "3b 95", "3B95"). An optional "0x"
// prefix is accepted at the start of every group. Fails on any other character
// and on an odd number of digits within a group.
struct HexParse {
    Bytes bytes;
    std::optional<HexError> error;
    bool ok() const { return !error; }
};
HexParse parse_hex(std::string_view text);

// A number as `digits` upper-case hex digits, zero-padded, no prefix ("0A",
// "3F00"); more digits when the value needs them. Views format many of these,
// so it is written out rather than going through snprintf.
std::string hex_digits(uint64_t value, int digits);
inline std::string hex2(uint8_t v) { return hex_digits(v, 2); }
inline std::string hex4(uint16_t v) { return hex_digits(v, 4); }

// printf-style formatting into a std::string (for the decoders' one-line texts).
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* format, ...);

// Upper-case hex, no separators ("00A40400"); the event stream's form.
std::string to_hex(ByteView bytes);
// Upper-case hex with one space between bytes ("00 A4 04 00").
std::string to_hex_spaced(ByteView bytes);

// Lines of "OFFS HH HH ... HH  ascii" (16 bytes per line by default); the ASCII
// column shows printable ASCII and '.' for everything else, so a dump can never
// carry a control character to a terminal.
std::vector<std::string> hex_dump(ByteView bytes, size_t width = 16);

}  // namespace pcscspy
