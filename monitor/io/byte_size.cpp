#include "monitor/io/byte_size.hpp"

#include <charconv>

namespace pcscspy {

std::optional<uint64_t> parse_byte_size(std::string_view text, std::string* why) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data()) {
        *why = "SIZE must be a number of bytes (e.g. 10M)";
        return std::nullopt;
    }
    std::string_view suffix(end, static_cast<size_t>(text.data() + text.size() - end));
    unsigned shift = 0;
    if (suffix == "k" || suffix == "K") shift = 10;
    else if (suffix == "m" || suffix == "M") shift = 20;
    else if (suffix == "g" || suffix == "G") shift = 30;
    else if (!suffix.empty()) {
        *why = "unknown size suffix \"" + std::string(suffix) + "\" (K, M or G)";
        return std::nullopt;
    }
    if (n > (UINT64_MAX >> shift)) {
        *why = "SIZE is too large";
        return std::nullopt;
    }
    return n << shift;
}

}  // namespace pcscspy
