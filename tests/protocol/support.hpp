// Helpers of the protocol tests.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "protocol/hex.hpp"

namespace pcscspy::test {

// Bytes of hex test data written by hand: a typo fails loudly (an exception, so
// that it also works during static initialisation, where doctest cannot assert).
inline Bytes hex(std::string_view text) {
    HexParse p = parse_hex(text);
    if (!p.ok()) throw std::invalid_argument("bad test hex: " + std::string(text));
    return p.bytes;
}

}  // namespace pcscspy::test
