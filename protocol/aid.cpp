#include "protocol/aid.hpp"

#include <string>

namespace pcscspy {

namespace {

using K = AppletKind;

// Registered RIDs and the application AIDs published by their owners (EMVCo
// list of AIDs, GlobalPlatform, NIST SP 800-73, OpenPGP card, FIDO, Yubico,
// NFC Forum, ICAO 9303). RID-only rows name the scheme when the full AID is not
// listed; the longest prefix wins.
constexpr KnownAid kKnownAids[] = {
    // GlobalPlatform security domains.
    {"A000000003000000", "GlobalPlatform card manager (Visa OpenPlatform ISD)", K::GlobalPlatform},
    {"A000000151000000", "GlobalPlatform issuer security domain", K::GlobalPlatform},
    {"A0000001515350", "GlobalPlatform security domain package", K::GlobalPlatform},
    {"A00000015153504341534400", "GlobalPlatform controlling authority security domain (CASD)", K::GlobalPlatform},
    {"A000000018434D00", "Card manager (Gemplus ISD)", K::GlobalPlatform},

    // Payment: directories.
    {"315041592E5359532E4444463031", "Payment System Environment (1PAY.SYS.DDF01)", K::Emv},
    {"325041592E5359532E4444463031", "Proximity Payment System Environment (2PAY.SYS.DDF01)", K::Emv},
    // Visa.
    {"A000000003", "Visa", K::Emv},
    {"A0000000031010", "Visa credit/debit", K::Emv},
    {"A0000000032010", "Visa Electron", K::Emv},
    {"A0000000032020", "V PAY", K::Emv},
    {"A0000000033010", "Visa Interlink", K::Emv},
    {"A0000000038002", "Visa Dynamic Passcode Authentication", K::Emv},
    {"A0000000038010", "Visa Plus", K::Emv},
    // Mastercard.
    {"A000000004", "Mastercard", K::Emv},
    {"A0000000041010", "Mastercard credit/debit", K::Emv},
    {"A0000000042203", "Maestro US debit", K::Emv},
    {"A0000000043060", "Maestro", K::Emv},
    {"A0000000046000", "Cirrus", K::Emv},
    {"A0000000048002", "Mastercard chip authentication (CAP)", K::Emv},
    // Other schemes.
    {"A000000025", "American Express", K::Emv},
    {"A00000002501", "American Express", K::Emv},
    {"A0000000421010", "CB (Cartes Bancaires)", K::Emv},
    {"A0000000422010", "CB (Cartes Bancaires)", K::Emv},
    {"A00000005945430100", "girocard (electronic cash)", K::Emv},
    {"A000000065", "JCB", K::Emv},
    {"A0000000651010", "JCB", K::Emv},
    {"A000000152", "Discover", K::Emv},
    {"A0000001523010", "Discover / Diners Club International", K::Emv},
    {"A0000001524010", "Discover US common debit", K::Emv},
    {"A0000002771010", "Interac", K::Emv},
    {"A0000003241010", "Discover ZIP", K::Emv},
    {"A000000333", "UnionPay", K::Emv},
    {"A000000333010101", "UnionPay debit", K::Emv},
    {"A000000333010102", "UnionPay credit", K::Emv},
    {"A000000333010103", "UnionPay quasi-credit", K::Emv},
    {"A000000333010106", "UnionPay electronic cash", K::Emv},
    {"A000000333010108", "UnionPay US common debit", K::Emv},
    {"A0000003591010028001", "girocard", K::Emv},
    {"A0000003710001", "Verve", K::Emv},
    {"A0000005241010", "RuPay", K::Emv},
    {"A0000006581010", "Mir", K::Emv},
    {"D27600002547410100", "girocard ATM", K::Emv},

    // Identity and security applications.
    {"A000000308", "PIV", K::Piv},
    {"A00000030800001000", "PIV card application", K::Piv},
    {"D27600012401", "OpenPGP card", K::OpenPgp},
    {"A0000006472F0001", "FIDO U2F / FIDO2", K::Fido},
    {"A000000527200101", "YubiKey OTP", K::YubicoOtp},
    {"A000000527471117", "YubiKey management", K::YubicoManagement},
    {"A0000005272101", "YubiKey OATH", K::YubicoOath},
    {"D2760000850100", "NFC Forum Type 4 Tag NDEF (v1)", K::Ndef},
    {"D2760000850101", "NFC Forum Type 4 Tag NDEF", K::Ndef},
    {"A0000002471001", "eMRTD (ICAO LDS1)", K::Emrtd},
    {"A000000063504B43532D3135", "PKCS#15", K::Pkcs15},
    {"A000000177504B43532D3135", "Belgian eID (BELPIC PKCS#15)", K::Pkcs15},
    {"A000000397425446590201", "GIDS (Microsoft generic identity device)", K::Gids},
    {"E80704007F00070302", "German eID (nPA eID application)", K::Other},
    {"E82B0601040181C31F0201", "SmartCard-HSM", K::Other},
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
