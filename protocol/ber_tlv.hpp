// BER-TLV data objects (ISO/IEC 7816-4 §6.3, X.690 tag and length rules as
// smart cards use them): a bounded, non-recursive parser and a pretty-printer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/aid.hpp"
#include "protocol/hex.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// Deeper nesting than this is rejected: real card data stays under 10 levels,
// and a bound keeps hostile input from costing more than a flat list.
inline constexpr size_t kMaxTlvDepth = 32;

// One data object. Tags are kept as their bytes read big-endian (1 to 4 bytes:
// 0x6F, 0x5F2D, 0x9F7F, 0xBF0C, 0x7F49...).
struct TlvNode {
    uint32_t tag = 0;
    uint8_t tag_length = 1;
    bool constructed = false;  // bit 6 of the first tag byte
    bool encapsulates = false; // primitive, but its value parsed as BER-TLV
                               // children (see parse_ber_tlv's `encapsulating`)
    uint16_t depth = 0;        // 0 for top-level objects
    int parent = -1;           // index in TlvParse::nodes, -1 at top level
    size_t offset = 0;         // where the tag starts
    size_t value_offset = 0;
    size_t length = 0;         // value length
};

struct TlvError {
    size_t offset;
    std::string message;  // one printable line
};

struct TlvParse {
    std::vector<TlvNode> nodes;  // document order (parents before children)
    std::optional<TlvError> error;
    size_t padding = 0;          // 00/FF bytes skipped between objects
    // "Parses cleanly": at least one object and every byte accounted for.
    bool ok() const { return !error && !nodes.empty(); }
};

// Parses `data` as a sequence of BER-TLV objects, descending into constructed
// ones. Accepts 1- to 4-byte tags, lengths in short form or long form with 1 to
// 4 length bytes, and the 00/FF padding ISO 7816-4 allows before, between and
// after objects. Rejects the indefinite length (80), tags or lengths cut short,
// values overrunning their buffer or parent, nesting deeper than max_depth, and
// input that is empty or only padding. Primitive objects whose tag is in
// `encapsulating` are descended into when their value parses cleanly on its own
// (e.g. PIV's 53). Never throws; work is bounded by input size times max_depth.
TlvParse parse_ber_tlv(ByteView data, size_t max_depth = kMaxTlvDepth, NameTable encapsulating = {});

// The tag as hex ("5F2D").
std::string tag_hex(uint32_t tag);

// One printable line per object, for views.
struct TlvLine {
    uint16_t depth = 0;
    uint32_t tag = 0;
    bool constructed = false;  // children follow (constructed or encapsulating)
    size_t length = 0;
    std::string name;       // tag name in the applet context, "" when unknown
    std::string value_hex;  // primitive objects: the value (maybe shortened)
    std::string text;       // primitive objects whose value is printable ASCII
    // "  84 DF name (7): A0000003080000" / "    50 Application label (5): 50495620 \"PIV \""
    std::string to_string() const;
};

// Lines for a clean parse (empty when `parse` is not ok). Values longer than
// max_value_bytes (0: no limit) are shown as their first bytes then "...".
std::vector<TlvLine> tlv_lines(ByteView data, const TlvParse& parse, AppletKind applet = AppletKind::Unknown,
                               size_t max_value_bytes = 0);

// parse_ber_tlv (with the applet's encapsulating tags) then tlv_lines then
// to_string: the indented text, or nothing when the data does not parse cleanly.
std::vector<std::string> format_ber_tlv(ByteView data, AppletKind applet = AppletKind::Unknown,
                                        size_t max_value_bytes = 0);

}  // namespace pcscspy
