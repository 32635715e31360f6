// PC/SC v2 part 10: GET_FEATURE_REQUEST, PIN/TLV properties, PIN verify/modify
// structures and the masking of their PINs.
#include <doctest/doctest.h>

#include <PCSC/reader.h>

#include <algorithm>
#include <stdexcept>

#include "support.hpp"
#include "protocol/hex.hpp"
#include "protocol/part10.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
bool has_line(const std::vector<std::string>& lines, std::string_view text) {
    return std::find(lines.begin(), lines.end(), text) != lines.end();
}

// The seed article's SCardControl answers (pcsc-spy's log of opensc-tool -a).
const Bytes kSeedFeatures = hex("0A 04 42 33 00 0A 12 04 42 33 00 12 13 04 42 00 00 01");
const Bytes kSeedPinProperties = hex("00 00 07 00");

// A VERIFY_PIN_DIRECT request as OpenSC's reader-pcsc builds it: PIN_VERIFY_STRUCTURE
// header (19 bytes) + a VERIFY APDU whose 8 data bytes are the PIN block.
const Bytes kVerifyRequest = hex(
    "1E 00 82 04 00 08 04 02 01 09 04 00 00 00 00 0D 00 00 00"  // header, ulDataLength 13
    "00 20 00 81 08 31 32 33 34 FF FF FF FF");                  // APDU
}  // namespace

TEST_CASE("GET_FEATURE_REQUEST answer of the seed: the three features pcsc-spy shows") {
    auto r = parse_feature_list(kSeedFeatures);
    REQUIRE(r.ok());
    REQUIRE(r.value.size() == 3);
    CHECK(r.value[0] == Feature{FEATURE_IFD_PIN_PROPERTIES, 0x4233000A});
    CHECK(r.value[1] == Feature{FEATURE_GET_TLV_PROPERTIES, 0x42330012});
    CHECK(r.value[2] == Feature{FEATURE_CCID_ESC_COMMAND, 0x42000001});
    CHECK(feature_list_lines(r.value) == std::vector<std::string>{
                                             "Tag FEATURE_IFD_PIN_PROPERTIES is 0x4233000A",
                                             "Tag FEATURE_GET_TLV_PROPERTIES is 0x42330012",
                                             "Tag FEATURE_CCID_ESC_COMMAND is 0x42000001",
                                         });
    CHECK(parse_feature_list({}).ok());
    CHECK(parse_feature_list({}).value.empty());
}

TEST_CASE("GET_FEATURE_REQUEST: malformed answers keep the features before the fault") {
    struct Case {
        const char* hex;
        size_t kept;
        size_t offset;
        const char* says;
    };
    for (Case c : {Case{"0A", 0, 0, "no length byte"}, Case{"0A 04 42 33", 0, 2, "2 of 4 bytes"},
                   Case{"0A 04 42 33 00 0A 12", 1, 6, "no length byte"},
                   Case{"0A 04 42 33 00 0A 12 02 42 33", 1, 7, "has length 2, expected 4"},
                   Case{"06 FF 42 33 00 06", 0, 1, "has length 255"}}) {
        CAPTURE(c.hex);
        auto r = parse_feature_list(hex(c.hex));
        REQUIRE_FALSE(r.ok());
        CHECK(r.value.size() == c.kept);
        CHECK(r.error->offset == c.offset);
        CHECK(r.error->message.find(c.says) != std::string::npos);
    }
}

TEST_CASE("PIN properties of the seed: wLcdLayout 0 0, bEntryValidationCondition 7, bTimeOut2 0") {
    auto r = parse_pin_properties(kSeedPinProperties);
    REQUIRE(r.ok());
    CHECK(r.value.wLcdLayout == 0);
    CHECK(r.value.bEntryValidationCondition == 7);
    CHECK(r.value.bTimeOut2 == 0);
    auto lines = pin_properties_lines(r.value);
    CHECK(has_line(lines, "wLcdLayout: 0x0000 (no display)"));
    CHECK(has_line(lines,
                   "bEntryValidationCondition: 7 (maximum size reached, validation key pressed, timeout occurred)"));
    CHECK(has_line(lines, "bTimeOut2: 0 s"));

    // Little-endian: 0x0210 is 2 lines of 16 characters.
    auto lcd = parse_pin_properties(hex("10 02 02 1E"));
    REQUIRE(lcd.ok());
    CHECK(lcd.value.wLcdLayout == 0x0210);
    CHECK(lcd.value.bTimeOut2 == 30);
    CHECK(has_line(pin_properties_lines(lcd.value), "wLcdLayout: 0x0210 (2 line(s) of 16 characters)"));
}

TEST_CASE("PIN properties: wrong sizes are errors") {
    for (const char* h : {"", "00", "00 00 07", "00 00 07 00 00"}) {
        CAPTURE(h);
        auto r = parse_pin_properties(hex(h));
        CHECK_FALSE(r.ok());
    }
    CHECK(parse_pin_properties(hex("00 00 07")).error->message.find("bTimeOut2") != std::string::npos);
}

TEST_CASE("TLV properties as a CCID reader answers them") {
    // wLcdLayout 0, bEntryValidationCondition 2, bTimeOut2 0, bMinPINSize 4,
    // bMaxPINSize 8, sFirmwareID "GemTwin", bPPDUSupport 1, dwMaxAPDUDataSize 261,
    // wIdVendor 08E6, wIdProduct 3437.
    Bytes answer = hex(
        "01 02 00 00  02 01 02  03 01 00  06 01 04  07 01 08  08 07 47 65 6D 54 77 69 6E"
        "09 01 01  0A 04 05 01 00 00  0B 02 E6 08  0C 02 37 34");
    auto r = parse_tlv_properties(answer);
    REQUIRE(r.ok());
    REQUIRE(r.value.size() == 10);
    CHECK(r.value[0].tag == PCSCv2_PART10_PROPERTY_wLcdLayout);
    CHECK(r.value[7].number == 261u);
    CHECK(r.value[8].number == 0x08E6u);
    CHECK_FALSE(r.value[5].number.has_value());  // the string
    auto lines = tlv_properties_lines(r.value);
    CHECK(lines == std::vector<std::string>{
                       "wLcdLayout: 0x0000 (no display)",
                       "bEntryValidationCondition: 2 (validation key pressed)",
                       "bTimeOut2: 0 s",
                       "bMinPINSize: 4",
                       "bMaxPINSize: 8",
                       "sFirmwareID: \"GemTwin\"",
                       "bPPDUSupport: 0x01 (PPDU over SCardControl(FEATURE_CCID_ESC_COMMAND))",
                       "dwMaxAPDUDataSize: 261",
                       "wIdVendor: 0x08E6",
                       "wIdProduct: 0x3437",
                   });
}

TEST_CASE("TLV properties: odd sizes, unknown tags, hostile strings, truncation") {
    auto r = parse_tlv_properties(hex("06 02 04 00  42 01 99  08 03 41 1B 0A"));
    REQUIRE(r.ok());
    CHECK(tlv_properties_lines(r.value) == std::vector<std::string>{
                                               "bMinPINSize: 04 00 (length 2, expected 1)",
                                               "tag 0x42: 99",
                                               "sFirmwareID: \"A\\x1B\\x0A\"",
                                           });
    auto cut = parse_tlv_properties(hex("06 01 04  0B 02 E6"));
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.value.size() == 1);
    CHECK(cut.error->offset == 5);
    CHECK(cut.error->message == "truncated value of wIdVendor at offset 5: 1 of 2 bytes");
    CHECK_FALSE(parse_tlv_properties(hex("06")).ok());
}

TEST_CASE("PIN_VERIFY_STRUCTURE is read field by field, little-endian") {
    auto r = parse_pin_verify(kVerifyRequest);
    REQUIRE(r.ok());
    const PinVerify& v = r.value;
    CHECK(v.bTimerOut == 0x1E);
    CHECK(v.bmFormatString == 0x82);
    CHECK(v.bmPINBlockString == 0x04);
    CHECK(v.wPINMaxExtraDigit == 0x0408);  // min 4, max 8
    CHECK(v.bEntryValidationCondition == 0x02);
    CHECK(v.bNumberMessage == 0x01);
    CHECK(v.wLangId == 0x0409);
    CHECK(v.ulDataLength == 13);
    CHECK(v.abData == hex("00 20 00 81 08 31 32 33 34 FF FF FF FF"));
    auto lines = pin_verify_lines(v);
    CHECK(has_line(lines, "wPINMaxExtraDigit: 0x0408 (min 4, max 8)"));
    CHECK(has_line(lines, "bmFormatString: 0x82 (unit byte, PIN at 0, left justified, ASCII)"));
    CHECK(has_line(lines, "wLangId: 0x0409"));
    CHECK(has_line(lines, "abData (APDU): 00 20 00 81 08 31 32 33 34 FF FF FF FF"));
    CHECK(sizeof(PIN_VERIFY_STRUCTURE) == kPinVerifyHeaderSize);
    CHECK(sizeof(PIN_MODIFY_STRUCTURE) == kPinModifyHeaderSize);
}

TEST_CASE("PIN_VERIFY/PIN_MODIFY: truncated headers and wrong ulDataLength are errors") {
    for (size_t n = 0; n < kPinVerifyHeaderSize; ++n) {
        auto r = parse_pin_verify(ByteView(kVerifyRequest).first(n));
        CHECK_FALSE(r.ok());
        CHECK(r.error->offset <= n);
    }
    Bytes longer = kVerifyRequest;
    longer.push_back(0x00);
    auto r = parse_pin_verify(longer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->message == "ulDataLength is 13 but 14 byte(s) of abData follow");
    CHECK(r.value.abData.size() == 14);  // kept

    Bytes modify = hex(
        "1E 00 82 04 00 00 08 04 08 03 02 03 09 04 00 01 02 00 00 00 15 00 00 00"
        "00 24 00 81 10 31 32 33 34 FF FF FF FF 35 36 37 38 FF FF FF FF");
    auto m = parse_pin_modify(modify);
    REQUIRE(m.ok());
    CHECK(m.value.bInsertionOffsetNew == 8);
    CHECK(m.value.bConfirmPIN == 3);
    CHECK(m.value.bMsgIndex3 == 2);
    CHECK(m.value.ulDataLength == 21);
    CHECK(has_line(pin_modify_lines(m.value), "bConfirmPIN: 0x03 (confirm new PIN, current PIN entered)"));
    CHECK_FALSE(parse_pin_modify(ByteView(modify).first(23)).ok());
}

TEST_CASE("redact_control_request masks the APDU data of PIN verify/modify requests") {
    ControlRedaction r = redact_control_request(FEATURE_VERIFY_PIN_DIRECT, kVerifyRequest);
    REQUIRE(r.masked());
    CHECK(r.offset == kPinVerifyHeaderSize + 5);
    CHECK(r.length == 8);
    CHECK_FALSE(r.note);
    CHECK(r.bytes.size() == kVerifyRequest.size());
    CHECK(to_hex(r.bytes) == to_hex(hex("1E 00 82 04 00 08 04 02 01 09 04 00 00 00 00 0D 00 00 00"
                                        "00 20 00 81 08 2A 2A 2A 2A 2A 2A 2A 2A")));
    // The same structure under VERIFY_PIN_START.
    CHECK(redact_control_request(FEATURE_VERIFY_PIN_START, kVerifyRequest).bytes == r.bytes);

    Bytes modify = hex(
        "1E 00 82 04 00 00 08 04 08 03 02 03 09 04 00 01 02 00 00 00 15 00 00 00"
        "00 24 00 81 10 31 32 33 34 FF FF FF FF 35 36 37 38 FF FF FF FF");
    ControlRedaction m = redact_control_request(FEATURE_MODIFY_PIN_DIRECT, modify);
    CHECK(m.offset == kPinModifyHeaderSize + 5);
    CHECK(m.length == 16);
    CHECK(std::all_of(m.bytes.begin() + 29, m.bytes.end(), [](uint8_t b) { return b == kMaskByte; }));
    CHECK(std::equal(m.bytes.begin(), m.bytes.begin() + 29, modify.begin()));

    // Other features are left alone.
    ControlRedaction none = redact_control_request(FEATURE_IFD_PIN_PROPERTIES, kVerifyRequest);
    CHECK_FALSE(none.masked());
    CHECK(none.bytes == kVerifyRequest);
    CHECK_FALSE(control_request_may_carry_pin(FEATURE_IFD_PIN_PROPERTIES));
    CHECK(control_request_may_carry_pin(FEATURE_EXECUTE_PACE));
}

TEST_CASE("redact_control_request errs on the safe side with malformed requests") {
    struct Case {
        const char* apdu;  // abData after the 19-byte verify header
        size_t offset, length;
        bool note;
    };
    const std::string header = "1E 00 82 04 00 08 04 02 01 09 04 00 00 00 00 0D 00 00 00 ";
    for (Case c : {Case{"", 0, 0, false},                                  // no APDU at all
                   Case{"00 20 00 81", 0, 0, false},                       // header only
                   Case{"00 20 00 81 08", 0, 0, false},                    // Lc without data
                   Case{"00 20 00 81 08 31 32 33", 24, 3, true},           // Lc runs past the end
                   Case{"00 20 00 81 00 00 03 31 32 33", 26, 3, false},    // extended Lc
                   Case{"00 20 00 81 02 31 32 00", 24, 2, false}}) {       // Le after the data
        CAPTURE(c.apdu);
        Bytes req = hex(header + c.apdu);
        ControlRedaction r = redact_control_request(FEATURE_VERIFY_PIN_DIRECT, req);
        CHECK(r.offset == c.offset);
        CHECK(r.length == c.length);
        CHECK(r.note.has_value() == c.note);
        CHECK(r.bytes.size() == req.size());
    }
    // Truncated header: there is no APDU, so no PIN.
    ControlRedaction cut = redact_control_request(FEATURE_VERIFY_PIN_DIRECT, hex("1E 00 82"));
    CHECK_FALSE(cut.masked());
    CHECK(cut.note.has_value());
    // _APP_ID variants: structure not decoded, everything masked.
    ControlRedaction app = redact_control_request(FEATURE_VERIFY_PIN_DIRECT_APP_ID, hex("01 02 03"));
    CHECK(app.offset == 0);
    CHECK(app.length == 3);
    CHECK(to_hex(app.bytes) == "2A2A2A");
}

TEST_CASE("redact_control_request masks the PIN of a PACE EstablishPACEChannel") {
    // bIdxFunction 02, wLengthInputData, PinID 03 (PIN), CHAT (2 bytes), PIN "123456", no certificate description.
    Bytes req = hex("02 0D 00  03 02 7F 4C 06 31 32 33 34 35 36 00 00");
    ControlRedaction r = redact_control_request(FEATURE_EXECUTE_PACE, req);
    CHECK(r.offset == 8);
    CHECK(r.length == 6);
    CHECK(to_hex(r.bytes) == to_hex(hex("02 0D 00 03 02 7F 4C 06 2A 2A 2A 2A 2A 2A 00 00")));
    // PIN longer than the buffer: all from the PIN on.
    ControlRedaction cut = redact_control_request(FEATURE_EXECUTE_PACE, hex("02 0D 00 03 00 09 31 32"));
    CHECK(cut.offset == 6);
    CHECK(cut.length == 2);
    CHECK(cut.note.has_value());
    // GetReaderPACECapabilities carries nothing secret.
    CHECK_FALSE(redact_control_request(FEATURE_EXECUTE_PACE, hex("01 00 00")).masked());
    // Too short to find the PIN: all input data masked.
    ControlRedaction tiny = redact_control_request(FEATURE_EXECUTE_PACE, hex("02 0D 00 03"));
    CHECK(tiny.offset == 3);
    CHECK(tiny.length == 1);
}

TEST_CASE("describe_control picks the parser from the control code, as pcsc-spy") {
    auto features = parse_feature_list(kSeedFeatures).value;
    auto lines = describe_control(CM_IOCTL_GET_FEATURE_REQUEST, {}, {}, kSeedFeatures);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "parsing CM_IOCTL_GET_FEATURE_REQUEST results:");
    CHECK(lines[1] == "  Tag FEATURE_IFD_PIN_PROPERTIES is 0x4233000A");

    auto pin = describe_control(0x4233000A, features, {}, kSeedPinProperties);
    REQUIRE(pin.size() == 4);
    CHECK(pin[0] == "parsing FEATURE_IFD_PIN_PROPERTIES results:");
    CHECK(pin[2].starts_with("  bEntryValidationCondition: 7"));

    // Unknown code, or a code the reader never announced: nothing to say.
    CHECK(describe_control(0x4233000A, {}, {}, kSeedPinProperties).empty());
    CHECK(describe_control(0x42000001, features, {}, {}).empty());

    // A broken answer still says what is wrong.
    auto bad = describe_control(0x4233000A, features, {}, hex("00 00"));
    CHECK(bad.back().starts_with("  error: truncated: bEntryValidationCondition"));

    const Feature verify[] = {{FEATURE_VERIFY_PIN_DIRECT, 0x42330006}};
    auto v = describe_control(0x42330006, verify, kVerifyRequest, hex("90 00"));
    CHECK(v[0] == "parsing FEATURE_VERIFY_PIN_DIRECT:");
    CHECK(has_line(v, "  ulDataLength: 13"));
}
