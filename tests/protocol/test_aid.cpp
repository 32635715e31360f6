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
        CHECK_FALSE(k.source.empty());  // every name says where it was checked
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

TEST_CASE("find_aid: the applications OpenSC, gpg's scdaemon and PKCS#11 modules select") {
    // Each AID as the client's source file sends it (the file is the row's source).
    struct Case {
        const char* aid;
        const char* name;
        AppletKind kind;
        const char* checked_against;
    } cases[] = {
        {"627601FF000000", "CoolKey applet", AppletKind::Other, "OpenSC card-coolkey.c coolkey_select_applet"},
        {"A00000000101", "MUSCLE applet", AppletKind::Other, "OpenSC card-muscle.c muscleAppletId"},
        {"E82B0601040181C31F0201", "SmartCard-HSM", AppletKind::Other, "OpenSC card-sc-hsm.c"},
        {"D23300000045737445494420763335", "EstEID 3.5 (Estonian ID card)", AppletKind::Other,
         "OpenSC card-mcrd.c EstEID_v35_AID"},
        {"A000000077010800070000FE00000100", "IAS-ECC application (EstEID 2018)", AppletKind::Other,
         "OpenSC card-esteid2018.c IASECC_AID"},
        {"A00000030800001000", "PIV card application", AppletKind::Piv, "OpenSC card-piv.c; SP 800-73-4 part 1"},
        {"A000000116DB00", "CAC card capability container (CCC)", AppletKind::Cac, "OpenSC card-cac.c cac_CCC_Path"},
        {"A0000000791000", "CAC access control applet (ACA)", AppletKind::Cac, "OpenSC card-cac.c cac_ACA_Path"},
        {"A0000000790100", "CAC PKI applet", AppletKind::Cac, "OpenSC card-cac-common.h cac_cac_pki_obj"},
        {"A00000007901FF", "CAC PKI applet", AppletKind::Cac, "OpenSC card-cac.c: 7-byte PKI applets 01XX"},
        {"A0000000790201", "CAC personnel", AppletKind::Cac, "OpenSC card-cac.c cac_objects"},
        {"A0000000300000", "CAC card manager", AppletKind::GlobalPlatform, "OpenSC card-cac.c CAC_1_CM_AID"},
        {"F276A288BCFBA69D34F31001", "IsoApplet", AppletKind::Other, "OpenSC card-isoApplet.c"},
        {"A00000039742544659", "GIDS (Microsoft generic identity device)", AppletKind::Gids, "OpenSC card-gids.c"},
        {"D27600012401", "OpenPGP card", AppletKind::OpenPgp, "OpenSC card-openpgp.c; gnupg app-openpgp.c"},
        {"D392F000260100000001", "JPKI (Japanese Individual Number Card public key application)",
         AppletKind::Other, "OpenSC card-jpki.c"},
        {"A0000000030000", "Open Platform card manager", AppletKind::GlobalPlatform, "OpenSC gp.c gp_card_manager"},
        {"A0000001510000", "GlobalPlatform issuer security domain", AppletKind::GlobalPlatform,
         "OpenSC gp.c gp_isd_rid"},
        {"D2760000030102", "TCOS NetKey (NKS)", AppletKind::Other, "gnupg scd/app-nks.c aid_nks"},
        {"D27600006601", "SigG / DINSIG signature application", AppletKind::Other, "gnupg scd/app-nks.c aid_sigg"},
        {"A000000167455349474E", "eSign application (CEN/TS 15480: nPA, TCOS, eID cards)", AppletKind::Other,
         "gnupg scd/app-nks.c aid_esign"},
        {"D27600002545500200", "GeldKarte (electronic purse)", AppletKind::Other, "gnupg scd/app-geldkarte.c"},
        {"A000000063504B43532D3135", "PKCS#15", AppletKind::Pkcs15, "gnupg scd/app-p15.c"},
        // EMVCo registered RIDs: an unlisted AID under a scheme's RID names the scheme.
        {"A0000000291010", "LINK (UK ATM network)", AppletKind::Emv, "EMVCo RID A000000029"},
        {"A0000001211010", "Dankort", AppletKind::Emv, "EMVCo RID A000000121"},
        {"A0000001410001", "Pagobancomat", AppletKind::Emv, "EMVCo RID A000000141"},
        {"A0000003710001", "Verve", AppletKind::Emv, "EMVCo RID A000000371"},
        {"A00000038410", "eftpos (Australia)", AppletKind::Emv, "EMVCo RID A000000384"},
        {"A0000006581099", "Mir", AppletKind::Emv, "EMVCo RID A000000658"},
        {"A0000000980840", "Visa US common debit", AppletKind::Emv, "EMVCo list"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.aid));
        CAPTURE(std::string(c.checked_against));
        const KnownAid* k = find_aid(hex(c.aid));
        REQUIRE(k != nullptr);
        CHECK(k->name == c.name);
        CHECK(k->kind == c.kind);
    }
}
