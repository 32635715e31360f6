#include "protocol/xlat.hpp"

#include "protocol/hex.hpp"

#include <cstdio>

namespace pcscspy {

std::string hex_value(uint64_t value, int digits) { return "0x" + hex_digits(value, digits); }

std::string name_or_hex(NameTable table, uint64_t value, int digits) {
    if (const Named* n = find_value(table, value)) return std::string(n->name);
    return hex_value(value, digits);
}

std::string flags_to_string(NameTable table, uint64_t value, std::string_view sep) {
    std::string out;
    auto add = [&](std::string_view s) {
        if (!out.empty()) out += sep;
        out += s;
    };
    if (value == 0) {
        if (const Named* zero = find_value(table, 0)) return std::string(zero->name);
        return "0";
    }
    uint64_t rest = value;
    for (const Named& n : table) {
        if (n.value != 0 && (value & n.value) == n.value && (rest & n.value)) {
            add(n.name);
            rest &= ~n.value;
        }
    }
    if (rest) add(hex_value(rest));
    return out;
}

}  // namespace pcscspy
