#include "decode/decode_rv.hpp"

#include <cctype>
#include <charconv>

#include "protocol/pcsc_names.hpp"
#include "decode/text_output.hpp"

namespace pcscspy::decode {

namespace {
bool all_of(std::string_view s, int (*pred)(int)) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!pred(c)) return false;
    return true;
}
}  // namespace

ReturnCodeArg parse_return_code_arg(std::string_view text) {
    ReturnCodeArg r;
    if (const Named* n = find_name(kReturnCodes, text)) {
        r.value = static_cast<uint32_t>(n->value);
        return r;
    }
    std::string_view digits = text;
    bool negative = false, hex = false;
    if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
        hex = true;
    } else if (digits.starts_with("-")) {
        digits.remove_prefix(1);
        negative = true;
    }
    if (!hex && !negative) {
        hex = (all_of(digits, isxdigit) && !all_of(digits, isdigit)) || (digits.size() == 8 && all_of(digits, isdigit)) ||
              digits.size() == 16;
    }
    if (!all_of(digits, hex ? isxdigit : isdigit)) {
        r.error = "'" + std::string(text.substr(0, 40)) + "' is not a return code (hex, decimal or SCARD_ name)";
        return r;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        r.error = "'" + std::string(text.substr(0, 40)) + "' is too large for a return code";
        return r;
    }
    if (negative) {
        if (v > 0x80000000ull) {
            r.error = std::string(text.substr(0, 40)) + " is below the range of a 32-bit LONG";
            return r;
        }
        r.value = static_cast<uint32_t>(-static_cast<int64_t>(v));
        return r;
    }
    // A 64-bit LONG of a negative 32-bit value is sign-extended.
    if (v > 0xFFFFFFFFull && (v >> 32) == 0xFFFFFFFFull && (v & 0x80000000ull)) v &= 0xFFFFFFFFull;
    if (v > 0xFFFFFFFFull) {
        r.error = std::string(text.substr(0, 40)) + " is beyond the range of a 32-bit LONG";
        return r;
    }
    r.value = static_cast<uint32_t>(v);
    return r;
}

Decoded decode_rv(uint32_t rv) {
    Decoded d;
    const int32_t as_long = static_cast<int32_t>(rv);
    std::string hex = hex_value(rv);
    d.lines.push_back(field("rv", hex + " (" + std::to_string(as_long) + ")"));
    const Named* first = find_value(kReturnCodes, rv);
    Json aliases = Json::array();
    if (first) {
        d.lines.push_back(field("Name", first->name));
        d.lines.push_back(field("Meaning", first->meaning));
        for (const Named& n : kReturnCodes) {
            if (n.value != rv || &n == first) continue;
            d.lines.push_back(field("Also", std::string(n.name) + ": " + std::string(n.meaning)));
            aliases.push_back({{"name", n.name}, {"meaning", n.meaning}});
        }
    } else {
        d.lines.push_back(field("Name", "unknown return code"));
        d.malformed = true;
    }
    d.json["rv"] = as_long;
    d.json["hex"] = hex;
    d.json["known"] = first != nullptr;
    d.json["name"] = first ? Json(first->name) : Json(nullptr);
    d.json["meaning"] = first ? Json(first->meaning) : Json(nullptr);
    d.json["aliases"] = aliases;
    return d;
}

}  // namespace pcscspy::decode
