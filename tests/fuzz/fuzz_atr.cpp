// libFuzzer target: the ATR parser and its text, the PC/SC part 10 parsers and
// PIN masking, and the card list parser/matcher never crash nor read outside
// their input, and keep their promises (printable text, masks in bounds).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/atr.hpp"
#include "protocol/card_list.hpp"
#include "protocol/part10.hpp"

using namespace pcscspy;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

void require_printable_ascii(const std::vector<std::string>& lines) {
    for (const std::string& l : lines)
        for (char c : l) require(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F);
}

void require_no_control(const std::string& s) {
    for (unsigned char c : s) require(c >= 0x20 && c != 0x7F);
}

void fuzz_atr(ByteView data) {
    Atr a = parse_atr(data);
    require(a.bytes.size() == data.size());
    for (const AtrInterfaceByte& b : a.interface_bytes) require(b.offset < data.size() && data[b.offset] == b.value);
    require(a.historical.size() <= a.historical_count);
    if (a.tck && a.tck_valid) {
        uint8_t x = 0;
        for (size_t i = 1; i < data.size() - a.extra.size(); ++i) x ^= data[i];
        require(x == 0);
    }
    if (a.complete) require(!a.tck_required || a.tck);
    for (const AtrIssue& i : a.issues) require(i.offset <= data.size());
    require_printable_ascii(atr_lines(a));
}

void fuzz_part10(ByteView data) {
    auto features = parse_feature_list(data);
    require_printable_ascii(feature_list_lines(features.value));
    require_printable_ascii(pin_properties_lines(parse_pin_properties(data).value));
    require_printable_ascii(tlv_properties_lines(parse_tlv_properties(data).value));
    require_printable_ascii(pin_verify_lines(parse_pin_verify(data).value));
    require_printable_ascii(pin_modify_lines(parse_pin_modify(data).value));
    for (const Named& tag : kFeatureTags) {
        ControlRedaction r = redact_control_request(static_cast<uint8_t>(tag.value), data);
        require(r.bytes.size() == data.size());
        require(r.offset + r.length <= data.size());
        for (size_t i = 0; i < data.size(); ++i) {
            bool inside = i >= r.offset && i < r.offset + r.length;
            require(inside ? r.bytes[i] == kMaskByte : r.bytes[i] == data[i]);
        }
        require(r.masked() || !control_request_may_carry_pin(static_cast<uint8_t>(tag.value)) ||
                tag.value != 0x0D || data.empty());
        const Feature known[] = {{static_cast<uint8_t>(tag.value), 0x42330000u + static_cast<uint32_t>(tag.value)}};
        require_printable_ascii(describe_control(known[0].control_code, known, data, data));
    }
    require_printable_ascii(describe_control(kGetFeatureRequest, {}, data, data));
}

void fuzz_card_list(ByteView data) {
    std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    CardList list = CardList::parse(text);
    for (const CardListEntry& e : list.entries()) {
        require_no_control(e.pattern);
        for (const std::string& d : e.descriptions) require_no_control(d);
    }
    static const uint8_t kAtr[] = {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B};
    for (const std::string& d : list.describe(kAtr)) require_no_control(d);
    list.lookup(data.first(std::min<size_t>(data.size(), 33)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    ByteView data(bytes, size);
    fuzz_atr(data);
    fuzz_part10(data);
    fuzz_card_list(data);
    return 0;
}
