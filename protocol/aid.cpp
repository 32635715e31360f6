#include "protocol/aid.hpp"

#include <string>

namespace pcscspy {

namespace {

using K = AppletKind;

// Registered RIDs and the application AIDs published by their owners, and the
// AIDs that real clients select (OpenSC's card drivers, gpg's scdaemon, PKCS#11
// modules), each row with where its name comes from. RID-only rows name the
// scheme when the full AID is not listed; the longest prefix wins.
constexpr std::string_view kGp = "GlobalPlatform Card Spec 2.3 §H.1";
constexpr std::string_view kOpenScGp = "OpenSC src/libopensc/gp.c";
constexpr std::string_view kEmvCo = "EMVCo list of registered AIDs";
constexpr std::string_view kEmvBook1 = "EMV Book 1 §12.2.2, EMV Book B §3.3";
constexpr std::string_view kCac = "OpenSC src/libopensc/card-cac.c, card-cac-common.h";
constexpr std::string_view kNks = "gnupg scd/app-nks.c";

constexpr KnownAid kKnownAids[] = {
    // GlobalPlatform security domains.
    {"A0000000030000", "Open Platform card manager", K::GlobalPlatform, kOpenScGp},
    {"A000000003000000", "GlobalPlatform card manager (Visa OpenPlatform ISD)", K::GlobalPlatform, kGp},
    {"A0000001510000", "GlobalPlatform issuer security domain", K::GlobalPlatform, kOpenScGp},
    {"A000000151000000", "GlobalPlatform issuer security domain", K::GlobalPlatform, kGp},
    {"A0000001515350", "GlobalPlatform security domain package", K::GlobalPlatform, kGp},
    {"A00000015153504341534400", "GlobalPlatform controlling authority security domain (CASD)", K::GlobalPlatform, kGp},
    {"A000000018434D00", "Card manager (Gemplus ISD)", K::GlobalPlatform, "Gemplus GemXpresso card manager"},
    {"A0000000300000", "CAC card manager", K::GlobalPlatform, kCac},

    // Payment: directories.
    {"315041592E5359532E4444463031", "Payment System Environment (1PAY.SYS.DDF01)", K::Emv, kEmvBook1},
    {"325041592E5359532E4444463031", "Proximity Payment System Environment (2PAY.SYS.DDF01)", K::Emv, kEmvBook1},
    // Visa.
    {"A000000003", "Visa", K::Emv, kEmvCo},
    {"A0000000031010", "Visa credit/debit", K::Emv, kEmvCo},
    {"A0000000032010", "Visa Electron", K::Emv, kEmvCo},
    {"A0000000032020", "V PAY", K::Emv, kEmvCo},
    {"A0000000033010", "Visa Interlink", K::Emv, kEmvCo},
    {"A0000000038002", "Visa Dynamic Passcode Authentication", K::Emv, kEmvCo},
    {"A0000000038010", "Visa Plus", K::Emv, kEmvCo},
    {"A0000000980840", "Visa US common debit", K::Emv, kEmvCo},
    // Mastercard.
    {"A000000004", "Mastercard", K::Emv, kEmvCo},
    {"A0000000041010", "Mastercard credit/debit", K::Emv, kEmvCo},
    {"A0000000042203", "Maestro US debit", K::Emv, kEmvCo},
    {"A0000000043060", "Maestro", K::Emv, kEmvCo},
    {"A0000000046000", "Cirrus", K::Emv, kEmvCo},
    {"A0000000048002", "Mastercard chip authentication (CAP)", K::Emv, kEmvCo},
    {"A000000005", "Maestro UK (Switch)", K::Emv, kEmvCo},
    // Other schemes.
    {"A000000025", "American Express", K::Emv, kEmvCo},
    {"A00000002501", "American Express", K::Emv, kEmvCo},
    {"A000000029", "LINK (UK ATM network)", K::Emv, kEmvCo},
    {"A000000042", "CB (Cartes Bancaires)", K::Emv, kEmvCo},
    {"A0000000421010", "CB (Cartes Bancaires)", K::Emv, kEmvCo},
    {"A0000000422010", "CB (Cartes Bancaires)", K::Emv, kEmvCo},
    {"A00000005945430100", "girocard (electronic cash)", K::Emv, kEmvCo},
    {"A000000065", "JCB", K::Emv, kEmvCo},
    {"A0000000651010", "JCB", K::Emv, kEmvCo},
    {"A000000121", "Dankort", K::Emv, kEmvCo},
    {"A000000141", "Pagobancomat", K::Emv, kEmvCo},
    {"A000000152", "Discover", K::Emv, kEmvCo},
    {"A0000001523010", "Discover / Diners Club International", K::Emv, kEmvCo},
    {"A0000001524010", "Discover US common debit", K::Emv, kEmvCo},
    {"A000000228", "SPAN (Saudi Payments Network)", K::Emv, kEmvCo},
    {"A000000277", "Interac", K::Emv, kEmvCo},
    {"A0000002771010", "Interac", K::Emv, kEmvCo},
    {"A000000324", "Discover ZIP", K::Emv, kEmvCo},
    {"A0000003241010", "Discover ZIP", K::Emv, kEmvCo},
    {"A000000333", "UnionPay", K::Emv, kEmvCo},
    {"A000000333010101", "UnionPay debit", K::Emv, kEmvCo},
    {"A000000333010102", "UnionPay credit", K::Emv, kEmvCo},
    {"A000000333010103", "UnionPay quasi-credit", K::Emv, kEmvCo},
    {"A000000333010106", "UnionPay electronic cash", K::Emv, kEmvCo},
    {"A000000333010108", "UnionPay US common debit", K::Emv, kEmvCo},
    {"A000000359", "girocard (EAPS)", K::Emv, kEmvCo},
    {"A0000003591010028001", "girocard", K::Emv, kEmvCo},
    {"A000000371", "Verve", K::Emv, kEmvCo},
    {"A0000003710001", "Verve", K::Emv, kEmvCo},
    {"A000000384", "eftpos (Australia)", K::Emv, kEmvCo},
    {"A000000524", "RuPay", K::Emv, kEmvCo},
    {"A0000005241010", "RuPay", K::Emv, kEmvCo},
    {"A000000658", "Mir", K::Emv, kEmvCo},
    {"A0000006581010", "Mir", K::Emv, kEmvCo},
    {"D27600002547410100", "girocard ATM", K::Emv, kEmvCo},

    // Identity and security applications.
    {"A000000308", "PIV", K::Piv, "NIST SP 800-73-4 part 1 §2.2"},
    {"A00000030800001000", "PIV card application", K::Piv, "NIST SP 800-73-4 part 1 §2.2; OpenSC card-piv.c"},
    {"D27600012401", "OpenPGP card", K::OpenPgp, "OpenPGP card 3.4 §4.2.1; OpenSC card-openpgp.c"},
    {"A0000006472F0001", "FIDO U2F / FIDO2", K::Fido, "FIDO U2F NFC protocol §5; CTAP 2.1 §11.3"},
    {"A000000527200101", "YubiKey OTP", K::YubicoOtp, "Yubico yubikey-manager"},
    {"A000000527471117", "YubiKey management", K::YubicoManagement, "Yubico yubikey-manager"},
    {"A0000005272101", "YubiKey OATH", K::YubicoOath, "Yubico YKOATH protocol"},
    {"D2760000850100", "NFC Forum Type 4 Tag NDEF (v1)", K::Ndef, "NFC Forum Type 4 Tag spec §5.1"},
    {"D2760000850101", "NFC Forum Type 4 Tag NDEF", K::Ndef, "NFC Forum Type 4 Tag spec §5.1"},
    {"A0000002471001", "eMRTD (ICAO LDS1)", K::Emrtd, "ICAO Doc 9303 part 10 §3.6.1"},
    {"A000000063504B43532D3135", "PKCS#15", K::Pkcs15, "ISO 7816-15 annex; gnupg scd/app-p15.c"},
    {"A000000177504B43532D3135", "Belgian eID (BELPIC PKCS#15)", K::Pkcs15, "Belgian eID middleware"},
    {"A00000039742544659", "GIDS (Microsoft generic identity device)", K::Gids, "OpenSC card-gids.c"},
    {"A000000397425446590201", "GIDS (Microsoft generic identity device)", K::Gids, "Microsoft GIDS spec 2.0 §2.3"},
    {"E80704007F00070302", "German eID (nPA eID application)", K::Other, "BSI TR-03110 part 3; OpenSC card-npa.c"},
    {"A000000167455349474E", "eSign application (CEN/TS 15480: nPA, TCOS, eID cards)", K::Other, kNks},
    {"E82B0601040181C31F0201", "SmartCard-HSM", K::Other, "OpenSC card-sc-hsm.c"},

    // US Department of Defense Common Access Card (CAC) applets.
    {"A000000079", "CAC (US DoD Common Access Card)", K::Cac, kCac},
    {"A00000007900", "CAC PKI applet", K::Cac, kCac},
    {"A00000007901", "CAC PKI applet", K::Cac, kCac},
    {"A0000000790200", "CAC person instance", K::Cac, kCac},
    {"A0000000790201", "CAC personnel", K::Cac, kCac},
    {"A0000000790202", "CAC benefits", K::Cac, kCac},
    {"A0000000790203", "CAC other benefits", K::Cac, kCac},
    {"A00000007902FD", "CAC PKI credential", K::Cac, kCac},
    {"A00000007902FE", "CAC PKI certificate", K::Cac, kCac},
    {"A0000000791000", "CAC access control applet (ACA)", K::Cac, kCac},
    {"A000000116DB00", "CAC card capability container (CCC)", K::Cac, kCac},

    // Other applets OpenSC's drivers probe for.
    {"627601FF000000", "CoolKey applet", K::Other, "OpenSC card-coolkey.c"},
    {"A00000000101", "MUSCLE applet", K::Other, "OpenSC card-muscle.c"},
    {"F276A288BCFBA69D34F31001", "IsoApplet", K::Other, "OpenSC card-isoApplet.c"},
    {"D392F000260100000001", "JPKI (Japanese Individual Number Card public key application)", K::Other,
     "OpenSC card-jpki.c"},
    {"D23300000045737445494420763335", "EstEID 3.5 (Estonian ID card)", K::Other, "OpenSC card-mcrd.c"},
    {"F04573744549442076657220312E30", "EstEID 1.0-3.0 (Estonian ID card)", K::Other, "OpenSC card-mcrd.c"},
    {"D031000000446967694944", "AzeDIT 3.5 (Azerbaijan ID card)", K::Other, "OpenSC card-mcrd.c"},
    {"A000000077010800070000FE00000100", "IAS-ECC application (EstEID 2018)", K::Other,
     "OpenSC card-esteid2018.c"},
    {"E828BD080FA000000851000011", "Slovak eID qualified signature application", K::Other,
     "OpenSC pkcs15-skeid.c"},

    // Applications gpg's scdaemon probes for.
    {"D2760000030102", "TCOS NetKey (NKS)", K::Other, kNks},
    {"D27600006601", "SigG / DINSIG signature application", K::Other, "gnupg scd/app-nks.c, app-dinsig.c"},
    {"D2760000030C01", "TCOS identity application (IDLM)", K::Other, kNks},
    {"D27600002545500200", "GeldKarte (electronic purse)", K::Other, "gnupg scd/app-geldkarte.c"},

    // Transport.
    {"315449432E494341", "Calypso transport application (1TIC.ICA)", K::Other, "Calypso specification"},
};

}  // namespace

std::string_view applet_kind_name(AppletKind kind) {
    const Named* n = find_value(kAppletKinds, static_cast<uint64_t>(kind));
    return n ? n->name : std::string_view("unknown");
}

std::span<const KnownAid> known_aids() { return kKnownAids; }

const KnownAid* find_aid(ByteView aid) {
    if (aid.empty()) return nullptr;
    const std::string hex = to_hex(aid);
    const KnownAid* best = nullptr;
    for (const KnownAid& k : kKnownAids)
        if (hex.starts_with(k.aid_hex) && (!best || k.aid_hex.size() > best->aid_hex.size())) best = &k;
    if (best) return best;

    constexpr size_t kRidLength = 5;
    if (aid.size() < kRidLength) return nullptr;
    for (const KnownAid& k : kKnownAids) {
        if (!std::string_view(k.aid_hex).starts_with(hex)) continue;
        if (best && best->kind != k.kind) return nullptr;
        if (!best || k.aid_hex.size() < best->aid_hex.size()) best = &k;
    }
    return best;
}

}  // namespace pcscspy
