#include "protocol/ber_tlv.hpp"
#include "protocol/hex.hpp"

#include <cstdio>

#include "protocol/tlv_tags.hpp"

namespace pcscspy {

namespace {

template <typename... Args>
TlvError error_at(size_t offset, const char* fmt, Args... args) {
    char buf[200];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return TlvError{offset, buf};
}

bool is_padding(uint8_t b) { return b == 0x00 || b == 0xFF; }

bool is_text(ByteView v) {
    if (v.size() < 2) return false;
    for (uint8_t c : v)
        if (c < 0x20 || c > 0x7E) return false;
    return true;
}

}  // namespace

std::string tag_hex(uint32_t tag) {
    // Tags are whole bytes: 2, 4, 6 or 8 digits.
    return hex_digits(tag, tag > 0xFFFFFF ? 8 : tag > 0xFFFF ? 6 : tag > 0xFF ? 4 : 2);
}

TlvParse parse_ber_tlv(ByteView data, size_t max_depth, NameTable encapsulating) {
    TlvParse r;
    const size_t n = data.size();
    // Open constructed objects: where each ends and its node index.
    struct Open {
        size_t end;
        int node;
    };
    std::vector<Open> open;
    size_t pos = 0;
    auto fail = [&](TlvError e) {
        r.error = std::move(e);
        return r;
    };

    for (;;) {
        const size_t end = open.empty() ? n : open.back().end;
        if (pos == end) {
            if (open.empty()) break;
            open.pop_back();
            continue;
        }
        if (is_padding(data[pos])) {
            ++pos;
            ++r.padding;
            continue;
        }

        TlvNode node;
        node.offset = pos;
        node.depth = static_cast<uint16_t>(open.size());
        node.parent = open.empty() ? -1 : open.back().node;
        const uint8_t first = data[pos];
        node.constructed = first & 0x20;
        uint32_t tag = first;
        size_t p = pos + 1;
        if ((first & 0x1F) == 0x1F) {
            for (;;) {
                if (p >= end) return fail(error_at(pos, "at offset %zu: tag %s cut short", pos, tag_hex(tag).c_str()));
                if (p - pos >= 4)
                    return fail(error_at(pos, "at offset %zu: tag longer than 4 bytes", pos));
                const uint8_t b = data[p++];
                tag = tag << 8 | b;
                if (!(b & 0x80)) break;
            }
        }
        node.tag = tag;
        node.tag_length = static_cast<uint8_t>(p - pos);

        if (p >= end) return fail(error_at(pos, "at offset %zu: tag %s has no length", pos, tag_hex(tag).c_str()));
        const uint8_t l0 = data[p++];
        uint64_t length = l0;
        if (l0 == 0x80)
            return fail(error_at(pos, "at offset %zu: tag %s uses the indefinite length (80), not allowed", pos,
                                 tag_hex(tag).c_str()));
        if (l0 > 0x80) {
            const size_t k = l0 & 0x7F;
            if (k > 4)
                return fail(error_at(pos, "at offset %zu: tag %s has a %zu-byte length field (at most 4)", pos,
                                     tag_hex(tag).c_str(), k));
            if (end - p < k)
                return fail(error_at(pos, "at offset %zu: tag %s length field cut short", pos, tag_hex(tag).c_str()));
            length = 0;
            for (size_t i = 0; i < k; ++i) length = length << 8 | data[p++];
        }
        const size_t left = end - p;
        if (length > left)
            return fail(error_at(pos, "at offset %zu: tag %s length %llu overruns the %zu byte(s) left%s", pos,
                                 tag_hex(tag).c_str(), static_cast<unsigned long long>(length), left,
                                 open.empty() ? "" : " in its parent"));
        node.value_offset = p;
        node.length = static_cast<size_t>(length);
        if (!node.constructed && node.length && find_value(encapsulating, tag) && open.size() + 1 <= max_depth)
            node.encapsulates = parse_ber_tlv(data.subspan(p, node.length), max_depth - open.size() - 1).ok();
        r.nodes.push_back(node);

        if (node.constructed || node.encapsulates) {
            if (open.size() + 1 > max_depth)
                return fail(error_at(pos, "at offset %zu: nesting deeper than %zu levels", pos, max_depth));
            open.push_back(Open{p + node.length, static_cast<int>(r.nodes.size() - 1)});
            pos = p;
        } else {
            pos = p + node.length;
        }
    }
    if (r.nodes.empty()) r.error = TlvError{0, n == 0 ? "no data" : "only padding bytes (00/FF), no data object"};
    return r;
}

std::string TlvLine::to_string() const {
    std::string s(static_cast<size_t>(depth) * 2, ' ');
    s += tag_hex(tag);
    if (!name.empty()) {
        s += ' ';
        s += name;
    }
    s += " (" + std::to_string(length) + ")";
    if (!constructed && length > 0) {
        s += ": ";
        s += value_hex;
        if (!text.empty()) {
            s += " \"";
            s += text;
            s += '"';
        }
    }
    return s;
}

std::vector<TlvLine> tlv_lines(ByteView data, const TlvParse& parse, AppletKind applet, size_t max_value_bytes) {
    std::vector<TlvLine> lines;
    if (!parse.ok()) return lines;
    lines.reserve(parse.nodes.size());
    for (size_t i = 0; i < parse.nodes.size(); ++i) {
        const TlvNode& node = parse.nodes[i];
        TlvLine line;
        line.depth = node.depth;
        line.tag = node.tag;
        // A constructed object that holds only padding (PIV's 71 CertInfo is
        // "constructed" 71 01 00) shows its value like a primitive one.
        const bool has_children = i + 1 < parse.nodes.size() && parse.nodes[i + 1].parent == static_cast<int>(i);
        line.constructed = (node.constructed || node.encapsulates) && has_children;
        line.length = node.length;
        const uint32_t parent = node.parent < 0 ? kTopLevelTag : parse.nodes[static_cast<size_t>(node.parent)].tag;
        line.name = std::string(tlv_tag_name(node.tag, parent, applet));
        if (!line.constructed) {
            ByteView value = data.subspan(node.value_offset, node.length);
            const bool cut = max_value_bytes && value.size() > max_value_bytes;
            line.value_hex = to_hex(cut ? value.first(max_value_bytes) : value);
            if (cut) line.value_hex += "...";
            if (is_text(value)) {
                line.text.assign(value.begin(), cut ? value.begin() + static_cast<std::ptrdiff_t>(max_value_bytes)
                                                    : value.end());
                if (cut) line.text += "...";
            }
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

std::vector<std::string> format_ber_tlv(ByteView data, AppletKind applet, size_t max_value_bytes) {
    std::vector<std::string> out;
    const TlvParse parse = parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(applet));
    for (const TlvLine& line : tlv_lines(data, parse, applet, max_value_bytes)) out.push_back(line.to_string());
    return out;
}

}  // namespace pcscspy
