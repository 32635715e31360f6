#include <doctest/doctest.h>

#include <set>
#include <utility>

#include "protocol/apdu_params.hpp"

using namespace pcscspy;

namespace {
std::string params(const char* apdu_hex, AppletKind applet = AppletKind::Unknown) {
    HexParse h = parse_hex(apdu_hex);
    REQUIRE(h.ok());
    CommandParse p = parse_command_apdu(h.bytes);
    REQUIRE(p.ok());
    const CommandApdu& a = *p.apdu;
    InsName name = name_instruction(applet, a.cla, a.ins, a.p1);
    return describe_params(a, h.bytes, name, applet).text();
}
}  // namespace

TEST_CASE("P1/P2 meaning: SELECT") {
    struct Case {
        const char* apdu;
        const char* text;
    } cases[] = {
        {"00A4040007A0000003080000", "by DF name A0000003080000 (PIV), first or only occurrence, return FCI"},
        {"00A404000BA000000308000010000100",
         "by DF name A000000308000010000100 (PIV card application), first or only occurrence, return FCI"},
        {"00A404000E315041592E5359532E444446303100",
         "by DF name 315041592E5359532E4444463031 \"1PAY.SYS.DDF01\" (Payment System Environment "
         "(1PAY.SYS.DDF01)), first or only occurrence, return FCI"},
        {"00A4040C06D27600012401", "by DF name D27600012401 (OpenPGP card), first or only occurrence, no response data"},
        {"00A4040200", "by DF name (none: default application), next occurrence, return FCI"},
        {"00A40000023F00", "by file id 3F00 (MF), first or only occurrence, return FCI"},
        {"00A4000C00", "MF, first or only occurrence, no response data"},
        {"00A40004022F00", "by file id 2F00, first or only occurrence, return FCP"},
        {"00A4010C025015", "child DF 5015, first or only occurrence, no response data"},
        {"00A4020C024401", "EF under the current DF 4401, first or only occurrence, no response data"},
        {"00A4030C", "parent DF, first or only occurrence, no response data"},
        {"00A40808045015440100", "by path 5015/4401 from the MF, first or only occurrence, return FMD"},
        {"00A4090103501544", "by path 5015/44 from the current DF, last occurrence, return FCI"},
        {"00A40401", "by DF name (none: default application), last occurrence, return FCI"},
        {"00A40410", "by DF name (none: default application), first or only occurrence, return FCI, P2 bits 10 set (proprietary)"},
        {"00A4070C", "P1 07, first or only occurrence, no response data"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu) == c.text);
    }
}

TEST_CASE("P1/P2 meaning: files and records") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        const char* text;
    } cases[] = {
        {"00B0000000", AppletKind::Unknown, "offset 0, Ne=256"},
        {"00B07FFF10", AppletKind::Unknown, "offset 32767, Ne=16"},
        {"00B0850A08", AppletKind::Unknown, "SFI 5, offset 10, Ne=8"},
        {"00D6001004AABBCCDD", AppletKind::Unknown, "offset 16"},
        {"00B100000454020100 00", AppletKind::Unknown, "current EF, offset 256, Ne=256"},
        {"00B1000500", AppletKind::Unknown, "SFI 5, Ne=256"},
        {"00B12F000454020010", AppletKind::Unknown, "file id 2F00, offset 16"},
        {"00B2010C00", AppletKind::Emv, "record 1, SFI 1, Ne=256"},
        {"00B2010C00", AppletKind::Unknown, "record 1, SFI 1, Ne=256"},
        {"00B2000400", AppletKind::Unknown, "current record, current EF, Ne=256"},
        {"00B2031500", AppletKind::Unknown, "records from number P1 to the last (P1=03), SFI 2, Ne=256"},
        {"00B2050200", AppletKind::Unknown, "next record with id P1 (P1=05), current EF, Ne=256"},
        {"00DC0104021122", AppletKind::Unknown, "record 1, current EF"},
        {"00E2000802AABB", AppletKind::Unknown, "SFI 1"},
        {"00E2000002AABB", AppletKind::Unknown, "current EF"},
        {"00440000", AppletKind::Unknown, "current file"},
        {"00E60000", AppletKind::OpenPgp, "current file"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu, c.applet) == c.text);
    }
}

TEST_CASE("P1/P2 meaning: reference data commands name PINs per applet") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        const char* text;
    } cases[] = {
        {"0020008008313233343536FFFF", AppletKind::Piv, "PIV application PIN (80)"},
        {"0020008000", AppletKind::Piv, "PIV application PIN (80), no data: retry counter query"},
        {"00200080", AppletKind::Piv, "PIV application PIN (80), no data: retry counter query"},
        {"00200000", AppletKind::Piv, "global PIN (00), no data: retry counter query"},
        {"0020FF80", AppletKind::Piv, "PIV application PIN (80), reset the verification status"},
        {"0020008106313233343536", AppletKind::OpenPgp, "PW1 (signature) (81)"},
        {"0020008206313233343536", AppletKind::OpenPgp, "PW1 (decryption, authentication) (82)"},
        {"002000830831323334353637 38", AppletKind::OpenPgp, "PW3 (admin) (83)"},
        {"0024000010AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", AppletKind::Piv, "global PIN (00), current and new reference data"},
        {"002C0080023132", AppletKind::Piv, "PIV application PIN (80), resetting code and new reference data"},
        {"002C0281063132333435 36", AppletKind::OpenPgp, "PW1 (signature) (81), new reference data only"},
        {"0020008108AAAAAAAAAAAAAAAA", AppletKind::Unknown, "specific reference 1 (P2=81)"},
        {"0020000108AAAAAAAAAAAAAAAA", AppletKind::Unknown, "global reference 1 (P2=01)"},
        {"0020008008AAAAAAAAAAAAAAAA", AppletKind::Emv, "plaintext PIN (80)"},
        {"842400000831323334AAAAAAAA", AppletKind::Emv, "PIN unblock"},
        {"842400010831323334AAAAAAAA", AppletKind::Emv, "PIN change with the current PIN"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu, c.applet) == c.text);
    }
}

TEST_CASE("P1/P2 meaning: data objects, security environment, security operations") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        const char* text;
    } cases[] = {
        {"00CA006E00", AppletKind::OpenPgp, "tag 6E (Application related data), Ne=256"},
        {"00CA00C400", AppletKind::OpenPgp, "tag C4 (PW status bytes), Ne=256"},
        {"00CA7F2100", AppletKind::OpenPgp, "tag 7F21 (Cardholder certificate), Ne=256"},
        {"80CA9F7F00", AppletKind::Unknown, "tag 9F7F (Card production life cycle data (CPLC)), Ne=256"},
        {"80CA00CF00", AppletKind::Unknown, "tag CF (Key diversification data (KDD)), Ne=256"},
        {"80CA9F3600", AppletKind::Emv, "tag 9F36 (Application transaction counter (ATC)), Ne=256"},
        {"80CA9F1700", AppletKind::Unknown, "tag 9F17 (PIN try counter), Ne=256"},
        {"00CA010100", AppletKind::OpenPgp, "tag 0101 (Private use DO 1), Ne=256"},
        {"00CB3FFF055C035FC10200", AppletKind::Piv,
         "object 5FC102 (card holder unique identifier (CHUID)), current DF, Ne=256"},
        {"00CB3FFF035C017E00", AppletKind::Piv, "object 7E (discovery object), current DF, Ne=256"},
        {"00DB3FFF0A5C035FC1055303700100", AppletKind::Piv,
         "object 5FC105 (X.509 certificate for PIV authentication (9A)), current DF"},
        {"00DB3FFF044D02B600", AppletKind::OpenPgp, "key import: signature key, current DF"},
        {"002241A406830102 950140", AppletKind::OpenPgp,
         "SET for computation, decipherment, internal authentication, key agreement, authentication template (AT)"},
        {"002241B8038301 02", AppletKind::Unknown,
         "SET for computation, decipherment, internal authentication, key agreement, confidentiality template (CT)"},
        {"002281B6038401 01", AppletKind::Unknown,
         "SET for verification, encipherment, external authentication, digital signature template (DST)"},
        {"0022F301", AppletKind::Unknown,
         "RESTORE SM in command, SM in response, for computation, decipherment, internal authentication, key "
         "agreement, for verification, encipherment, external authentication, SE number 1"},
        {"002A9E9A03AABBCC00", AppletKind::OpenPgp, "compute digital signature, Ne=256"},
        {"002A808603AABBCC00", AppletKind::OpenPgp, "decipher, Ne=256"},
        {"002A868003AABBCC00", AppletKind::OpenPgp, "encipher, Ne=256"},
        {"002A908003AABBCC", AppletKind::Unknown, "hash"},
        {"002A00AE03AABBCC", AppletKind::Unknown, "verify certificate"},
        {"002A00A803AABBCC", AppletKind::Unknown, "verify digital signature"},
        {"002A123403AABBCC", AppletKind::Unknown, "output tag 12, input tag 34"},
        {"802A8E8003AABBCC00", AppletKind::Emv, "compute cryptographic checksum, Ne=256"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu, c.applet) == c.text);
    }
}

TEST_CASE("P1/P2 meaning: authentication, key generation, channels, GET RESPONSE") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        const char* text;
    } cases[] = {
        {"0087119E047C028100 00", AppletKind::Piv, "card authentication key (9E), ECC P-256"},
        {"0087039B047C02810000", AppletKind::Piv, "card management key (9B), 3DES"},
        {"0087079A047C02810000", AppletKind::Piv, "PIV authentication key (9A), RSA 2048"},
        {"0047009A05AC03800111 00", AppletKind::Piv, "PIV authentication key (9A), ECC P-256"},
        {"0047800002B60000", AppletKind::OpenPgp, "generate a key pair, signature key"},
        {"0047810002B80000", AppletKind::OpenPgp, "read the public key, decryption key"},
        {"0088000003AABBCC00", AppletKind::OpenPgp, "authentication key"},
        {"0088000003AABBCC00", AppletKind::Unknown, "Ne=256"},
        {"0088000103AABBCC00", AppletKind::Unknown, "global key 1, Ne=256"},
        {"0084000008", AppletKind::Unknown, "8-byte challenge"},
        {"0070000001", AppletKind::Unknown, "open, channel assigned by the card"},
        {"0070000200", AppletKind::Unknown, "open, channel 2"},
        {"00708002", AppletKind::Unknown, "close, channel 2"},
        {"00C0000010", AppletKind::Unknown, "up to 16 bytes"},
        {"00C0000000", AppletKind::Unknown, "up to 256 bytes"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu, c.applet) == c.text);
    }
}

TEST_CASE("P1/P2 meaning: GlobalPlatform, EMV, FIDO, YubiKey") {
    struct Case {
        const char* apdu;
        AppletKind applet;
        const char* text;
    } cases[] = {
        {"8050000008 1122334455667788 00", AppletKind::Unknown, "first available key version"},
        {"8050300008112233445566778800", AppletKind::GlobalPlatform, "key version 48"},
        {"8482330010AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AppletKind::GlobalPlatform,
         "security level C-MAC+C-DECRYPTION+R-MAC+R-ENCRYPTION"},
        {"8482000010AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AppletKind::GlobalPlatform, "security level no secure messaging"},
        {"80E60C0003AABBCC", AppletKind::GlobalPlatform, "for install + for make selectable"},
        {"80E60200 03AABBCC", AppletKind::Unknown, "for load"},
        {"80E8800103AABBCC", AppletKind::GlobalPlatform, "block 1, last block"},
        {"80E40080094F07A000000308000000", AppletKind::GlobalPlatform,
         "object and related objects, AID A0000003080000 (PIV)"},
        {"80F24002024F0000", AppletKind::GlobalPlatform,
         "applications and security domains, first occurrence, TLV format"},
        {"80F28003024F0000", AppletKind::GlobalPlatform, "issuer security domain, next occurrence, TLV format"},
        {"80F0400F", AppletKind::GlobalPlatform, "application or security domain, life cycle state 0F"},
        {"80E2900003AABBCC", AppletKind::GlobalPlatform, "block 0, last block, no encryption information, BER-TLV format"},
        {"80E2680103AABBCC", AppletKind::GlobalPlatform, "block 1, more blocks follow, encrypted data, DGI format"},
        {"80D8018103AABBCC", AppletKind::GlobalPlatform, "replace key version 1, key id 1, multiple keys"},
        {"80D8008103AABBCC", AppletKind::Unknown, "new key version, key id 1, multiple keys"},
        {"80AE800003AABBCC00", AppletKind::Emv, "ARQC (go online)"},
        {"80AE000003AABBCC00", AppletKind::Emv, "AAC (decline)"},
        {"0082008110AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AppletKind::Unknown, "specific key 1"},
        {"0082018110AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AppletKind::Unknown, "specific key 1, algorithm 01"},
        {"80AE500003AABBCC00", AppletKind::Emv, "TC (approve offline), CDA signature requested"},
        {"80A8000002830000", AppletKind::Emv, ""},
        {"80A80000058303AABBCC00", AppletKind::Emv, "3 bytes of PDOL data"},
        {"80108000010400", AppletKind::Fido, "authenticatorGetInfo, client supports NFCCTAP_GETRESPONSE"},
        {"801000000101 00", AppletKind::Fido, "authenticatorMakeCredential"},
        {"00020300 03AABBCC", AppletKind::Fido, "enforce user presence and sign"},
        {"0001300003AABBCC", AppletKind::YubicoOtp, "HMAC-SHA1 challenge-response, slot 1"},
        {"00F7009A00", AppletKind::Piv, "PIV authentication key (9A)"},
        {"00F99C0000", AppletKind::Piv, "digital signature key (9C)"},
        {"00FA0305", AppletKind::Piv, "PIN tries 3, PUK tries 5"},
        {"00FE119A03AABBCC", AppletKind::Piv, "PIV authentication key (9A), ECC P-256"},
        {"00F6829A", AppletKind::Piv, "from PIV authentication key to retired key management key 1"},
        {"00FD000000", AppletKind::Piv, ""},
        {"00FD123400", AppletKind::Unknown, "P1=12 P2=34"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.apdu));
        CHECK(params(c.apdu, c.applet) == c.text);
    }
}

TEST_CASE("PIV key references: the SP 800-73-4 slots and the retired range") {
    NameTable refs = piv_key_references();
    for (uint64_t v = 0x82; v <= 0x95; ++v) CHECK(find_value(refs, v) != nullptr);
    CHECK(find_value(refs, 0x9A)->name == "PIV authentication key");
    CHECK(find_value(refs, 0x9E)->name == "card authentication key");
}

TEST_CASE("describe_params never reads outside the buffer it is given") {
    // A parse of one buffer described with a shorter one: no data is read.
    HexParse h = parse_hex("00A4040007A0000003080000");
    CommandApdu a = *parse_command_apdu(h.bytes).apdu;
    Bytes shorter(h.bytes.begin(), h.bytes.begin() + 6);
    InsName name = name_instruction(AppletKind::Unknown, a.cla, a.ins, a.p1);
    CHECK(describe_params(a, shorter, name, AppletKind::Unknown).text() ==
          "by DF name (none: default application), first or only occurrence, return FCI");
}

TEST_CASE("describers: each is for a command its command set names, once") {
    std::set<std::pair<AppletKind, uint8_t>> seen;
    for (const DescribedCommand& c : described_commands()) {
        CAPTURE(applet_kind_name(c.context));
        CAPTURE(int(c.ins));
        CHECK(find_value(ins_table(c.context), c.ins) != nullptr);
        CHECK(seen.insert({c.context, c.ins}).second);
    }
    CHECK(seen.size() > 60);
}
