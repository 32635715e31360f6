#include <doctest/doctest.h>

#include <algorithm>

#include "support.hpp"
#include "protocol/apdu.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
// A command with header 00 A4 04 00 and `tail` after it.
Bytes with_tail(const Bytes& tail) {
    Bytes b(4 + tail.size());
    b[1] = 0xA4;
    b[2] = 0x04;
    std::copy(tail.begin(), tail.end(), b.begin() + 4);
    return b;
}
}  // namespace

TEST_CASE("parse_command_apdu: the four cases, short and extended") {
    struct Case {
        const char* apdu;
        ApduCase c;
        bool extended;
        size_t nc;
        size_t data_offset;
        std::optional<uint32_t> ne;
    } cases[] = {
        {"00A40400", ApduCase::Case1, false, 0, 0, std::nullopt},
        {"00C0000010", ApduCase::Case2, false, 0, 0, 16u},
        {"00C0000000", ApduCase::Case2, false, 0, 0, 256u},  // Le=00 short: 256
        {"00A4040007A0000003080000", ApduCase::Case3, false, 7, 5, std::nullopt},
        {"00A4040007A000000308000000", ApduCase::Case4, false, 7, 5, 256u},
        {"00A4040007A0000003080000FF", ApduCase::Case4, false, 7, 5, 255u},
        {"00A4040001AA01", ApduCase::Case4, false, 1, 5, 1u},
        {"00B0000000FFFF", ApduCase::Case2, true, 0, 0, 65535u},
        {"00B00000000000", ApduCase::Case2, true, 0, 0, 65536u},  // Le=0000 extended: 65536
        {"00B00000000100", ApduCase::Case2, true, 0, 0, 256u},
        {"00B0000000000100", ApduCase::Case3, true, 1, 7, std::nullopt},  // 8 bytes: Lc=0001, data 00
        {"002A9E9A000003112233", ApduCase::Case3, true, 3, 7, std::nullopt},
        {"002A9E9A0000031122330000", ApduCase::Case4, true, 3, 7, 65536u},
        {"002A9E9A0000031122330102", ApduCase::Case4, true, 3, 7, 258u},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        Bytes b = hex(c.apdu);
        CommandParse p = parse_command_apdu(b);
        REQUIRE(p.ok());
        CHECK_FALSE(p.error.has_value());
        CHECK(p.message().empty());
        const CommandApdu& a = *p.apdu;
        CHECK(a.apdu_case == c.c);
        CHECK(a.extended == c.extended);
        CHECK(a.nc == c.nc);
        CHECK(a.ne == c.ne);
        if (c.nc) CHECK(a.data_offset == c.data_offset);
        // The fields tile the buffer exactly.
        CHECK(4 + a.lc_length + a.nc + a.le_length == b.size());
        if (a.le_length) CHECK(a.le_offset + a.le_length == b.size());
        CHECK(a.cla == b[0]);
        CHECK(a.ins == b[1]);
        CHECK(a.p1p2() == (b[2] << 8 | b[3]));
    }
    Bytes select = hex("00A4040007A0000003080000");
    CHECK(to_hex(parse_command_apdu(select).apdu->data(select)) == "A0000003080000");
}

TEST_CASE("parse_command_apdu: malformed lengths give a one-line error") {
    struct Case {
        const char* apdu;
        ApduError error;
        const char* says;
    } cases[] = {
        {"", ApduError::TooShort, "0 byte(s)"},
        {"00", ApduError::TooShort, "1 byte(s)"},
        {"00A404", ApduError::TooShort, "at least 4"},
        {"00A4040007A00000", ApduError::LcDataMismatch, "Lc=7 (0x07) but only 3 data byte(s)"},
        {"00A4040001AA0102", ApduError::TrailingBytes, "1 byte(s) after"},
        {"00A4040001AA010203", ApduError::TrailingBytes, "2 byte(s) after"},
        {"00A4040000AA", ApduError::ExtendedTruncated, "short Lc cannot be 00"},
        {"00A404000000", ApduError::ExtendedTruncated, "only 1 byte follows"},
        {"00A40400000000AA", ApduError::ExtendedLcZero, "Lc=0000"},
        {"00A4040000000001", ApduError::ExtendedLcZero, "followed by 1 byte"},
        {"00A4040000000511", ApduError::LcDataMismatch, "extended Lc=5 (0x0005) but only 1"},
        {"00A4040003AABB", ApduError::LcDataMismatch, "Lc=3 (0x03) but only 2"},
        {"00A40400000001AA00", ApduError::ExtendedTruncated, "extended Le needs 2"},
        {"00A40400000001AA000000", ApduError::TrailingBytes, "1 byte(s) after"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CommandParse p = parse_command_apdu(hex(c.apdu));
        REQUIRE_FALSE(p.ok());
        REQUIRE(p.error.has_value());
        CHECK(*p.error == c.error);
        const std::string m = p.message();
        CAPTURE(m);
        CHECK(m.find(c.says) != std::string::npos);
        CHECK(m.find('\n') == std::string::npos);
        for (char ch : m) CHECK((ch >= 0x20 && ch < 0x7F));
        CHECK(find_value(kApduErrors, static_cast<uint64_t>(*p.error)) != nullptr);
    }
}

TEST_CASE("parse_command_apdu: every short tail length is classified by the rules") {
    // Header + Lc byte L + k further bytes, for every L and k up to 258: the
    // parse agrees with ISO 7816-4's length rules, never reads past the buffer.
    for (unsigned l = 1; l <= 255; l += 17) {
        for (size_t k = 0; k <= 258; ++k) {
            Bytes tail(k + 1, 0x11);
            tail[0] = static_cast<uint8_t>(l);
            CommandParse p = parse_command_apdu(with_tail(tail));
            CAPTURE(l);
            CAPTURE(k);
            if (k == 0) {
                REQUIRE(p.ok());
                CHECK(p.apdu->apdu_case == ApduCase::Case2);
            } else if (k == l) {
                REQUIRE(p.ok());
                CHECK(p.apdu->apdu_case == ApduCase::Case3);
            } else if (k == l + 1) {
                REQUIRE(p.ok());
                CHECK(p.apdu->apdu_case == ApduCase::Case4);
            } else {
                CHECK(*p.error == (k < l ? ApduError::LcDataMismatch : ApduError::TrailingBytes));
            }
        }
    }
}

TEST_CASE("parse_command_apdu: the largest extended APDU") {
    Bytes b = {0x00, 0xDB, 0x3F, 0xFF, 0x00, 0xFF, 0xFF};
    b.resize(7 + 65535, 0x42);
    b.push_back(0x00);
    b.push_back(0x00);
    CommandParse p = parse_command_apdu(b);
    REQUIRE(p.ok());
    CHECK(p.apdu->nc == 65535);
    CHECK(p.apdu->ne == 65536u);
    CHECK(p.apdu->apdu_case == ApduCase::Case4);
    b.pop_back();
    CHECK(*parse_command_apdu(b).error == ApduError::ExtendedTruncated);
}

TEST_CASE("decode_cla: inter-industry forms, proprietary convention, invalid") {
    struct Case {
        uint8_t cla;
        ClaKind kind;
        bool layout_known;
        bool chaining;
        SecureMessaging sm;
        uint8_t channel;
    } cases[] = {
        {0x00, ClaKind::FirstInterindustry, true, false, SecureMessaging::None, 0},
        {0x03, ClaKind::FirstInterindustry, true, false, SecureMessaging::None, 3},
        {0x04, ClaKind::FirstInterindustry, true, false, SecureMessaging::Proprietary, 0},
        {0x08, ClaKind::FirstInterindustry, true, false, SecureMessaging::HeaderNotAuthenticated, 0},
        {0x0C, ClaKind::FirstInterindustry, true, false, SecureMessaging::HeaderAuthenticated, 0},
        {0x10, ClaKind::FirstInterindustry, true, true, SecureMessaging::None, 0},
        {0x1D, ClaKind::FirstInterindustry, true, true, SecureMessaging::HeaderAuthenticated, 1},
        {0x40, ClaKind::FurtherInterindustry, true, false, SecureMessaging::None, 4},
        {0x4F, ClaKind::FurtherInterindustry, true, false, SecureMessaging::None, 19},
        {0x50, ClaKind::FurtherInterindustry, true, true, SecureMessaging::None, 4},
        {0x61, ClaKind::FurtherInterindustry, true, false, SecureMessaging::HeaderNotAuthenticated, 5},
        {0x7F, ClaKind::FurtherInterindustry, true, true, SecureMessaging::HeaderNotAuthenticated, 19},
        {0x20, ClaKind::Reserved, false, false, SecureMessaging::None, 0},
        {0x3F, ClaKind::Reserved, false, false, SecureMessaging::None, 0},
        {0x80, ClaKind::Proprietary, true, false, SecureMessaging::None, 0},
        {0x84, ClaKind::Proprietary, true, false, SecureMessaging::Proprietary, 0},
        {0x81, ClaKind::Proprietary, true, false, SecureMessaging::None, 1},
        {0x8C, ClaKind::Proprietary, true, false, SecureMessaging::HeaderAuthenticated, 0},
        {0x90, ClaKind::Proprietary, true, true, SecureMessaging::None, 0},
        {0xA0, ClaKind::Proprietary, false, false, SecureMessaging::None, 0},  // GSM 11.11
        {0xBF, ClaKind::Proprietary, false, false, SecureMessaging::None, 0},
        {0xC0, ClaKind::Proprietary, true, false, SecureMessaging::None, 4},
        {0xE3, ClaKind::Proprietary, true, false, SecureMessaging::HeaderNotAuthenticated, 7},
        {0xFE, ClaKind::Proprietary, true, true, SecureMessaging::HeaderNotAuthenticated, 18},
        {0xFF, ClaKind::Invalid, false, false, SecureMessaging::None, 0},
    };
    for (const Case& c : cases) {
        CAPTURE(int(c.cla));
        ClaInfo i = decode_cla(c.cla);
        CHECK(i.kind == c.kind);
        CHECK(i.layout_known == c.layout_known);
        CHECK(i.chaining == c.chaining);
        CHECK(i.sm == c.sm);
        CHECK(i.channel == c.channel);
        CHECK(i.iso_convention == (c.kind == ClaKind::Proprietary && c.layout_known));
    }
}

TEST_CASE("decode_cla: every class byte decodes to a channel in range and a named kind") {
    for (unsigned cla = 0; cla <= 0xFF; ++cla) {
        ClaInfo i = decode_cla(static_cast<uint8_t>(cla));
        CHECK(i.channel < 20);
        CHECK(find_value(kClaKinds, static_cast<uint64_t>(i.kind)) != nullptr);
        CHECK(find_value(kSecureMessagingKinds, static_cast<uint64_t>(i.sm)) != nullptr);
        CHECK_FALSE(describe_cla(static_cast<uint8_t>(cla)).empty());
    }
}

TEST_CASE("describe_cla reads as one line") {
    CHECK(describe_cla(0x00) == "inter-industry, channel 0, no SM");
    CHECK(describe_cla(0x84) == "proprietary (GP/EMV convention), channel 0, proprietary SM");
    CHECK(describe_cla(0x10) == "inter-industry, channel 0, no SM, chained (more commands follow)");
    CHECK(describe_cla(0x45) == "inter-industry (further), channel 9, no SM");
    CHECK(describe_cla(0xA0) == "proprietary, no known bit layout");
    CHECK(describe_cla(0xFF) == "invalid (FF is not a class byte)");
}

TEST_CASE("parse_response_apdu splits data and SW") {
    Bytes r = hex("6F0A840841424344454647489000");
    ResponseApdu p = parse_response_apdu(r);
    REQUIRE(p.sw);
    CHECK(*p.sw == 0x9000);
    CHECK(p.sw1() == 0x90);
    CHECK(p.sw2() == 0x00);
    CHECK(p.data.size() == r.size() - 2);
    Bytes only_sw = hex("6A82");
    CHECK(parse_response_apdu(only_sw).data.empty());
    CHECK(*parse_response_apdu(only_sw).sw == 0x6A82);
    Bytes one = hex("90");
    CHECK_FALSE(parse_response_apdu(one).sw.has_value());
    CHECK(parse_response_apdu(one).data.size() == 1);
    CHECK_FALSE(parse_response_apdu({}).sw.has_value());
}
