#include "decode/text_output.hpp"

#include <algorithm>

namespace pcscspy::decode {

std::string field(std::string_view label, std::string_view value) {
    std::string s(label);
    s.resize(std::max(kLabelWidth, s.size() + 1), ' ');
    s += value;
    return s;
}

std::vector<std::string> bytes_field(std::string_view label, ByteView bytes) {
    if (bytes.size() <= 16) return {field(label, bytes.empty() ? "(none)" : to_hex_spaced(bytes))};
    std::vector<std::string> out;
    for (std::string& l : hex_dump(bytes)) out.push_back(field(out.empty() ? label : "", l));
    return out;
}

void append_indented(std::vector<std::string>& out, const std::vector<std::string>& lines) {
    for (const std::string& l : lines) out.push_back(std::string(kLabelWidth, ' ') + l);
}

}  // namespace pcscspy::decode
