// Aligned "label  value" lines for the human output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/hex.hpp"

namespace pcscspy::decode {

inline constexpr size_t kLabelWidth = 12;

// "label" padded to kLabelWidth, then the value.
std::string field(std::string_view label, std::string_view value);

// Bytes as one "NN bytes: HH HH .." line when they fit, else hex_dump lines;
// each line is indented by kLabelWidth (the first carries the label).
std::vector<std::string> bytes_field(std::string_view label, ByteView bytes);

// Lines indented by kLabelWidth.
void append_indented(std::vector<std::string>& out, const std::vector<std::string>& lines);

}  // namespace pcscspy::decode
