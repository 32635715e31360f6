// `pcscspy-decode rv`: a PC/SC return code by number or name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "decode/decoded.hpp"

namespace pcscspy::decode {

struct ReturnCodeArg {
    std::optional<uint32_t> value;  // the 32-bit pattern
    std::string error;              // one line when value is empty
};

// "0x80100069" (hex), "80100069" (8 digits: hex, as pcsc-spy prints rv),
// "FFFFFFFF80100069" (a 64-bit LONG), "-2146434967" or "0" (decimal; other
// digit strings too), any string with a hex letter (hex), or a name from
// kReturnCodes ("SCARD_E_TIMEOUT"). Values must fit a 32-bit LONG.
ReturnCodeArg parse_return_code_arg(std::string_view text);

Decoded decode_rv(uint32_t rv);

}  // namespace pcscspy::decode
