#include <doctest/doctest.h>

#include <set>

#include "support.hpp"
#include "protocol/aid.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

TEST_CASE("known AIDs: every AID parses, is unique, names its kind") {
    std::set<std::string_view> seen;
    for (const KnownAid& k : known_aids()) {
        CAPTURE(k.aid_hex);
        HexParse p = parse_hex(k.aid_hex);
        REQUIRE(p.ok());
        // ISO 7816-5: a 5-byte RID and at most 11 PIX bytes.
        CHECK(p.bytes.size() >= 5);
        CHECK(p.bytes.size() <= 16);
        CHECK(to_hex(p.bytes) == k.aid_hex);  // upper case, no separators
        CHECK(seen.insert(k.aid_hex).second);
        CHECK_FALSE(k.name.empty());
        CHECK(k.kind != AppletKind::Unknown);
        // Every listed AID finds itself.
        const KnownAid* found = find_aid(p.bytes);
        REQUIRE(found != nullptr);
        CHECK(found == &k);
    }
    CHECK(known_aids().size() > 50);
}

TEST_CASE("applet kinds: every kind has a name") {
    for (unsigned v = 0; v <= static_cast<unsigned>(AppletKind::Other); ++v) {
        const Named* n = find_value(kAppletKinds, v);
        REQUIRE(n != nullptr);
        CHECK(applet_kind_name(static_cast<AppletKind>(v)) == n->name);
    }
    CHECK(applet_kind_name(AppletKind::Piv) == "PIV");
    CHECK(applet_kind_name(AppletKind::OpenPgp) == "OpenPGP");
}

TEST_CASE("find_aid: longest prefix, partial names, unknown AIDs") {
    struct Case {
        const char* aid;
        const char* name;  // nullptr: no match
        AppletKind kind;
    } cases[] = {
        {"A0000003080000", "PIV", AppletKind::Piv},
        {"A000000308000010000100", "PIV card application", AppletKind::Piv},
        {"D2760001240103040006123456780000", "OpenPGP card", AppletKind::OpenPgp},
        {"D276000124", "OpenPGP card", AppletKind::OpenPgp},  // partial DF name
        {"A000000003000000", "GlobalPlatform card manager (Visa OpenPlatform ISD)", AppletKind::GlobalPlatform},
        {"A000000151000000", "GlobalPlatform issuer security domain", AppletKind::GlobalPlatform},
        {"A0000000031010", "Visa credit/debit", AppletKind::Emv},
        {"A000000003101001", "Visa credit/debit", AppletKind::Emv},
        {"A0000000039999", "Visa", AppletKind::Emv},  // RID fallback
        {"A0000000041010", "Mastercard credit/debit", AppletKind::Emv},
        {"A0000000043060", "Maestro", AppletKind::Emv},
        {"A0000000032020", "V PAY", AppletKind::Emv},
        {"A00000002501", "American Express", AppletKind::Emv},
        {"A0000001523010", "Discover / Diners Club International", AppletKind::Emv},
        {"A0000000651010", "JCB", AppletKind::Emv},
        {"A000000333010102", "UnionPay credit", AppletKind::Emv},
        {"A0000002771010", "Interac", AppletKind::Emv},
        {"A0000003591010028001", "girocard", AppletKind::Emv},
        {"A0000000421010", "CB (Cartes Bancaires)", AppletKind::Emv},
        {"325041592E5359532E4444463031", "Proximity Payment System Environment (2PAY.SYS.DDF01)", AppletKind::Emv},
        {"A0000006472F0001", "FIDO U2F / FIDO2", AppletKind::Fido},
        {"D2760000850101", "NFC Forum Type 4 Tag NDEF", AppletKind::Ndef},
        {"A0000002471001", "eMRTD (ICAO LDS1)", AppletKind::Emrtd},
        {"A000000527200101", "YubiKey OTP", AppletKind::YubicoOtp},
        {"A000000527471117", "YubiKey management", AppletKind::YubicoManagement},
        {"A000000527210101", "YubiKey OATH", AppletKind::YubicoOath},
        {"A000000063504B43532D3135", "PKCS#15", AppletKind::Pkcs15},
        {"A000000397425446590201", "GIDS (Microsoft generic identity device)", AppletKind::Gids},
        {"A000000177504B43532D3135", "Belgian eID (BELPIC PKCS#15)", AppletKind::Pkcs15},
        // A partial name prefixing entries of several kinds names nothing.
        {"A000000527", nullptr, AppletKind::Unknown},
        // Under a whole RID, no partial match.
        {"D2760001", nullptr, AppletKind::Unknown},
        {"F0010203040506", nullptr, AppletKind::Unknown},
        {"", nullptr, AppletKind::Unknown},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.aid));
        Bytes aid = hex(c.aid);
        const KnownAid* k = find_aid(aid);
        if (!c.name) {
            CHECK(k == nullptr);
            continue;
        }
        REQUIRE(k != nullptr);
        CHECK(k->name == c.name);
        CHECK(k->kind == c.kind);
    }
}
