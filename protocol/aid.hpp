// Applications on a card: the applet families the decoder knows the command
// sets of (AppletKind), and the well-known application identifiers (AIDs, ISO/IEC
// 7816-5: a 5-byte RID and an optional PIX) that tell which family a SELECT
// reached.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/hex.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// A command set with its own INS, P1/P2, tag and status word meanings. Unknown
// means "no applet context": only inter-industry (ISO/IEC 7816) meanings apply.
// Other is a known application whose commands are plain inter-industry ones.
enum class AppletKind : uint8_t {
    Unknown,
    GlobalPlatform,  // card manager / issuer security domain
    Emv,             // payment applications and the PSE/PPSE directories
    Piv,             // NIST SP 800-73 (and the YubiKey extensions)
    OpenPgp,         // OpenPGP card 3.4
    Fido,            // FIDO U2F and CTAP2 over ISO 7816
    YubicoOtp,
    YubicoManagement,
    YubicoOath,
    Ndef,            // NFC Forum Type 4 Tag
    Emrtd,           // ICAO 9303 travel documents
    Pkcs15,
    Gids,
    Cac,             // US DoD Common Access Card applets
    Other,
};

inline constexpr Named kAppletKinds[] = {
    {static_cast<uint64_t>(AppletKind::Unknown), "unknown", "no applet context (inter-industry meanings)"},
    {static_cast<uint64_t>(AppletKind::GlobalPlatform), "GlobalPlatform", "card manager / security domain"},
    {static_cast<uint64_t>(AppletKind::Emv), "EMV", "EMV payment application"},
    {static_cast<uint64_t>(AppletKind::Piv), "PIV", "NIST SP 800-73 PIV card application"},
    {static_cast<uint64_t>(AppletKind::OpenPgp), "OpenPGP", "OpenPGP card application"},
    {static_cast<uint64_t>(AppletKind::Fido), "FIDO", "FIDO U2F / CTAP2 authenticator"},
    {static_cast<uint64_t>(AppletKind::YubicoOtp), "YubiKey OTP", "Yubico OTP application"},
    {static_cast<uint64_t>(AppletKind::YubicoManagement), "YubiKey management", "Yubico management application"},
    {static_cast<uint64_t>(AppletKind::YubicoOath), "YubiKey OATH", "Yubico OATH (TOTP/HOTP) application"},
    {static_cast<uint64_t>(AppletKind::Ndef), "NDEF", "NFC Forum Type 4 Tag NDEF application"},
    {static_cast<uint64_t>(AppletKind::Emrtd), "eMRTD", "ICAO 9303 machine readable travel document"},
    {static_cast<uint64_t>(AppletKind::Pkcs15), "PKCS#15", "PKCS#15 / ISO 7816-15 application"},
    {static_cast<uint64_t>(AppletKind::Gids), "GIDS", "Microsoft generic identity device"},
    {static_cast<uint64_t>(AppletKind::Cac), "CAC", "US DoD Common Access Card applet"},
    {static_cast<uint64_t>(AppletKind::Other), "other", "known application, inter-industry commands"},
};

std::string_view applet_kind_name(AppletKind kind);

// One well-known AID or AID prefix. The AID is hex text (upper case, no
// separators) so that the table reads like the registries it comes from; the
// source says where the name was checked (a specification, a registry, or the
// source file of the client that selects it).
struct KnownAid {
    std::string_view aid_hex;
    std::string_view name;
    AppletKind kind;
    std::string_view source;
};

// The table, for tests and for listing.
std::span<const KnownAid> known_aids();

// The entry with the longest AID that is a prefix of `aid` (a SELECT by DF name
// may give the full AID, with version bytes the table does not list). When none
// is, a SELECT by partial DF name (at least a whole 5-byte RID, e.g. "D276000124"
// for OpenPGP) matches the shortest entry it is a prefix of, provided every such
// entry is of the same AppletKind (otherwise the name would be a guess).
// nullptr when nothing matches.
const KnownAid* find_aid(ByteView aid);

}  // namespace pcscspy
