#include "protocol/hex.hpp"

#include <cstdarg>
#include <cstdio>

namespace pcscspy {

namespace {
int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':'; }
constexpr char kHexDigits[] = "0123456789ABCDEF";
}  // namespace

std::string hex_digits(uint64_t value, int digits) {
    int n = 1;
    while (n < 16 && (value >> (4 * n)) != 0) ++n;
    if (digits > n) n = digits;
    std::string s(static_cast<size_t>(n), '0');
    for (int i = n - 1; i >= 0 && value; --i, value >>= 4) s[static_cast<size_t>(i)] = kHexDigits[value & 0xF];
    return s;
}

std::string printf_string(const char* format, ...) {
    char buf[256];
    va_list args;
    va_start(args, format);
    int n = std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string s(static_cast<size_t>(n), '\0');
    va_start(args, format);
    std::vsnprintf(s.data(), s.size() + 1, format, args);
    va_end(args);
    return s;
}

HexParse parse_hex(std::string_view text) {
    HexParse r;
    r.bytes.reserve(text.size() / 2);
    size_t i = 0;
    while (i < text.size()) {
        if (is_separator(text[i])) {
            ++i;
            continue;
        }
        // A group: an optional 0x, then an even number of hex digits.
        size_t start = i;
        if (i + 1 < text.size() && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X')) i += 2;
        size_t digits_start = i;
        while (i < text.size() && !is_separator(text[i])) {
            if (nibble(text[i]) < 0) {
                r.error = HexError{i, std::string("invalid hex character '") +
                                          (text[i] >= 0x20 && text[i] < 0x7F ? std::string(1, text[i]) : "?") +
                                          "' at position " + std::to_string(i)};
                r.bytes.clear();
                return r;
            }
            ++i;
        }
        size_t n = i - digits_start;
        if (n == 0) {
            r.error = HexError{start, "\"0x\" without hex digits at position " + std::to_string(start)};
            r.bytes.clear();
            return r;
        }
        if (n % 2 != 0) {
            r.error = HexError{start, "odd number of hex digits in group at position " + std::to_string(start)};
            r.bytes.clear();
            return r;
        }
        for (size_t k = digits_start; k < i; k += 2)
            r.bytes.push_back(static_cast<uint8_t>(nibble(text[k]) << 4 | nibble(text[k + 1])));
    }
    return r;
}

std::string to_hex(ByteView bytes) {
    std::string s(bytes.size() * 2, '0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        s[2 * i] = kHexDigits[bytes[i] >> 4];
        s[2 * i + 1] = kHexDigits[bytes[i] & 0xF];
    }
    return s;
}

std::string to_hex_spaced(ByteView bytes) {
    std::string s;
    if (bytes.empty()) return s;
    s.reserve(bytes.size() * 3);
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i) s += ' ';
        s += kHexDigits[bytes[i] >> 4];
        s += kHexDigits[bytes[i] & 0xF];
    }
    return s;
}

std::vector<std::string> hex_dump(ByteView bytes, size_t width) {
    std::vector<std::string> lines;
    if (width == 0) width = 16;
    for (size_t off = 0; off < bytes.size(); off += width) {
        size_t n = std::min(width, bytes.size() - off);
        char offs[24];
        std::snprintf(offs, sizeof offs, "%04zX ", off);
        std::string line = offs;
        for (size_t k = 0; k < width; ++k) {
            if (k < n) {
                line += kHexDigits[bytes[off + k] >> 4];
                line += kHexDigits[bytes[off + k] & 0xF];
                line += ' ';
            } else {
                line += "   ";
            }
        }
        line += ' ';
        for (size_t k = 0; k < n; ++k) {
            uint8_t c = bytes[off + k];
            line += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

}  // namespace pcscspy
