#include "protocol/apdu_params.hpp"
#include "protocol/hex.hpp"

#include <cstdio>

#include "protocol/ber_tlv.hpp"
#include "protocol/tlv_tags.hpp"

namespace pcscspy {

namespace {

// ---------------------------------------------------------------- field tables

constexpr Named kSelectP1[] = {
    {0x00, "by file id", "MF, DF or EF"},
    {0x01, "child DF"},
    {0x02, "EF under the current DF"},
    {0x03, "parent DF"},
    {0x04, "by DF name"},
    {0x08, "by path from the MF"},
    {0x09, "by path from the current DF"},
};
constexpr Named kSelectOccurrence[] = {
    {0x00, "first or only occurrence"},
    {0x01, "last occurrence"},
    {0x02, "next occurrence"},
    {0x03, "previous occurrence"},
};
constexpr Named kSelectResponse[] = {
    {0x00, "return FCI"},
    {0x04, "return FCP"},
    {0x08, "return FMD"},
    {0x0C, "no response data"},
};

// READ RECORD(S) P2 b3-b1 (ISO 7816-4 §11.4.3); the write commands use 0-4.
constexpr Named kRecordModes[] = {
    {0, "first record with id P1"},
    {1, "last record with id P1"},
    {2, "next record with id P1"},
    {3, "previous record with id P1"},
    {4, "record number P1"},
    {5, "records from number P1 to the last"},
    {6, "records from the last to number P1"},
    {7, "reserved mode 7"},
};

constexpr Named kVerifyP1[] = {
    {0x00, ""},
    {0xFF, "reset the verification status"},
};
constexpr Named kChangeReferenceP1[] = {
    {0x00, "current and new reference data"},
    {0x01, "new reference data only"},
};
constexpr Named kResetRetryP1[] = {
    {0x00, "resetting code and new reference data"},
    {0x01, "resetting code only"},
    {0x02, "new reference data only"},
    {0x03, "no data"},
};

// NIST SP 800-73-4 part 1 table 4 (key references), with the YubiKey ones.
constexpr Named kPivKeyReferences[] = {
    {0x00, "global PIN"},
    {0x80, "PIV application PIN"},
    {0x81, "PIN unblocking key (PUK)"},
    {0x82, "retired key management key 1"},
    {0x83, "retired key management key 2"},
    {0x84, "retired key management key 3"},
    {0x85, "retired key management key 4"},
    {0x86, "retired key management key 5"},
    {0x87, "retired key management key 6"},
    {0x88, "retired key management key 7"},
    {0x89, "retired key management key 8"},
    {0x8A, "retired key management key 9"},
    {0x8B, "retired key management key 10"},
    {0x8C, "retired key management key 11"},
    {0x8D, "retired key management key 12"},
    {0x8E, "retired key management key 13"},
    {0x8F, "retired key management key 14"},
    {0x90, "retired key management key 15"},
    {0x91, "retired key management key 16"},
    {0x92, "retired key management key 17"},
    {0x93, "retired key management key 18"},
    {0x94, "retired key management key 19"},
    {0x95, "retired key management key 20"},
    {0x96, "primary finger OCC"},
    {0x97, "secondary finger OCC"},
    {0x98, "pairing code"},
    {0x9A, "PIV authentication key"},
    {0x9B, "card management key"},
    {0x9C, "digital signature key"},
    {0x9D, "key management key"},
    {0x9E, "card authentication key"},
    {0xF9, "attestation key (Yubico)"},
};

// SP 800-78-4 table 6-2, with the YubiKey additions.
constexpr Named kPivAlgorithms[] = {
    {0x00, "3DES (default)"},
    {0x03, "3DES"},
    {0x05, "RSA 3072"},
    {0x06, "RSA 1024"},
    {0x07, "RSA 2048"},
    {0x08, "AES-128"},
    {0x0A, "AES-192"},
    {0x0C, "AES-256"},
    {0x11, "ECC P-256"},
    {0x14, "ECC P-384"},
    {0x16, "RSA 4096"},
    {0x27, "cipher suite 2 (SM, P-256)"},
    {0x2E, "cipher suite 7 (SM, P-384)"},
    {0xE0, "Ed25519"},
    {0xE1, "X25519"},
};

// SP 800-73-4 part 1 table 3: the containers' BER-TLV tags as GET/PUT DATA name
// them in the 5C tag list.
constexpr Named kPivObjects[] = {
    {0x7E, "discovery object"},
    {0x7F61, "biometric information templates group template"},
    {0x5FC101, "X.509 certificate for card authentication (9E)"},
    {0x5FC102, "card holder unique identifier (CHUID)"},
    {0x5FC103, "cardholder fingerprints"},
    {0x5FC105, "X.509 certificate for PIV authentication (9A)"},
    {0x5FC106, "security object"},
    {0x5FC107, "card capability container (CCC)"},
    {0x5FC108, "cardholder facial image"},
    {0x5FC109, "printed information"},
    {0x5FC10A, "X.509 certificate for digital signature (9C)"},
    {0x5FC10B, "X.509 certificate for key management (9D)"},
    {0x5FC10C, "key history object"},
    {0x5FC10D, "retired X.509 certificate for key management 1"},
    {0x5FC10E, "retired X.509 certificate for key management 2"},
    {0x5FC10F, "retired X.509 certificate for key management 3"},
    {0x5FC110, "retired X.509 certificate for key management 4"},
    {0x5FC111, "retired X.509 certificate for key management 5"},
    {0x5FC112, "retired X.509 certificate for key management 6"},
    {0x5FC113, "retired X.509 certificate for key management 7"},
    {0x5FC114, "retired X.509 certificate for key management 8"},
    {0x5FC115, "retired X.509 certificate for key management 9"},
    {0x5FC116, "retired X.509 certificate for key management 10"},
    {0x5FC117, "retired X.509 certificate for key management 11"},
    {0x5FC118, "retired X.509 certificate for key management 12"},
    {0x5FC119, "retired X.509 certificate for key management 13"},
    {0x5FC11A, "retired X.509 certificate for key management 14"},
    {0x5FC11B, "retired X.509 certificate for key management 15"},
    {0x5FC11C, "retired X.509 certificate for key management 16"},
    {0x5FC11D, "retired X.509 certificate for key management 17"},
    {0x5FC11E, "retired X.509 certificate for key management 18"},
    {0x5FC11F, "retired X.509 certificate for key management 19"},
    {0x5FC120, "retired X.509 certificate for key management 20"},
    {0x5FC121, "cardholder iris images"},
    {0x5FC122, "secure messaging certificate signer"},
    {0x5FC123, "pairing code reference data container"},
    {0x5FFF00, "admin data (Yubico)"},
    {0x5FFF01, "attestation certificate (Yubico)"},
};

// OpenPGP card 3.4 §7.2.2: PW1 for signing (81) or the other operations (82), PW3 (83).
constexpr Named kOpenPgpPasswords[] = {
    {0x81, "PW1 (signature)"},
    {0x82, "PW1 (decryption, authentication)"},
    {0x83, "PW3 (admin)"},
};

// EMV Book 3 §6.5.12: VERIFY P2 is the PIN format.
constexpr Named kEmvPinFormats[] = {
    {0x80, "plaintext PIN"},
    {0x88, "enciphered PIN"},
};

constexpr Named kMseOperations[] = {
    {0x1, "SET"},
    {0x2, "STORE"},
    {0x3, "RESTORE"},
    {0x4, "ERASE"},
};
constexpr Named kMseUsage[] = {
    {0x10, "SM in command"},
    {0x20, "SM in response"},
    {0x40, "for computation, decipherment, internal authentication, key agreement"},
    {0x80, "for verification, encipherment, external authentication"},
};
constexpr Named kControlReferenceTemplates[] = {
    {0xA4, "authentication template (AT)"},
    {0xA6, "key agreement template (KAT)"},
    {0xAA, "hash-code template (HT)"},
    {0xB4, "cryptographic checksum template (CCT)"},
    {0xB6, "digital signature template (DST)"},
    {0xB8, "confidentiality template (CT)"},
};

// ISO 7816-8 §5: the P1P2 pairs of PERFORM SECURITY OPERATION.
constexpr Named kPsoOperations[] = {
    {0x00A2, "verify cryptographic checksum"},
    {0x00A8, "verify digital signature"},
    {0x00AE, "verify certificate"},
    {0x00BE, "verify certificate (certificate body)"},
    {0x8086, "decipher"},
    {0x8082, "decipher (cryptogram)"},
    {0x8084, "decipher (cryptogram)"},
    {0x8680, "encipher"},
    {0x8280, "encipher (cryptogram)"},
    {0x8480, "encipher (cryptogram)"},
    {0x8E80, "compute cryptographic checksum"},
    {0x9080, "hash"},
    {0x90A0, "hash (input template)"},
    {0x9E9A, "compute digital signature"},
    {0x9EAC, "compute digital signature (input template)"},
    {0x9EBC, "compute digital signature (input template)"},
};

constexpr Named kManageChannelP1[] = {
    {0x00, "open"},
    {0x80, "close"},
};

constexpr Named kGenerateP1[] = {
    {0x00, ""},
    {0x80, "generate a key pair"},
    {0x81, "read the public key"},
};
// OpenPGP GENERATE / key import: the CRT in the data says which key.
constexpr Named kOpenPgpKeyCrts[] = {
    {0xA4, "authentication key"},
    {0xB6, "signature key"},
    {0xB8, "decryption key"},
};

// GlobalPlatform Card Specification 2.3 §11.
constexpr Named kGpSecurityLevel[] = {
    {0x00, "no secure messaging"},
    {0x01, "C-MAC"},
    {0x02, "C-DECRYPTION"},
    {0x10, "R-MAC"},
    {0x20, "R-ENCRYPTION"},
};
constexpr Named kGpInstallP1[] = {
    {0x02, "for load"},
    {0x04, "for install"},
    {0x08, "for make selectable"},
    {0x10, "for extradition"},
    {0x20, "for personalization"},
    {0x40, "for registry update"},
    {0x80, "more INSTALL commands follow"},
};
constexpr Named kGpGetStatusP1[] = {
    {0x80, "issuer security domain"},
    {0x40, "applications and security domains"},
    {0x20, "executable load files"},
    {0x10, "executable load files and their modules"},
};
constexpr Named kGpSetStatusP1[] = {
    {0x80, "issuer security domain"},
    {0x40, "application or security domain"},
    {0x60, "security domain and its associated applications"},
};
constexpr Named kGpStoreDataEncryption[] = {
    {0x00, "no encryption information"},
    {0x20, "application-dependent encryption"},
    {0x60, "encrypted data"},
};
constexpr Named kGpStoreDataStructure[] = {
    {0x00, "no structure information"},
    {0x08, "DGI format"},
    {0x10, "BER-TLV format"},
};

// EMV Book 3 §6.5.5: GENERATE AC reference control parameter.
constexpr Named kEmvCryptogramTypes[] = {
    {0x00, "AAC (decline)"},
    {0x40, "TC (approve offline)"},
    {0x80, "ARQC (go online)"},
    {0xC0, "reserved cryptogram type"},
};
constexpr Named kEmvPinChange[] = {
    {0x00, "PIN unblock"},
    {0x01, "PIN change with the current PIN"},
    {0x02, "PIN change without the current PIN"},
};

// CTAP 2.1 §6: the command byte that starts an NFCCTAP_MSG.
constexpr Named kCtapCommands[] = {
    {0x01, "authenticatorMakeCredential"},
    {0x02, "authenticatorGetAssertion"},
    {0x04, "authenticatorGetInfo"},
    {0x06, "authenticatorClientPIN"},
    {0x07, "authenticatorReset"},
    {0x08, "authenticatorGetNextAssertion"},
    {0x09, "authenticatorBioEnrollment"},
    {0x0A, "authenticatorCredentialManagement"},
    {0x0B, "authenticatorSelection"},
    {0x0C, "authenticatorLargeBlobs"},
    {0x0D, "authenticatorConfig"},
    {0x40, "authenticatorBioEnrollment (preview)"},
    {0x41, "authenticatorCredentialManagement (preview)"},
};
// FIDO U2F raw message format §5.1: AUTHENTICATE control byte.
constexpr Named kU2fAuthenticateP1[] = {
    {0x03, "enforce user presence and sign"},
    {0x07, "check only"},
    {0x08, "don't enforce user presence and sign"},
};
// YubiKey OTP slot commands (P1 of the OTP application's INS 01).
constexpr Named kYubicoOtpSlotCommands[] = {
    {0x01, "configure slot 1"},
    {0x03, "configure slot 2"},
    {0x04, "update slot 1"},
    {0x05, "update slot 2"},
    {0x06, "swap slots"},
    {0x08, "NDEF for slot 1"},
    {0x09, "NDEF for slot 2"},
    {0x10, "read serial number"},
    {0x20, "Yubico OTP challenge-response, slot 1"},
    {0x28, "Yubico OTP challenge-response, slot 2"},
    {0x30, "HMAC-SHA1 challenge-response, slot 1"},
    {0x38, "HMAC-SHA1 challenge-response, slot 2"},
};

// ------------------------------------------------------------------- helpers



// The entry's name, or `label` and the value in hex.
std::string named(NameTable table, uint64_t value, const char* label, int digits = 2) {
    if (const Named* n = find_value(table, value)) return std::string(n->name);
    return std::string(label) + " " + printf_string("%0*llX", digits, static_cast<unsigned long long>(value));
}

void add(std::vector<std::string>& parts, std::string s) {
    if (!s.empty()) parts.push_back(std::move(s));
}

bool printable(ByteView v) {
    if (v.empty()) return false;
    for (uint8_t c : v)
        if (c < 0x20 || c > 0x7E) return false;
    return true;
}

// The first data object with `tag` among the top-level objects of `data` (or of
// the first template when `inside` is set), as a view; empty when absent.
ByteView find_tlv(ByteView data, uint32_t tag, uint32_t inside = 0) {
    const TlvParse p = parse_ber_tlv(data, 4);
    if (!p.ok()) return {};
    for (const TlvNode& n : p.nodes) {
        const bool placed = inside ? (n.parent >= 0 && p.nodes[static_cast<size_t>(n.parent)].tag == inside)
                                   : n.parent < 0;
        if (placed && n.tag == tag) return data.subspan(n.value_offset, n.length);
    }
    return {};
}

uint64_t big_endian(ByteView v) {
    uint64_t x = 0;
    for (size_t i = 0; i < v.size() && i < 8; ++i) x = x << 8 | v[i];
    return x;
}

struct In {
    const CommandApdu& a;
    ByteView data;
    AppletKind applet;  // selected on the channel
    AppletKind table;   // the command set that named the INS
    // The context for data object names: the applet, else the command set.
    AppletKind objects() const { return applet != AppletKind::Unknown ? applet : table; }
};
using Parts = std::vector<std::string>;
using Describer = void (*)(const In&, Parts&);

std::string ne_text(const CommandApdu& a) {
    if (!a.ne) return {};
    return printf_string("Ne=%u", *a.ne);
}

std::string file_id_text(ByteView fid) {
    if (fid.size() != 2) return to_hex(fid);
    const std::string hex = to_hex(fid);
    return hex == "3F00" ? hex + " (MF)" : hex;
}

std::string path_text(ByteView path) {
    std::string s;
    for (size_t i = 0; i + 1 < path.size(); i += 2) {
        if (!s.empty()) s += '/';
        s += to_hex(path.subspan(i, 2));
    }
    if (path.size() % 2) s += (s.empty() ? "" : "/") + to_hex(path.last(1));
    return s;
}

std::string aid_text(ByteView aid) {
    std::string s = to_hex(aid);
    if (printable(aid)) s += " \"" + std::string(aid.begin(), aid.end()) + "\"";
    if (const KnownAid* k = find_aid(aid)) s += " (" + std::string(k->name) + ")";
    return s;
}

// ---------------------------------------------------------------- describers

void select(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    std::string target = named(kSelectP1, a.p1, "P1");
    switch (a.p1) {
        case 0x00:
            target = in.data.empty() ? "MF" : "by file id " + file_id_text(in.data);
            break;
        case 0x01:
        case 0x02:
            if (!in.data.empty()) target += " " + file_id_text(in.data);
            break;
        case 0x04:
            target += in.data.empty() ? " (none: default application)" : " " + aid_text(in.data);
            break;
        case 0x08:
        case 0x09:
            target = "by path " + path_text(in.data) + (a.p1 == 0x08 ? " from the MF" : " from the current DF");
            break;
        default:
            break;
    }
    add(parts, target);
    add(parts, std::string(find_value(kSelectOccurrence, a.p2 & 0x03)->name));
    add(parts, std::string(find_value(kSelectResponse, a.p2 & 0x0C)->name));
    if (a.p2 & 0xF0) add(parts, "P2 bits " + hex2(a.p2 & 0xF0) + " set (proprietary)");
}

// READ/UPDATE/WRITE/ERASE/SEARCH BINARY, even INS: P1 b8 selects SFI+offset.
void binary(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    if (a.p1 & 0x80) {
        add(parts, printf_string("SFI %u, offset %u", a.p1 & 0x1F, a.p2));
        if (a.p1 & 0x60) add(parts, "P1 bits 7-6 set (reserved)");
    } else {
        add(parts, printf_string("offset %u", a.p1p2() & 0x7FFF));
    }
    add(parts, ne_text(a));
}

// Odd INS: P1P2 is a file id (0000 current EF, 00XX up to 1F a short EF id);
// the offset is data object 54.
void binary_odd(const In& in, Parts& parts) {
    const uint16_t fid = in.a.p1p2();
    if (fid == 0) add(parts, "current EF");
    else if (fid <= 0x1F) add(parts, printf_string("SFI %u", fid));
    else add(parts, "file id " + hex4(fid));
    if (ByteView offset = find_tlv(in.data, 0x54); !offset.empty())
        add(parts, printf_string("offset %llu", static_cast<unsigned long long>(big_endian(offset))));
    add(parts, ne_text(in.a));
}

void records(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    const unsigned sfi = a.p2 >> 3, mode = a.p2 & 7u;
    std::string what;
    if (mode == 4) what = a.p1 == 0 ? "current record" : printf_string("record %u", a.p1);
    else what = std::string(find_value(kRecordModes, mode)->name) + printf_string(" (P1=%02X)", a.p1);
    add(parts, what);
    if (sfi == 0) add(parts, "current EF");
    else if (sfi == 0x1F) add(parts, "SFI 31 (reserved)");
    else add(parts, printf_string("SFI %u", sfi));
    add(parts, ne_text(a));
}

// APPEND RECORD: P1 is 00, P2 names the EF only.
void append_record(const In& in, Parts& parts) {
    const unsigned sfi = in.a.p2 >> 3;
    add(parts, sfi == 0 ? std::string("current EF") : printf_string("SFI %u", sfi));
}

// The P2 reference of VERIFY and its relatives, named for the applet.
std::string reference_text(const In& in) {
    const uint8_t p2 = in.a.p2;
    NameTable names;
    if (in.applet == AppletKind::Piv) names = kPivKeyReferences;
    else if (in.applet == AppletKind::OpenPgp) names = kOpenPgpPasswords;
    else if (in.objects() == AppletKind::Emv) names = kEmvPinFormats;
    if (const Named* n = find_value(names, p2)) return std::string(n->name) + " (" + hex2(p2) + ")";
    if (p2 == 0) return "reference known by the card (P2=00)";
    return printf_string("%s reference %u (P2=%02X)", (p2 & 0x80) ? "specific" : "global", p2 & 0x1Fu, p2);
}

void verify(const In& in, Parts& parts) {
    add(parts, reference_text(in));
    add(parts, named(kVerifyP1, in.a.p1, "P1"));
    if (in.a.nc == 0 && in.a.p1 == 0) add(parts, "no data: retry counter query");
}

void change_reference(const In& in, Parts& parts) {
    add(parts, reference_text(in));
    add(parts, named(kChangeReferenceP1, in.a.p1, "P1"));
}

void reset_retry(const In& in, Parts& parts) {
    add(parts, reference_text(in));
    add(parts, named(kResetRetryP1, in.a.p1, "P1"));
}

void enable_disable(const In& in, Parts& parts) { add(parts, reference_text(in)); }

// GET DATA / PUT DATA, even INS: P1P2 is a tag (P1=00: a one-byte tag in P2).
void data_object(const In& in, Parts& parts) {
    const uint32_t tag = in.a.p1 == 0 ? in.a.p2 : in.a.p1p2();
    std::string s = "tag " + tag_hex(tag);
    if (std::string_view name = tlv_tag_name(tag, kTopLevelTag, in.objects()); !name.empty())
        s += " (" + std::string(name) + ")";
    add(parts, s);
    add(parts, ne_text(in.a));
}

// GET DATA / PUT DATA, odd INS: P1P2 is a file (3FFF: the current DF); the data
// names the object (5C tag list in PIV, 4D extended header list in OpenPGP).
void data_object_odd(const In& in, Parts& parts) {
    const uint16_t fid = in.a.p1p2();
    if (ByteView list = find_tlv(in.data, 0x5C); !list.empty()) {
        const uint64_t tag = big_endian(list);
        std::string s = "object " + to_hex(list);
        if (const Named* n = find_value(kPivObjects, tag)) s += " (" + std::string(n->name) + ")";
        add(parts, s);
    } else if (!in.data.empty() && in.data[0] == 0x4D) {
        const ByteView header = find_tlv(in.data, 0x4D);
        std::string s = "key import";
        if (!header.empty())
            if (const Named* n = find_value(kOpenPgpKeyCrts, header[0])) s += ": " + std::string(n->name);
        add(parts, s);
    }
    add(parts, fid == 0x3FFF ? "current DF" : "file id " + hex4(fid));
    add(parts, ne_text(in.a));
}

void manage_security_environment(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    const uint8_t op = a.p1 & 0x0F;
    std::string s = named(kMseOperations, op, "operation");
    if (a.p1 & 0xF0) s += " " + flags_to_string(kMseUsage, a.p1 & 0xF0, ", ");
    add(parts, s);
    if (op == 0x1) add(parts, named(kControlReferenceTemplates, a.p2, "template"));
    else add(parts, printf_string("SE number %u", a.p2));
}

void perform_security_operation(const In& in, Parts& parts) {
    const uint16_t p1p2 = in.a.p1p2();
    if (const Named* n = find_value(kPsoOperations, p1p2)) add(parts, std::string(n->name));
    else add(parts, "output tag " + hex2(in.a.p1) + ", input tag " + hex2(in.a.p2));
    add(parts, ne_text(in.a));
}

// INTERNAL/EXTERNAL/GENERAL AUTHENTICATE, GET CHALLENGE: P1 algorithm, P2 key.
void authenticate(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    if (in.applet == AppletKind::Piv) {
        add(parts, named(kPivKeyReferences, a.p2, "key") + " (" + hex2(a.p2) + "), " +
                       named(kPivAlgorithms, a.p1, "algorithm"));
        return;
    }
    if (in.applet == AppletKind::OpenPgp && a.ins == 0x88) {
        add(parts, "authentication key");
        return;
    }
    add(parts, a.p2 == 0 ? "" : printf_string("%s key %u", (a.p2 & 0x80) ? "specific" : "global", a.p2 & 0x1Fu));
    add(parts, a.p1 == 0 ? "" : "algorithm " + hex2(a.p1));
    add(parts, ne_text(a));
}

void get_challenge(const In& in, Parts& parts) {
    if (in.a.ne) add(parts, printf_string("%u-byte challenge", *in.a.ne));
    if (in.a.p1) add(parts, "algorithm " + hex2(in.a.p1));
}

void generate_key_pair(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    if (in.applet == AppletKind::Piv) {
        std::string s = named(kPivKeyReferences, a.p2, "key") + " (" + hex2(a.p2) + ")";
        if (ByteView alg = find_tlv(in.data, 0x80, 0xAC); alg.size() == 1)
            s += ", " + named(kPivAlgorithms, alg[0], "algorithm");
        add(parts, s);
        return;
    }
    add(parts, named(kGenerateP1, a.p1, "P1"));
    if (!in.data.empty())
        if (const Named* n = find_value(kOpenPgpKeyCrts, in.data[0])) add(parts, std::string(n->name));
    if (in.applet != AppletKind::OpenPgp && a.p2) add(parts, "key reference " + hex2(a.p2));
}

void manage_channel(const In& in, Parts& parts) {
    const CommandApdu& a = in.a;
    add(parts, named(kManageChannelP1, a.p1, "P1"));
    if (a.p1 == 0x00) add(parts, a.p2 == 0 ? "channel assigned by the card" : printf_string("channel %u", a.p2));
    else add(parts, printf_string("channel %u", a.p2));
}

void get_response(const In& in, Parts& parts) {
    if (in.a.ne) add(parts, printf_string("up to %u bytes", *in.a.ne));
}

// ACTIVATE/DEACTIVATE FILE, TERMINATE DF/EF, DELETE FILE: P1P2 0000 is the
// current file, else P1 as in SELECT.
void file_lifecycle(const In& in, Parts& parts) {
    if (in.a.p1p2() == 0 && in.data.empty()) {
        add(parts, "current file");
        return;
    }
    add(parts, named(kSelectP1, in.a.p1, "P1") + (in.data.empty() ? "" : " " + to_hex(in.data)));
}

// GlobalPlatform.
void gp_initialize_update(const In& in, Parts& parts) {
    add(parts, in.a.p1 == 0 ? "first available key version" : printf_string("key version %u", in.a.p1));
    if (in.a.p2) add(parts, printf_string("key id %u", in.a.p2));
}

void gp_external_authenticate(const In& in, Parts& parts) {
    add(parts, "security level " + flags_to_string(kGpSecurityLevel, in.a.p1, "+"));
}

void gp_install(const In& in, Parts& parts) { add(parts, flags_to_string(kGpInstallP1, in.a.p1, " + ")); }

void gp_load(const In& in, Parts& parts) {
    add(parts, printf_string("block %u", in.a.p2));
    add(parts, (in.a.p1 & 0x80) ? "last block" : "more blocks follow");
}

void gp_delete(const In& in, Parts& parts) {
    add(parts, (in.a.p2 & 0x80) ? "object and related objects" : "object");
    if (ByteView aid = find_tlv(in.data, 0x4F); !aid.empty()) add(parts, "AID " + aid_text(aid));
    if (in.a.p1 & 0x80) add(parts, "more DELETE commands follow");
}

void gp_get_status(const In& in, Parts& parts) {
    add(parts, named(kGpGetStatusP1, in.a.p1, "P1"));
    add(parts, (in.a.p2 & 0x01) ? "next occurrence" : "first occurrence");
    add(parts, (in.a.p2 & 0x02) ? "TLV format" : "deprecated format");
}

void gp_set_status(const In& in, Parts& parts) {
    add(parts, named(kGpSetStatusP1, in.a.p1, "P1"));
    add(parts, "life cycle state " + hex2(in.a.p2));
}

void gp_store_data(const In& in, Parts& parts) {
    add(parts, printf_string("block %u", in.a.p2));
    add(parts, (in.a.p1 & 0x80) ? "last block" : "more blocks follow");
    add(parts, named(kGpStoreDataEncryption, in.a.p1 & 0x60, "encryption bits"));
    add(parts, named(kGpStoreDataStructure, in.a.p1 & 0x18, "structure"));
}

void gp_put_key(const In& in, Parts& parts) {
    const uint8_t version = in.a.p1 & 0x7F, id = in.a.p2 & 0x7F;
    add(parts, version == 0 ? "new key version" : printf_string("replace key version %u", version));
    add(parts, printf_string("key id %u", id));
    if (in.a.p2 & 0x80) add(parts, "multiple keys");
    if (in.a.p1 & 0x80) add(parts, "more PUT KEY commands follow");
}

// EMV.
void emv_generate_ac(const In& in, Parts& parts) {
    add(parts, std::string(find_value(kEmvCryptogramTypes, in.a.p1 & 0xC0)->name));
    if (in.a.p1 & 0x10) add(parts, "CDA signature requested");
}

void emv_get_processing_options(const In& in, Parts& parts) {
    if (ByteView pdol = find_tlv(in.data, 0x83); !pdol.empty())
        add(parts, printf_string("%zu bytes of PDOL data", pdol.size()));
}

void emv_pin_change(const In& in, Parts& parts) { add(parts, named(kEmvPinChange, in.a.p2, "P2")); }

// FIDO.
void ctap_msg(const In& in, Parts& parts) {
    if (!in.data.empty()) add(parts, named(kCtapCommands, in.data[0], "CTAP command"));
    if (in.a.p1 & 0x80) add(parts, "client supports NFCCTAP_GETRESPONSE");
}

void u2f_authenticate(const In& in, Parts& parts) { add(parts, named(kU2fAuthenticateP1, in.a.p1, "control")); }

// Yubico.
void yubico_otp_slot(const In& in, Parts& parts) { add(parts, named(kYubicoOtpSlotCommands, in.a.p1, "slot command")); }

void yubico_piv_slot_p2(const In& in, Parts& parts) {
    add(parts, named(kPivKeyReferences, in.a.p2, "slot") + " (" + hex2(in.a.p2) + ")");
}

void yubico_piv_import(const In& in, Parts& parts) {
    add(parts, named(kPivKeyReferences, in.a.p2, "slot") + " (" + hex2(in.a.p2) + ")");
    add(parts, named(kPivAlgorithms, in.a.p1, "algorithm"));
}

void yubico_piv_attest(const In& in, Parts& parts) {
    add(parts, named(kPivKeyReferences, in.a.p1, "slot") + " (" + hex2(in.a.p1) + ")");
}

void yubico_piv_pin_retries(const In& in, Parts& parts) {
    add(parts, printf_string("PIN tries %u, PUK tries %u", in.a.p1, in.a.p2));
}

void yubico_piv_move_key(const In& in, Parts& parts) {
    add(parts,
        "from " + named(kPivKeyReferences, in.a.p2, "slot") + " to " + named(kPivKeyReferences, in.a.p1, "slot"));
}

// -------------------------------------------------------------- dispatch table

struct DescriberRow {
    AppletKind context;  // the command set that named the INS; Unknown: inter-industry
    uint8_t ins;
    Describer describe;
};

constexpr DescriberRow kDescribers[] = {
    // Inter-industry: also used by every command set that gives the INS the same name.
    {AppletKind::Unknown, 0xA4, select},
    {AppletKind::Unknown, 0xB0, binary},
    {AppletKind::Unknown, 0xD6, binary},
    {AppletKind::Unknown, 0xD0, binary},
    {AppletKind::Unknown, 0x0E, binary},
    {AppletKind::Unknown, 0xA0, binary},
    {AppletKind::Unknown, 0xB1, binary_odd},
    {AppletKind::Unknown, 0xD7, binary_odd},
    {AppletKind::Unknown, 0xD1, binary_odd},
    {AppletKind::Unknown, 0x0F, binary_odd},
    {AppletKind::Unknown, 0xA1, binary_odd},
    {AppletKind::Unknown, 0xB2, records},
    {AppletKind::Unknown, 0xB3, records},
    {AppletKind::Unknown, 0xDC, records},
    {AppletKind::Unknown, 0xDD, records},
    {AppletKind::Unknown, 0xD2, records},
    {AppletKind::Unknown, 0xE2, append_record},
    {AppletKind::Unknown, 0xA2, records},
    {AppletKind::Unknown, 0x0C, records},
    {AppletKind::Unknown, 0x20, verify},
    {AppletKind::Unknown, 0x21, verify},
    {AppletKind::Unknown, 0x24, change_reference},
    {AppletKind::Unknown, 0x25, change_reference},
    {AppletKind::Unknown, 0x2C, reset_retry},
    {AppletKind::Unknown, 0x2D, reset_retry},
    {AppletKind::Unknown, 0x26, enable_disable},
    {AppletKind::Unknown, 0x28, enable_disable},
    {AppletKind::Unknown, 0xCA, data_object},
    {AppletKind::Unknown, 0xDA, data_object},
    {AppletKind::Unknown, 0xCB, data_object_odd},
    {AppletKind::Unknown, 0xDB, data_object_odd},
    {AppletKind::Unknown, 0x22, manage_security_environment},
    {AppletKind::Unknown, 0x2A, perform_security_operation},
    {AppletKind::Unknown, 0x82, authenticate},
    {AppletKind::Unknown, 0x86, authenticate},
    {AppletKind::Unknown, 0x87, authenticate},
    {AppletKind::Unknown, 0x88, authenticate},
    {AppletKind::Unknown, 0x84, get_challenge},
    {AppletKind::Unknown, 0x46, generate_key_pair},
    {AppletKind::Unknown, 0x47, generate_key_pair},
    {AppletKind::Unknown, 0x70, manage_channel},
    {AppletKind::Unknown, 0xC0, get_response},
    {AppletKind::Unknown, 0x44, file_lifecycle},
    {AppletKind::Unknown, 0x04, file_lifecycle},
    {AppletKind::Unknown, 0xE6, file_lifecycle},
    {AppletKind::Unknown, 0xE8, file_lifecycle},
    {AppletKind::Unknown, 0xE4, file_lifecycle},
    // GlobalPlatform.
    {AppletKind::GlobalPlatform, 0x50, gp_initialize_update},
    {AppletKind::GlobalPlatform, 0x82, gp_external_authenticate},
    {AppletKind::GlobalPlatform, 0xE6, gp_install},
    {AppletKind::GlobalPlatform, 0xE8, gp_load},
    {AppletKind::GlobalPlatform, 0xE4, gp_delete},
    {AppletKind::GlobalPlatform, 0xF2, gp_get_status},
    {AppletKind::GlobalPlatform, 0xF0, gp_set_status},
    {AppletKind::GlobalPlatform, 0xE2, gp_store_data},
    {AppletKind::GlobalPlatform, 0xD8, gp_put_key},
    // EMV.
    {AppletKind::Emv, 0xAE, emv_generate_ac},
    {AppletKind::Emv, 0xA8, emv_get_processing_options},
    {AppletKind::Emv, 0x24, emv_pin_change},
    {AppletKind::Emv, 0xB2, records},
    {AppletKind::Emv, 0x2A, perform_security_operation},
    // FIDO.
    {AppletKind::Fido, 0x10, ctap_msg},
    {AppletKind::Fido, 0x02, u2f_authenticate},
    // Yubico.
    {AppletKind::YubicoOtp, 0x01, yubico_otp_slot},
    {AppletKind::Piv, 0xF6, yubico_piv_move_key},
    {AppletKind::Piv, 0xF7, yubico_piv_slot_p2},
    {AppletKind::Piv, 0xF9, yubico_piv_attest},
    {AppletKind::Piv, 0xFA, yubico_piv_pin_retries},
    {AppletKind::Piv, 0xFE, yubico_piv_import},
};

Describer find_describer(AppletKind context, uint8_t ins) {
    for (const DescriberRow& r : kDescribers)
        if (r.context == context && r.ins == ins) return r.describe;
    return nullptr;
}

}  // namespace

std::string ParamDescription::text() const {
    std::string s;
    for (const std::string& p : parts) {
        if (!s.empty()) s += ", ";
        s += p;
    }
    return s;
}

NameTable piv_key_references() { return kPivKeyReferences; }

std::vector<DescribedCommand> described_commands() {
    std::vector<DescribedCommand> out;
    for (const DescriberRow& r : kDescribers) out.push_back({r.context, r.ins});
    return out;
}

ParamDescription describe_params(const CommandApdu& apdu, ByteView bytes, const InsName& name, AppletKind applet) {
    ParamDescription d;
    ByteView data;
    if (apdu.data_offset + apdu.nc <= bytes.size()) data = apdu.data(bytes);
    const In in{apdu, data, applet, name.table};

    Describer describe = find_describer(name.table, apdu.ins);
    if (!describe && name.table != AppletKind::Unknown && name.entry) {
        // The command set gives this INS the inter-industry command's name:
        // it is that command, with the applet's reference names.
        const Named* iso = find_value(ins_table(AppletKind::Unknown), apdu.ins);
        if (iso && iso->name == name.entry->name) describe = find_describer(AppletKind::Unknown, apdu.ins);
    }
    if (describe) describe(in, d.parts);
    else if (apdu.p1 || apdu.p2) d.parts.push_back("P1=" + hex2(apdu.p1) + " P2=" + hex2(apdu.p2));
    return d;
}

}  // namespace pcscspy
