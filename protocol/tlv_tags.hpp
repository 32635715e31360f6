// Names of BER-TLV tags: ISO/IEC 7816-4/-6 inter-industry data objects and the
// tags of GlobalPlatform, EMV, PIV and the OpenPGP card, one table per context.
// Context-specific tags (80-BF) mean different things under different parents
// (80 is "file size" in an FCP but "witness" in a dynamic authentication
// template), so rows can name a parent.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/aid.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// The "parent" of a top-level object (no real tag has this value: the last
// byte of a tag never has bit 8 set).
inline constexpr uint32_t kTopLevelTag = 0xFFFFFFFF;
// A parent of 0 in a row means "under any parent, or at top level".
inline constexpr uint32_t kAnyParent = 0;

// Row key: Named::value = parent << 32 | tag.
constexpr uint64_t tag_key(uint32_t parent, uint32_t tag) { return uint64_t{parent} << 32 | tag; }

struct TagTable {
    AppletKind context;  // Unknown: the inter-industry table
    NameTable entries;
};
std::span<const TagTable> tag_tables();

// The name of `tag` found under `parent` (kTopLevelTag at top level) in the
// applet context: the context's table first, then the inter-industry one; for
// multi-byte tags (unambiguous across specifications) also the GlobalPlatform
// and EMV tables. In each table a row for this parent wins over a row for any
// parent; the FCP rows (parent 62) also serve the FCI (6F) and FMD (64), and the
// control reference template rows (parent A4) every CRT (A4 A6 AA B4 B6 B8).
// Empty when no table knows the tag.
std::string_view tlv_tag_name(uint32_t tag, uint32_t parent, AppletKind applet = AppletKind::Unknown);

// Primitive tags whose value is, by the applet's convention, itself BER-TLV
// (PIV's 53 data object container holds 70, 71, FE... but its tag says
// primitive). The parser descends into them when their value parses cleanly.
NameTable encapsulating_tags(AppletKind applet);

}  // namespace pcscspy
