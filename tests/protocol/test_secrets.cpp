#include <doctest/doctest.h>

#include "support.hpp"
#include "protocol/secrets.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

TEST_CASE("secrets: which commands carry secrets and which bytes are masked") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        bool secret;
        size_t offset, length;
        const char* redacted;
    } cases[] = {
        // VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER, even and odd.
        {"0020008008313233343536FFFF", AppletKind::Piv, true, 5, 8, "00200080082A2A2A2A2A2A2A2A"},
        {"0020008106313233343536", AppletKind::OpenPgp, true, 5, 6, "00200081062A2A2A2A2A2A"},
        {"002000820631323334353600", AppletKind::Unknown, true, 5, 6, "00200082062A2A2A2A2A2A00"},
        {"0021000003010203", AppletKind::Unknown, true, 5, 3, "00210000032A2A2A"},
        {"002400801031323334353637383930313233343536", AppletKind::Piv, true, 5, 16,
         "00240080102A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A"},
        {"002C0080023132", AppletKind::Piv, true, 5, 2, "002C0080022A2A"},
        {"002D0000023132", AppletKind::Unknown, true, 5, 2, "002D0000022A2A"},
        {"0025000002AABB", AppletKind::Unknown, true, 5, 2, "00250000022A2A"},
        {"842400000831323334AAAAAAAA", AppletKind::Emv, true, 5, 8, "84240000082A2A2A2A2A2A2A2A"},
        // Extended length: the data field starts at byte 7.
        {"00200080000003313233", AppletKind::Unknown, true, 7, 3, "002000800000032A2A2A"},
        // VERIFY without data is a retry counter query: nothing to mask.
        {"00200080", AppletKind::Piv, true, 0, 0, "00200080"},
        {"0020008000", AppletKind::Piv, true, 0, 0, "0020008000"},
        {"002C0380", AppletKind::Unknown, true, 0, 0, "002C0380"},
        // Malformed secret-bearing APDUs: masked from byte 5 to the end.
        {"002000800831323334", AppletKind::Unknown, true, 5, 4, "00200080082A2A2A2A"},
        {"00200080083132333435363738FFFF", AppletKind::Unknown, true, 5, 10, "00200080082A2A2A2A2A2A2A2A2A2A"},
        {"0020008000AA", AppletKind::Unknown, true, 5, 1, "00200080002A"},
        {"0020", AppletKind::Unknown, true, 0, 0, "0020"},
        // GlobalPlatform PUT KEY carries keys in the proprietary class only.
        {"80D8010103AABBCC", AppletKind::Unknown, true, 5, 3, "80D80101032A2A2A"},
        {"84D8010103AABBCC", AppletKind::GlobalPlatform, true, 5, 3, "84D80101032A2A2A"},
        {"00D8010103AABBCC", AppletKind::Unknown, false, 0, 0, "00D8010103AABBCC"},
        // Applet-specific secrets.
        {"00DB3FFF034D0100", AppletKind::OpenPgp, true, 5, 3, "00DB3FFF032A2A2A"},
        {"00DB3FFF055C035FC102", AppletKind::Piv, false, 0, 0, "00DB3FFF055C035FC102"},
        {"00DA00D3083132333435363738", AppletKind::OpenPgp, true, 5, 8, "00DA00D3082A2A2A2A2A2A2A2A"},
        {"00DA005B0441424344", AppletKind::OpenPgp, false, 0, 0, "00DA005B0441424344"},
        {"00FE119A03010203", AppletKind::Piv, true, 5, 3, "00FE119A032A2A2A"},
        {"00FE119A03010203", AppletKind::Unknown, false, 0, 0, "00FE119A03010203"},
        {"00FFFFFF03010203", AppletKind::Piv, true, 5, 3, "00FFFFFF032A2A2A"},
        {"000100000371024142", AppletKind::YubicoOath, true, 5, 3, "00010000032A2A2A42"},
        {"000100000371024142", AppletKind::Fido, false, 0, 0, "000100000371024142"},
        // Ordinary commands are left alone.
        {"00A4040007A0000003080000", AppletKind::Unknown, false, 0, 0, "00A4040007A0000003080000"},
        {"00B0000000", AppletKind::Unknown, false, 0, 0, "00B0000000"},
        {"", AppletKind::Unknown, false, 0, 0, ""},
        {"20", AppletKind::Unknown, false, 0, 0, "20"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CAPTURE(applet_kind_name(c.applet));
        Bytes b = hex(c.apdu);
        CHECK(carries_secret(b, c.applet) == c.secret);
        SecretRange r = secret_range(b, c.applet);
        CHECK(r.offset == c.offset);
        CHECK(r.length == c.length);
        Bytes red = redact_command(b, c.applet);
        CHECK(red.size() == b.size());
        CHECK(to_hex(red) == c.redacted);
        // In place gives the same bytes and range.
        Bytes in_place = b;
        SecretRange r2 = redact_in_place(in_place, c.applet);
        CHECK(in_place == red);
        CHECK(r2.offset == r.offset);
        CHECK(r2.length == r.length);
        if (c.secret) CHECK_FALSE(find_secret_rule(b, c.applet)->what.empty());
    }
}

TEST_CASE("secrets: redaction never changes a length, whatever the input") {
    // Every INS, with a short APDU, a malformed one and an extended one.
    for (unsigned ins = 0; ins <= 0xFF; ++ins) {
        for (Bytes b : {Bytes{0x00, 0x00, 0x00, 0x00, 0x03, 1, 2, 3}, Bytes{0x80, 0x00, 0x3F, 0xFF, 0x09, 1},
                        Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 1, 2}}) {
            b[1] = static_cast<uint8_t>(ins);
            Bytes red = redact_command(b);
            CHECK(red.size() == b.size());
            SecretRange r = secret_range(b);
            CHECK(r.offset + r.length <= b.size());
            for (size_t i = 0; i < b.size(); ++i) {
                const bool masked = i >= r.offset && i < r.offset + r.length;
                CHECK(red[i] == (masked ? kMaskByte : b[i]));
            }
        }
    }
}

TEST_CASE("secret rules: each says what it protects") {
    for (const SecretRule& r : secret_rules()) {
        CAPTURE(int(r.ins));
        CHECK_FALSE(r.what.empty());
        CHECK((r.p1p2 & r.p1p2_mask) == r.p1p2);
    }
}
