// An allocation-free JSON writer into a caller-owned buffer.
//
// Written by hand rather than using nlohmann_json because it runs on the
// interposer's hot path inside programs we do not control: it must not allocate,
// throw, or pull libstdc++ symbols into the host. It only writes; the tests check
// every output against nlohmann_json's parser.
//
// Strings that are not valid UTF-8 stay valid JSON: each byte that is not part of
// a well-formed UTF-8 sequence is written as \u00XX (its Latin-1 code point), so
// reader names and argv from any locale can never break a line's framing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pcscspy {

class JsonWriter {
public:
    JsonWriter(char* buffer, size_t capacity) : buf_(buffer), cap_(capacity) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    // Object member name; the value call that follows completes the member.
    void key(std::string_view name) {
        separator();
        put('"');
        put(name);  // keys are our own ASCII identifiers
        put('"');
        put(':');
        after_key_ = true;
    }

    void null() { separator(); put("null"); }
    void boolean(bool b) { separator(); put(b ? "true" : "false"); }
    void integer(int64_t v) {
        separator();
        if (v < 0) {
            put('-');
            unsigned_digits(0 - static_cast<uint64_t>(v));
        } else {
            unsigned_digits(static_cast<uint64_t>(v));
        }
    }
    void unsigned_integer(uint64_t v) { separator(); unsigned_digits(v); }

    // A string of n bytes (need not be NUL-terminated or valid UTF-8).
    void string(const char* s, size_t n);
    void string(std::string_view s) { string(s.data(), s.size()); }
    // Bytes as an upper-case hex string without spaces.
    void hex(const uint8_t* p, size_t n);

    // Convenience members: key + value.
    template <class T>
    void member_int(std::string_view k, T v) { key(k); integer(static_cast<int64_t>(v)); }
    void member_string(std::string_view k, std::string_view v) { key(k); string(v); }

    size_t size() const { return len_; }
    bool overflowed() const { return overflow_; }
    // Bytes a string/hex of n input bytes can take at most (for size checks).
    static constexpr size_t max_string_bytes(size_t n) { return 2 + 6 * n; }
    static constexpr size_t hex_bytes(size_t n) { return 2 + 2 * n; }

    // Depth and first-element state are kept in a fixed stack.
    static constexpr int kMaxDepth = 16;

private:
    void put(char c) {
        if (len_ < cap_) buf_[len_++] = c;
        else overflow_ = true;
    }
    void put(std::string_view s) {
        if (s.size() <= cap_ - len_) {
            for (char c : s) buf_[len_++] = c;
        } else {
            overflow_ = true;
        }
    }
    void separator() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (depth_ > 0) {
            if (!first_[depth_ - 1]) put(',');
            first_[depth_ - 1] = false;
        }
    }
    void open(char c) {
        separator();
        put(c);
        if (depth_ < kMaxDepth) first_[depth_] = true;
        else overflow_ = true;
        ++depth_;
    }
    void close(char c) {
        if (depth_ > 0) --depth_;
        put(c);
    }
    void unsigned_digits(uint64_t v) {
        char tmp[20];
        int n = 0;
        do {
            tmp[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (n) put(tmp[--n]);
    }

    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    int depth_ = 0;
    bool first_[kMaxDepth] = {};
    bool after_key_ = false;
    bool overflow_ = false;
};

// Length of the well-formed UTF-8 sequence at p (1..4), or 0 if the bytes there
// do not start one (overlong forms, surrogates and code points past U+10FFFF are
// not well-formed, as in Unicode's Table 3-7).
constexpr size_t utf8_sequence_length(const unsigned char* p, size_t avail) {
    if (avail == 0) return 0;
    unsigned char b0 = p[0];
    if (b0 < 0x80) return 1;
    auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return i < avail && p[i] >= lo && p[i] <= hi;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (b0 == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

inline void JsonWriter::string(const char* s, size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    separator();
    put('"');
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    size_t i = 0;
    while (i < n && !overflow_) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            put('\\');
            put(static_cast<char>(c));
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n': put("\\n"); break;
                case '\r': put("\\r"); break;
                case '\t': put("\\t"); break;
                default: {
                    char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                    put(std::string_view(esc, 6));
                }
            }
            ++i;
        } else if (c < 0x80) {
            put(static_cast<char>(c));
            ++i;
        } else if (size_t len = utf8_sequence_length(p + i, n - i)) {
            put(std::string_view(s + i, len));
            i += len;
        } else {
            char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
            put(std::string_view(esc, 6));
            ++i;
        }
    }
    put('"');
}

inline void JsonWriter::hex(const uint8_t* p, size_t n) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    separator();
    if (hex_bytes(n) > cap_ - len_) {
        overflow_ = true;
        return;
    }
    buf_[len_++] = '"';
    for (size_t i = 0; i < n; ++i) {
        buf_[len_++] = kHex[p[i] >> 4];
        buf_[len_++] = kHex[p[i] & 0xF];
    }
    buf_[len_++] = '"';
}

}  // namespace pcscspy
