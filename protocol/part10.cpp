#include "protocol/part10.hpp"

#include <algorithm>
#include <cstdio>
#include <type_traits>
#include <variant>

#include "protocol/pcsc_format.hpp"

namespace pcscspy {

namespace {

// Bounds-checked little-endian reader: a field that does not fit records the
// error once and reads as zero, so a parser can read its fields in order and
// check at the end.
class FieldReader {
public:
    explicit FieldReader(ByteView bytes) : bytes_(bytes) {}

    uint32_t le(size_t size, const char* field) {
        if (error_) return 0;
        if (bytes_.size() - pos_ < size) {
            error_ = Part10Error{pos_, std::string("truncated: ") + field + " at offset " + std::to_string(pos_) +
                                           " needs " + std::to_string(size) + " byte(s), " +
                                           std::to_string(bytes_.size() - pos_) + " left"};
            return 0;
        }
        uint32_t v = 0;
        for (size_t k = 0; k < size; ++k) v |= static_cast<uint32_t>(bytes_[pos_ + k]) << (8 * k);
        pos_ += size;
        return v;
    }
    uint8_t u8(const char* field) { return static_cast<uint8_t>(le(1, field)); }
    uint16_t le16(const char* field) { return static_cast<uint16_t>(le(2, field)); }
    uint32_t le32(const char* field) { return le(4, field); }

    size_t pos() const { return pos_; }
    ByteView rest() const { return bytes_.subspan(pos_); }
    std::optional<Part10Error>& error() { return error_; }

private:
    ByteView bytes_;
    size_t pos_ = 0;
    std::optional<Part10Error> error_;
};

std::string dec(uint64_t v) { return std::to_string(v); }

// Part 10 values show their prefix, as pcsc-spy prints them ("0x0A").
std::string prefixed_hex2(uint8_t v) { return hex_value(v, 2); }
std::string prefixed_hex4(uint16_t v) { return hex_value(v, 4); }

// Bit set named by `table`, "none" for 0.
std::string bits(NameTable table, uint64_t v) {
    return v == 0 ? std::string("none") : flags_to_string(table, v, ", ");
}

std::string lcd_layout(uint16_t w) {
    if ((w >> 8) == 0) return prefixed_hex4(w) + " (no display)";
    return prefixed_hex4(w) + " (" + dec(w >> 8) + " line(s) of " + dec(w & 0xFF) + " characters)";
}

std::string entry_validation(uint8_t v) { return dec(v) + " (" + bits(kEntryValidationConditions, v) + ")"; }

// A string value from the reader, shown with printable ASCII only.
std::string quoted(ByteView s) {
    std::string out = "\"";
    for (uint8_t c : s) {
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return out + "\"";
}

// bmFormatString: bit 7 system unit (1 byte, 0 bit), bits 6-3 PIN position in
// the APDU in system units, bit 2 right justification, bits 1-0 PIN format.
std::string format_string(uint8_t v) {
    static constexpr const char* kFormats[] = {"binary", "BCD", "ASCII", "RFU"};
    return prefixed_hex2(v) + " (unit " + ((v & 0x80) ? "byte" : "bit") + ", PIN at " + dec((v >> 3) & 0x0F) + ", " +
           ((v & 0x04) ? "right" : "left") + " justified, " + kFormats[v & 0x03] + ")";
}
// bmPINBlockString: bits 7-4 size in bits of the PIN length field, bits 3-0 PIN
// block size in bytes.
std::string pin_block_string(uint8_t v) {
    return prefixed_hex2(v) + " (PIN length field " + dec(v >> 4) + " bit(s), PIN block " + dec(v & 0x0F) + " byte(s))";
}
// bmPINLengthFormat: bit 4 system unit, bits 3-0 position of the PIN length.
std::string pin_length_format(uint8_t v) {
    return prefixed_hex2(v) + " (unit " + ((v & 0x10) ? "byte" : "bit") + ", PIN length at " + dec(v & 0x0F) + ")";
}
std::string max_extra_digit(uint16_t v) {
    return prefixed_hex4(v) + " (min " + dec(v >> 8) + ", max " + dec(v & 0xFF) + ")";
}
std::string number_message(uint8_t v) {
    if (v == 0xFF) return "255 (reader default)";
    return dec(v);
}
std::string confirm_pin(uint8_t v) {
    std::string out = prefixed_hex2(v) + " (";
    out += (v & 0x01) ? "confirm new PIN" : "no confirmation";
    out += (v & 0x02) ? ", current PIN entered" : ", current PIN not entered";
    return out + ")";
}

std::string apdu_line(ByteView apdu) { return "abData (APDU): " + (apdu.empty() ? std::string("(empty)") : to_hex_spaced(apdu)); }

std::string data_length_line(uint32_t declared, size_t actual) {
    std::string s = "ulDataLength: " + dec(declared);
    if (declared != actual) s += " (but " + dec(actual) + " byte(s) follow)";
    return s;
}

// Where the data field of a command APDU lies in `apdu`, as the reader would
// send it: short Lc (1 byte) or extended (00 + 2 bytes). nullopt when there is
// no data field. `note` says why when the APDU is inconsistent; the range then
// runs to the end so that nothing that may be a PIN is left.
struct DataRange {
    size_t offset, length;
    std::optional<std::string> note;
};
std::optional<DataRange> apdu_data_range(ByteView apdu) {
    if (apdu.size() <= 5) return std::nullopt;  // header (+ Le): no data
    size_t lc = apdu[4], start = 5;
    if (lc == 0 && apdu.size() >= 7) {
        lc = static_cast<size_t>(apdu[5]) << 8 | apdu[6];
        start = 7;
    }
    if (lc == 0 || start + lc > apdu.size())
        return DataRange{5, apdu.size() - 5, "the APDU's Lc does not match its length: all after the header masked"};
    return DataRange{start, lc, std::nullopt};
}

}  // namespace

// --- GET_FEATURE_REQUEST ---

Part10Parse<std::vector<Feature>> parse_feature_list(ByteView answer) {
    Part10Parse<std::vector<Feature>> r;
    size_t pos = 0;
    while (pos < answer.size()) {
        if (answer.size() - pos < 2) {
            r.error = Part10Error{pos, "truncated TLV at offset " + dec(pos) + ": no length byte"};
            break;
        }
        uint8_t tag = answer[pos], len = answer[pos + 1];
        if (len != 4) {
            r.error = Part10Error{pos + 1, "feature " + feature_tag_to_string(tag) + " at offset " + dec(pos) +
                                               " has length " + dec(len) + ", expected 4"};
            break;
        }
        if (answer.size() - pos - 2 < 4) {
            r.error = Part10Error{pos + 2, "truncated value of feature " + feature_tag_to_string(tag) + " at offset " +
                                               dec(pos + 2) + ": " + dec(answer.size() - pos - 2) + " of 4 bytes"};
            break;
        }
        uint32_t code = 0;
        for (size_t k = 0; k < 4; ++k) code = code << 8 | answer[pos + 2 + k];
        r.value.push_back(Feature{tag, code});
        pos += 6;
    }
    return r;
}

std::vector<std::string> feature_list_lines(std::span<const Feature> features) {
    std::vector<std::string> lines;
    for (const Feature& f : features)
        lines.push_back("Tag " + feature_tag_to_string(f.tag) + " is " + hex_value(f.control_code));
    return lines;
}

// --- PIN properties ---

Part10Parse<PinProperties> parse_pin_properties(ByteView answer) {
    Part10Parse<PinProperties> r;
    FieldReader in(answer);
    r.value.wLcdLayout = in.le16("wLcdLayout");
    r.value.bEntryValidationCondition = in.u8("bEntryValidationCondition");
    r.value.bTimeOut2 = in.u8("bTimeOut2");
    r.error = in.error();
    if (!r.error && in.pos() != answer.size())
        r.error = Part10Error{in.pos(), dec(answer.size() - in.pos()) + " unexpected byte(s) after the 4-byte structure"};
    return r;
}

std::vector<std::string> pin_properties_lines(const PinProperties& p) {
    return {
        "wLcdLayout: " + lcd_layout(p.wLcdLayout),
        "bEntryValidationCondition: " + entry_validation(p.bEntryValidationCondition),
        "bTimeOut2: " + dec(p.bTimeOut2) + " s",
    };
}

// --- TLV properties ---

namespace {
// The value size the property's name announces (0 for strings and unknown tags).
size_t property_size(uint8_t tag) {
    const Named* n = find_value(kPart10Properties, tag);
    if (!n) return 0;
    std::string_view field = n->name.substr(kPart10PropertyPrefix.size());
    if (field.starts_with("dw")) return 4;
    if (field.starts_with("w")) return 2;
    if (field.starts_with("b")) return 1;
    return 0;
}
std::string property_field(uint8_t tag) {
    const Named* n = find_value(kPart10Properties, tag);
    return n ? std::string(n->name.substr(kPart10PropertyPrefix.size())) : "tag " + prefixed_hex2(tag);
}
}  // namespace

Part10Parse<std::vector<TlvProperty>> parse_tlv_properties(ByteView answer) {
    Part10Parse<std::vector<TlvProperty>> r;
    size_t pos = 0;
    while (pos < answer.size()) {
        if (answer.size() - pos < 2) {
            r.error = Part10Error{pos, "truncated TLV at offset " + dec(pos) + ": no length byte"};
            break;
        }
        uint8_t tag = answer[pos], len = answer[pos + 1];
        if (answer.size() - pos - 2 < len) {
            r.error = Part10Error{pos + 2, "truncated value of " + property_field(tag) + " at offset " + dec(pos + 2) +
                                               ": " + dec(answer.size() - pos - 2) + " of " + dec(len) + " bytes"};
            break;
        }
        TlvProperty p;
        p.tag = tag;
        p.value.assign(answer.begin() + pos + 2, answer.begin() + pos + 2 + len);
        if (size_t size = property_size(tag); size != 0 && size == len) {
            uint32_t v = 0;
            for (size_t k = 0; k < len; ++k) v |= static_cast<uint32_t>(p.value[k]) << (8 * k);
            p.number = v;
        }
        r.value.push_back(std::move(p));
        pos += 2 + len;
    }
    return r;
}

std::vector<std::string> tlv_properties_lines(std::span<const TlvProperty> properties) {
    std::vector<std::string> lines;
    for (const TlvProperty& p : properties) {
        std::string field = property_field(p.tag);
        std::string text;
        if (p.tag == 8) {  // sFirmwareID
            text = quoted(p.value);
        } else if (!p.number) {
            text = (p.value.empty() ? std::string("(empty)") : to_hex_spaced(p.value));
            if (size_t size = property_size(p.tag)) text += " (length " + dec(p.value.size()) + ", expected " + dec(size) + ")";
        } else {
            uint32_t v = *p.number;
            switch (p.tag) {
            case 1: text = lcd_layout(static_cast<uint16_t>(v)); break;
            case 2: text = entry_validation(static_cast<uint8_t>(v)); break;
            case 3: text = dec(v) + " s"; break;
            case 9: text = prefixed_hex2(static_cast<uint8_t>(v)) + " (" + bits(kPpduSupport, v) + ")"; break;
            case 11:
            case 12: text = prefixed_hex4(static_cast<uint16_t>(v)); break;
            default: text = dec(v); break;
            }
        }
        lines.push_back(field + ": " + text);
    }
    return lines;
}

// --- PIN verify / modify ---

namespace {

// The two structures share most fields and one shape: fixed little-endian
// fields, ulDataLength, then the APDU. Each is described once as a table of
// its fields; one reader and one printer serve both.
enum class Shown : uint8_t {
    Seconds, FormatString, PinBlockString, PinLengthFormat, Decimal, MaxExtraDigit, ConfirmPin, EntryValidation,
    NumberMessage, Hex4, Bytes,
};

template <class S>
struct PinField {
    const char* name;
    std::variant<uint8_t S::*, uint16_t S::*, std::array<uint8_t, 3> S::*> member;
    Shown shown;
};

constexpr PinField<PinVerify> kPinVerifyFields[] = {
    {"bTimerOut", &PinVerify::bTimerOut, Shown::Seconds},
    {"bTimerOut2", &PinVerify::bTimerOut2, Shown::Seconds},
    {"bmFormatString", &PinVerify::bmFormatString, Shown::FormatString},
    {"bmPINBlockString", &PinVerify::bmPINBlockString, Shown::PinBlockString},
    {"bmPINLengthFormat", &PinVerify::bmPINLengthFormat, Shown::PinLengthFormat},
    {"wPINMaxExtraDigit", &PinVerify::wPINMaxExtraDigit, Shown::MaxExtraDigit},
    {"bEntryValidationCondition", &PinVerify::bEntryValidationCondition, Shown::EntryValidation},
    {"bNumberMessage", &PinVerify::bNumberMessage, Shown::NumberMessage},
    {"wLangId", &PinVerify::wLangId, Shown::Hex4},
    {"bMsgIndex", &PinVerify::bMsgIndex, Shown::Decimal},
    {"bTeoPrologue", &PinVerify::bTeoPrologue, Shown::Bytes},
};

constexpr PinField<PinModify> kPinModifyFields[] = {
    {"bTimerOut", &PinModify::bTimerOut, Shown::Seconds},
    {"bTimerOut2", &PinModify::bTimerOut2, Shown::Seconds},
    {"bmFormatString", &PinModify::bmFormatString, Shown::FormatString},
    {"bmPINBlockString", &PinModify::bmPINBlockString, Shown::PinBlockString},
    {"bmPINLengthFormat", &PinModify::bmPINLengthFormat, Shown::PinLengthFormat},
    {"bInsertionOffsetOld", &PinModify::bInsertionOffsetOld, Shown::Decimal},
    {"bInsertionOffsetNew", &PinModify::bInsertionOffsetNew, Shown::Decimal},
    {"wPINMaxExtraDigit", &PinModify::wPINMaxExtraDigit, Shown::MaxExtraDigit},
    {"bConfirmPIN", &PinModify::bConfirmPIN, Shown::ConfirmPin},
    {"bEntryValidationCondition", &PinModify::bEntryValidationCondition, Shown::EntryValidation},
    {"bNumberMessage", &PinModify::bNumberMessage, Shown::NumberMessage},
    {"wLangId", &PinModify::wLangId, Shown::Hex4},
    {"bMsgIndex1", &PinModify::bMsgIndex1, Shown::Decimal},
    {"bMsgIndex2", &PinModify::bMsgIndex2, Shown::Decimal},
    {"bMsgIndex3", &PinModify::bMsgIndex3, Shown::Decimal},
    {"bTeoPrologue", &PinModify::bTeoPrologue, Shown::Bytes},
};

std::string shown_value(Shown shown, uint32_t v) {
    switch (shown) {
    case Shown::Seconds: return dec(v) + " s";
    case Shown::FormatString: return format_string(static_cast<uint8_t>(v));
    case Shown::PinBlockString: return pin_block_string(static_cast<uint8_t>(v));
    case Shown::PinLengthFormat: return pin_length_format(static_cast<uint8_t>(v));
    case Shown::MaxExtraDigit: return max_extra_digit(static_cast<uint16_t>(v));
    case Shown::ConfirmPin: return confirm_pin(static_cast<uint8_t>(v));
    case Shown::EntryValidation: return entry_validation(static_cast<uint8_t>(v));
    case Shown::NumberMessage: return number_message(static_cast<uint8_t>(v));
    case Shown::Hex4: return prefixed_hex4(static_cast<uint16_t>(v));
    case Shown::Decimal:
    case Shown::Bytes: break;
    }
    return dec(v);
}

// The header fields in order, then ulDataLength and abData (which must agree).
template <class S, size_t N>
Part10Parse<S> parse_pin_structure(ByteView request, const PinField<S> (&fields)[N], size_t header_size) {
    Part10Parse<S> r;
    S& s = r.value;
    FieldReader in(request);
    for (const PinField<S>& f : fields) {
        std::visit(
            [&](auto member) {
                auto& field = s.*member;
                if constexpr (std::is_same_v<std::remove_reference_t<decltype(field)>, std::array<uint8_t, 3>>) {
                    for (uint8_t& b : field) b = in.u8(f.name);
                } else {
                    field = static_cast<std::remove_reference_t<decltype(field)>>(in.le(sizeof field, f.name));
                }
            },
            f.member);
    }
    s.ulDataLength = in.le32("ulDataLength");
    r.error = in.error();
    if (r.error) return r;
    s.abData.assign(in.rest().begin(), in.rest().end());
    if (s.ulDataLength != s.abData.size())
        r.error = Part10Error{header_size - 4, "ulDataLength is " + dec(s.ulDataLength) + " but " +
                                                   dec(s.abData.size()) + " byte(s) of abData follow"};
    return r;
}

template <class S, size_t N>
std::vector<std::string> pin_structure_lines(const S& s, const PinField<S> (&fields)[N]) {
    std::vector<std::string> lines;
    for (const PinField<S>& f : fields) {
        std::string text = std::visit(
            [&](auto member) {
                const auto& field = s.*member;
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, std::array<uint8_t, 3>>)
                    return to_hex_spaced(field);
                else
                    return shown_value(f.shown, field);
            },
            f.member);
        lines.push_back(std::string(f.name) + ": " + text);
    }
    lines.push_back(data_length_line(s.ulDataLength, s.abData.size()));
    lines.push_back(apdu_line(s.abData));
    return lines;
}

}  // namespace

Part10Parse<PinVerify> parse_pin_verify(ByteView request) {
    return parse_pin_structure(request, kPinVerifyFields, kPinVerifyHeaderSize);
}

std::vector<std::string> pin_verify_lines(const PinVerify& v) { return pin_structure_lines(v, kPinVerifyFields); }

Part10Parse<PinModify> parse_pin_modify(ByteView request) {
    return parse_pin_structure(request, kPinModifyFields, kPinModifyHeaderSize);
}

std::vector<std::string> pin_modify_lines(const PinModify& m) { return pin_structure_lines(m, kPinModifyFields); }

// --- Secrets ---

bool control_request_may_carry_pin(uint8_t feature_tag) {
    switch (feature_tag) {
    case 0x01: case 0x03: case 0x06: case 0x07:  // VERIFY/MODIFY_PIN_START/_DIRECT
    case 0x0D: case 0x0E:                        // VERIFY/MODIFY_PIN_DIRECT_APP_ID
    case 0x20:                                   // EXECUTE_PACE
        return true;
    default:
        return false;
    }
}

namespace {
ControlRedaction mask(ByteView request, size_t offset, size_t length, std::optional<std::string> note) {
    ControlRedaction r;
    r.bytes.assign(request.begin(), request.end());
    offset = std::min(offset, r.bytes.size());
    length = std::min(length, r.bytes.size() - offset);
    std::fill_n(r.bytes.begin() + offset, length, kMaskByte);
    r.offset = length ? offset : 0;
    r.length = length;
    r.note = std::move(note);
    return r;
}

// The abData APDU starts at `header`: mask its data field.
ControlRedaction mask_pin_structure(ByteView request, size_t header) {
    if (request.size() <= header) {
        // No APDU: nothing can be a PIN (the header has none).
        return mask(request, 0, 0, request.size() < header ? std::optional<std::string>("truncated structure")
                                                            : std::nullopt);
    }
    std::optional<DataRange> range = apdu_data_range(request.subspan(header));
    if (!range) return mask(request, 0, 0, std::nullopt);
    return mask(request, header + range->offset, range->length, range->note);
}

// EstablishPACEChannel input: bIdxFunction, wLengthInputData (LE), then bPinID,
// bLengthCHAT, CHAT, bLengthPIN, PIN, ... (PC/SC part 10 AMD1).
ControlRedaction mask_pace(ByteView request) {
    if (request.empty() || request[0] != 0x02) return mask(request, 0, 0, std::nullopt);
    constexpr size_t kInput = 3;
    if (request.size() < kInput + 2) return mask(request, kInput, request.size(), "truncated EstablishPACEChannel");
    size_t pin_len_at = kInput + 2 + request[kInput + 1];
    if (pin_len_at >= request.size())
        return mask(request, kInput, request.size(), "truncated EstablishPACEChannel: PIN length missing");
    size_t pin_len = request[pin_len_at];
    if (pin_len_at + 1 + pin_len > request.size())
        return mask(request, pin_len_at + 1, request.size(), "truncated EstablishPACEChannel: PIN runs past the end");
    return mask(request, pin_len_at + 1, pin_len, std::nullopt);
}
}  // namespace

ControlRedaction redact_control_request(uint8_t feature_tag, ByteView request) {
    switch (feature_tag) {
    case 0x01: case 0x06: return mask_pin_structure(request, kPinVerifyHeaderSize);
    case 0x03: case 0x07: return mask_pin_structure(request, kPinModifyHeaderSize);
    case 0x0D: case 0x0E: return mask(request, 0, request.size(), std::nullopt);
    case 0x20: return mask_pace(request);
    default: return mask(request, 0, 0, std::nullopt);
    }
}

// --- describe_control ---

namespace {
template <class T>
std::vector<std::string> titled(std::string title, const Part10Parse<T>& parsed,
                                std::vector<std::string> (*lines_of)(const T&)) {
    std::vector<std::string> out{std::move(title)};
    for (std::string& l : lines_of(parsed.value)) out.push_back("  " + std::move(l));
    if (parsed.error) out.push_back("  error: " + parsed.error->message);
    return out;
}
std::vector<std::string> features_of(const std::vector<Feature>& f) { return feature_list_lines(f); }
std::vector<std::string> tlv_of(const std::vector<TlvProperty>& p) { return tlv_properties_lines(p); }
}  // namespace

std::vector<std::string> describe_control(uint64_t control_code, std::span<const Feature> features, ByteView request,
                                          ByteView response) {
    if (control_code == kGetFeatureRequest)
        return titled("parsing CM_IOCTL_GET_FEATURE_REQUEST results:", parse_feature_list(response), features_of);
    const Feature* f = find_feature_by_code(features, control_code);
    if (!f) return {};
    switch (f->tag) {
    case 0x0A:
        return titled("parsing FEATURE_IFD_PIN_PROPERTIES results:", parse_pin_properties(response),
                      pin_properties_lines);
    case 0x12:
        return titled("parsing FEATURE_GET_TLV_PROPERTIES results:", parse_tlv_properties(response), tlv_of);
    case 0x01: case 0x06:
        return titled("parsing " + feature_tag_to_string(f->tag) + ":", parse_pin_verify(request), pin_verify_lines);
    case 0x03: case 0x07:
        return titled("parsing " + feature_tag_to_string(f->tag) + ":", parse_pin_modify(request), pin_modify_lines);
    default:
        return {};
    }
}

}  // namespace pcscspy
