#include "monitor/views/terminal_text.hpp"

#include <cstdio>

#include "protocol/json_writer.hpp"  // utf8_sequence_length

namespace pcscspy {

namespace {

// Code points that reorder or hide text on a terminal (Trojan Source, CVE-2021-42574).
bool is_bidi_control(uint32_t cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
           cp == 0x061C;
}

uint32_t decode_code_point(const unsigned char* p, size_t len) {
    if (len == 1) return p[0];
    if (len == 2) return (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
    if (len == 3) return (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
    return (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
}

}  // namespace

void TerminalText::append(std::string& out, std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    size_t i = 0;
    char buf[16];
    while (i < text.size()) {
        // Fast path: a run of printable ASCII goes out as it is.
        size_t run = i;
        while (run < text.size() && p[run] >= 0x20 && p[run] < 0x7F) ++run;
        if (run > i) {
            out.append(text.data() + i, run - i);
            i = run;
            continue;
        }
        size_t len = utf8_sequence_length(p + i, text.size() - i);
        if (len == 0) {  // not UTF-8: the byte, visibly
            std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
            out += buf;
            ++i;
            continue;
        }
        uint32_t cp = decode_code_point(p + i, len);
        if (cp < 0x20 || cp == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\x%02x", cp);
            out += buf;
        } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", cp);
            out += buf;
        } else {
            out.append(text.data() + i, len);
        }
        i += len;
    }
}

std::string TerminalText::clean(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append(out, text);
    return out;
}

bool TerminalText::is_clean(std::string_view text) { return clean(text) == text; }

}  // namespace pcscspy
