#include "monitor/views/dashboard/text_fit.hpp"

#include <cwchar>
#include <utility>
#include <vector>

#include "monitor/views/terminal_text.hpp"

namespace pcscspy::dashboard {

namespace {

// The glyphs' ASCII forms, for terminals without a UTF-8 locale (e.g. TERM=vt100
// in the C locale). The APDU summaries of the model use "→".
constexpr std::pair<std::string_view, std::string_view> kAsciiForms[] = {
    {"…", "~"}, {"→", "->"}, {"●", "o"}, {"█", "#"}, {"▌", "#"}, {"─", "-"}, {"│", "|"},
    {"┌", "+"}, {"┐", "+"}, {"└", "+"}, {"┘", "+"}, {"µ", "u"}, {"▼", "v"}, {"▲", "^"}, {"·", "-"}, {"↑", "Up"}, {"↓", "Down"},
};

// One UTF-8 character at text[i]: its length in bytes (1 for a bad byte) and
// code point (-1 for a bad byte).
std::pair<size_t, long> next_char(std::string_view text, size_t i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) return {1, b};
    size_t len = b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
    if (len == 0 || b >= 0xF5 || i + len > text.size()) return {1, -1};
    long cp = len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(text[i + k]);
        if ((c & 0xC0) != 0x80) return {1, -1};
        cp = cp << 6 | (c & 0x3F);
    }
    return {len, cp};
}

int char_width(long cp) {
    if (cp < 0) return 1;
    if (cp < 0x80) return cp >= 0x20 && cp != 0x7F ? 1 : 0;
    int w = wcwidth(static_cast<wchar_t>(cp));
    return w < 0 ? 1 : w;
}

// The longest prefix of `text` that fits in `width` columns: its length in bytes and width.
std::pair<size_t, size_t> prefix_fitting(std::string_view text, size_t width) {
    size_t i = 0, w = 0;
    while (i < text.size()) {
        auto [len, cp] = next_char(text, i);
        size_t cw = static_cast<size_t>(char_width(cp));
        if (w + cw > width) break;
        w += cw;
        i += len;
    }
    // Combining characters that follow belong to the last character.
    while (i < text.size()) {
        auto [len, cp] = next_char(text, i);
        if (char_width(cp) != 0) break;
        i += len;
    }
    return {i, w};
}

// The shortest suffix start such that the suffix fits in `width` columns.
std::pair<size_t, size_t> suffix_fitting(std::string_view text, size_t width) {
    std::vector<std::pair<size_t, int>> chars;  // start, width
    for (size_t i = 0; i < text.size();) {
        auto [len, cp] = next_char(text, i);
        chars.emplace_back(i, char_width(cp));
        i += len;
    }
    size_t start = text.size(), w = 0;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) {
        if (w + static_cast<size_t>(it->second) > width) break;
        w += static_cast<size_t>(it->second);
        start = it->first;
    }
    // Do not start on a combining character.
    while (start < text.size() && char_width(next_char(text, start).second) == 0) start += next_char(text, start).first;
    return {start, w};
}

}  // namespace

Glyphs Glyphs::for_locale(bool utf8) {
    Glyphs g;
    if (utf8) return g;
    g.unicode = false;
    auto ascii = [](std::string_view glyph) {
        for (auto [u, a] : kAsciiForms)
            if (u == glyph) return a;
        return std::string_view("?");
    };
    g.ellipsis = ascii(g.ellipsis);
    g.arrow = ascii(g.arrow);
    g.light_on = ascii(g.light_on);
    g.bar_full = ascii(g.bar_full);
    g.bar_half = ascii(g.bar_half);
    g.rule = ascii(g.rule);
    g.side = ascii(g.side);
    g.corner_tl = ascii(g.corner_tl);
    g.corner_tr = ascii(g.corner_tr);
    g.corner_bl = ascii(g.corner_bl);
    g.corner_br = ascii(g.corner_br);
    g.separator = ascii(g.separator);
    g.micro = ascii(g.micro);
    return g;
}

std::string display_text(std::string_view text, const Glyphs& glyphs) {
    std::string clean = TerminalText::clean(text);
    if (glyphs.unicode) return clean;
    std::string out;
    out.reserve(clean.size());
    for (size_t i = 0; i < clean.size();) {
        auto [len, cp] = next_char(clean, i);
        if (cp >= 0 && cp < 0x80) {
            out += clean[i];
        } else {
            std::string_view ch(clean.data() + i, len);
            std::string_view replacement = "?";
            for (auto [u, a] : kAsciiForms)
                if (u == ch) replacement = a;
            out += replacement;
        }
        i += len;
    }
    return out;
}

size_t display_width(std::string_view text) {
    size_t w = 0;
    for (size_t i = 0; i < text.size();) {
        auto [len, cp] = next_char(text, i);
        w += static_cast<size_t>(char_width(cp));
        i += len;
    }
    return w;
}

std::string truncate(std::string_view text, size_t width, const Glyphs& glyphs, Cut cut) {
    if (display_width(text) <= width) return std::string(text);
    if (width == 0) return {};
    const size_t ellipsis_width = display_width(glyphs.ellipsis);
    if (width <= ellipsis_width) return std::string(text.substr(0, prefix_fitting(text, width).first));
    const size_t room = width - ellipsis_width;
    if (cut == Cut::Middle && room >= 2) {
        size_t head = (room + 1) / 2;
        auto [head_len, head_w] = prefix_fitting(text, head);
        auto [tail_start, tail_w] = suffix_fitting(text, room - head_w);
        (void)tail_w;
        return std::string(text.substr(0, head_len)) + std::string(glyphs.ellipsis) + std::string(text.substr(tail_start));
    }
    return std::string(text.substr(0, prefix_fitting(text, room).first)) + std::string(glyphs.ellipsis);
}

std::string fit(std::string_view text, size_t width, const Glyphs& glyphs, Align align, Cut cut) {
    std::string out = truncate(text, width, glyphs, cut);
    size_t w = display_width(out);
    if (w >= width) return out;
    return align == Align::Left ? out + spaces(width - w) : spaces(width - w) + out;
}

}  // namespace pcscspy::dashboard
