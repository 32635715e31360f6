// Constants as data: every family of named numbers (return codes, states, INS
// bytes, status words, ...) is a table of Named entries, looked up by the generic
// functions below, in the spirit of strace's xlat lists.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pcscspy {

struct Named {
    uint64_t value;
    std::string_view name;
    std::string_view meaning = {};
};

using NameTable = std::span<const Named>;

// Exact match on the value; nullptr when the table has no such entry. Tables are
// small (tens to a few hundred entries): a linear scan keeps them plain data and
// lets them be constexpr, header-only and usable from the interposer.
constexpr const Named* find_value(NameTable table, uint64_t value) {
    for (const Named& n : table)
        if (n.value == value) return &n;
    return nullptr;
}

constexpr const Named* find_name(NameTable table, std::string_view name) {
    for (const Named& n : table)
        if (n.name == name) return &n;
    return nullptr;
}

// "0x%0*X" of a value, upper-case hex.
std::string hex_value(uint64_t value, int digits = 8);

// The entry's name, or the value in hex when the table does not know it.
std::string name_or_hex(NameTable table, uint64_t value, int digits = 8);

// A bit set as "NAME1|NAME2"; bits no entry explains are appended in hex
// ("NAME1|0x00000100"). Entries whose value is 0 name the empty set only.
std::string flags_to_string(NameTable table, uint64_t value, std::string_view sep = "|");

}  // namespace pcscspy
