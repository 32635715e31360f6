// Sizes on the command line: a number of bytes with an optional K, M or G suffix
// (powers of 1024), as --record-rotate, --memory-budget and --history-bytes take them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pcscspy {

// The size, or nullopt with `why` set (one phrase, without the option's name).
std::optional<uint64_t> parse_byte_size(std::string_view text, std::string* why);

}  // namespace pcscspy
