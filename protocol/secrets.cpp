#include "protocol/secrets.hpp"

#include <algorithm>

namespace pcscspy {

namespace {

using K = AppletKind;
using S = SecretClass;

constexpr SecretRule kSecretRules[] = {
    // ISO 7816-4 reference data commands: PINs, PUKs, passwords in any applet
    // (PIV, OpenPGP and EMV use these INS bytes too).
    {K::Unknown, S::Any, 0x20, 0, 0, "reference data (VERIFY)"},
    {K::Unknown, S::Any, 0x21, 0, 0, "reference data (VERIFY)"},
    {K::Unknown, S::Any, 0x24, 0, 0, "reference data (CHANGE REFERENCE DATA)"},
    {K::Unknown, S::Any, 0x25, 0, 0, "reference data (CHANGE REFERENCE DATA)"},
    {K::Unknown, S::Any, 0x2C, 0, 0, "resetting code / new reference data (RESET RETRY COUNTER)"},
    {K::Unknown, S::Any, 0x2D, 0, 0, "resetting code / new reference data (RESET RETRY COUNTER)"},
    // GlobalPlatform PUT KEY carries (wrapped) keys whatever is selected.
    {K::Unknown, S::GpProprietary, 0xD8, 0, 0, "keys (GlobalPlatform PUT KEY)"},
    // PIV, YubiKey extensions.
    {K::Piv, S::Any, 0xFE, 0, 0, "private key (YubiKey PIV IMPORT KEY)"},
    {K::Piv, S::Any, 0xFF, 0, 0, "management key (YubiKey PIV SET MANAGEMENT KEY)"},
    // OpenPGP card: key import and the secret data objects.
    {K::OpenPgp, S::Any, 0xDB, 0x3FFF, 0xFFFF, "private key (OpenPGP key import)"},
    {K::OpenPgp, S::Any, 0xDA, 0x00D1, 0xFFFF, "secure messaging key (OpenPGP PUT DATA D1)"},
    {K::OpenPgp, S::Any, 0xDA, 0x00D2, 0xFFFF, "secure messaging key (OpenPGP PUT DATA D2)"},
    {K::OpenPgp, S::Any, 0xDA, 0x00D3, 0xFFFF, "resetting code (OpenPGP PUT DATA D3)"},
    {K::OpenPgp, S::Any, 0xDA, 0x00D5, 0xFFFF, "AES key (OpenPGP PUT DATA D5)"},
    // YubiKey OATH: credential secrets and the access key.
    {K::YubicoOath, S::Any, 0x01, 0, 0, "OATH credential secret (PUT)"},
    {K::YubicoOath, S::Any, 0x03, 0, 0, "OATH access key (SET CODE)"},
    // YubiKey OTP slot configurations hold AES/HMAC keys and access codes.
    {K::YubicoOtp, S::Any, 0x01, 0, 0, "OTP slot configuration (keys, access code)"},
};

bool class_matches(SecretClass rule, uint8_t cla) {
    if (rule == SecretClass::Any) return true;
    const ClaInfo c = decode_cla(cla);
    return c.kind == ClaKind::Proprietary && c.iso_convention;
}

}  // namespace

std::span<const SecretRule> secret_rules() { return kSecretRules; }

const SecretRule* find_secret_rule(ByteView command, AppletKind applet) {
    if (command.size() < 2) return nullptr;
    const uint8_t cla = command[0], ins = command[1];
    const bool has_p1p2 = command.size() >= 4;
    const uint16_t p1p2 = has_p1p2 ? static_cast<uint16_t>(command[2] << 8 | command[3]) : 0;
    for (const SecretRule& r : kSecretRules) {
        if (r.ins != ins) continue;
        if (r.applet != AppletKind::Unknown && r.applet != applet) continue;
        if (!class_matches(r.cla, cla)) continue;
        if (r.p1p2_mask && (!has_p1p2 || (p1p2 & r.p1p2_mask) != r.p1p2)) continue;
        return &r;
    }
    return nullptr;
}

bool carries_secret(ByteView command, AppletKind applet) { return find_secret_rule(command, applet) != nullptr; }

SecretRange secret_range(ByteView command, AppletKind applet) {
    if (!find_secret_rule(command, applet)) return {};
    const CommandParse p = parse_command_apdu(command);
    if (p.ok()) return SecretRange{p.apdu->data_offset, p.apdu->nc};
    constexpr size_t kAfterHeaderAndLc = 5;
    if (command.size() <= kAfterHeaderAndLc) return {};
    return SecretRange{kAfterHeaderAndLc, command.size() - kAfterHeaderAndLc};
}

SecretRange redact_in_place(std::span<uint8_t> command, AppletKind applet) {
    const SecretRange r = secret_range(command, applet);
    std::fill_n(command.begin() + static_cast<std::ptrdiff_t>(r.offset), r.length, kMaskByte);
    return r;
}

Bytes redact_command(ByteView command, AppletKind applet) {
    Bytes copy(command.begin(), command.end());
    redact_in_place(copy, applet);
    return copy;
}

}  // namespace pcscspy
