#include "protocol/ins_names.hpp"

#include <cstdio>

#include "protocol/apdu.hpp"

namespace pcscspy {

namespace {

constexpr std::string_view kOdd = "odd INS: BER-TLV data field";
constexpr std::string_view kInterindustryTableName = "ISO 7816";

// ISO/IEC 7816-4:2013 table 4, with the commands of 7816-7 (SCQL), -8 and -9.
constexpr Named kInterindustryIns[] = {
    {0x04, "DEACTIVATE FILE"},
    {0x06, "DEACTIVATE RECORD(S)"},
    {0x08, "ACTIVATE RECORD(S)"},
    {0x0C, "ERASE RECORD(S)"},
    {0x0E, "ERASE BINARY"},
    {0x0F, "ERASE BINARY", kOdd},
    {0x10, "PERFORM SCQL OPERATION"},
    {0x12, "PERFORM TRANSACTION OPERATION"},
    {0x14, "PERFORM USER OPERATION"},
    {0x20, "VERIFY"},
    {0x21, "VERIFY", kOdd},
    {0x22, "MANAGE SECURITY ENVIRONMENT"},
    {0x24, "CHANGE REFERENCE DATA"},
    {0x25, "CHANGE REFERENCE DATA", kOdd},
    {0x26, "DISABLE VERIFICATION REQUIREMENT"},
    {0x28, "ENABLE VERIFICATION REQUIREMENT"},
    {0x2A, "PERFORM SECURITY OPERATION"},
    {0x2C, "RESET RETRY COUNTER"},
    {0x2D, "RESET RETRY COUNTER", kOdd},
    {0x2E, "PERFORM BIOMETRIC OPERATION"},
    {0x2F, "PERFORM BIOMETRIC OPERATION", kOdd},
    {0x44, "ACTIVATE FILE"},
    {0x46, "GENERATE ASYMMETRIC KEY PAIR"},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", kOdd},
    {0x70, "MANAGE CHANNEL"},
    {0x82, "EXTERNAL AUTHENTICATE", "or MUTUAL AUTHENTICATE"},
    {0x84, "GET CHALLENGE"},
    {0x86, "GENERAL AUTHENTICATE"},
    {0x87, "GENERAL AUTHENTICATE", kOdd},
    {0x88, "INTERNAL AUTHENTICATE"},
    {0xA0, "SEARCH BINARY"},
    {0xA1, "SEARCH BINARY", kOdd},
    {0xA2, "SEARCH RECORD"},
    {0xA4, "SELECT"},
    {0xB0, "READ BINARY"},
    {0xB1, "READ BINARY", kOdd},
    {0xB2, "READ RECORD(S)"},
    {0xB3, "READ RECORD(S)", kOdd},
    {0xC0, "GET RESPONSE"},
    {0xC2, "ENVELOPE"},
    {0xC3, "ENVELOPE", kOdd},
    {0xCA, "GET DATA"},
    {0xCB, "GET DATA", kOdd},
    {0xCC, "GET NEXT DATA"},
    {0xCD, "GET NEXT DATA", kOdd},
    {0xD0, "WRITE BINARY"},
    {0xD1, "WRITE BINARY", kOdd},
    {0xD2, "WRITE RECORD"},
    {0xD6, "UPDATE BINARY"},
    {0xD7, "UPDATE BINARY", kOdd},
    {0xDA, "PUT DATA"},
    {0xDB, "PUT DATA", kOdd},
    {0xDC, "UPDATE RECORD"},
    {0xDD, "UPDATE RECORD", kOdd},
    {0xE0, "CREATE FILE"},
    {0xE2, "APPEND RECORD"},
    {0xE4, "DELETE FILE"},
    {0xE6, "TERMINATE DF"},
    {0xE8, "TERMINATE EF"},
    {0xFE, "TERMINATE CARD USAGE"},
};

// GlobalPlatform Card Specification 2.3, chapter 11, and Amendment F (SCP11).
constexpr Named kGlobalPlatformIns[] = {
    {0x2A, "PERFORM SECURITY OPERATION", "SCP11: verify certificate"},
    {0x50, "INITIALIZE UPDATE", "SCP02/SCP03 session opening"},
    {0x70, "MANAGE CHANNEL"},
    {0x78, "END R-MAC SESSION"},
    {0x7A, "BEGIN R-MAC SESSION"},
    {0x82, "EXTERNAL AUTHENTICATE", "or SCP11 MUTUAL AUTHENTICATE"},
    {0x88, "INTERNAL AUTHENTICATE", "SCP11"},
    {0xA4, "SELECT"},
    {0xC0, "GET RESPONSE"},
    {0xCA, "GET DATA"},
    {0xCB, "GET DATA", kOdd},
    {0xD8, "PUT KEY"},
    {0xE2, "STORE DATA"},
    {0xE4, "DELETE"},
    {0xE6, "INSTALL"},
    {0xE8, "LOAD"},
    {0xF0, "SET STATUS"},
    {0xF2, "GET STATUS"},
};

// EMV Book 3 §6.5, with the kernel-specific commands of Mastercard (C-2).
constexpr Named kEmvIns[] = {
    {0x16, "CARD BLOCK"},
    {0x18, "APPLICATION UNBLOCK"},
    {0x1E, "APPLICATION BLOCK"},
    {0x20, "VERIFY"},
    {0x24, "PIN CHANGE/UNBLOCK"},
    {0x2A, "COMPUTE CRYPTOGRAPHIC CHECKSUM", "Mastercard mag-stripe mode"},
    {0x82, "EXTERNAL AUTHENTICATE"},
    {0x84, "GET CHALLENGE"},
    {0x88, "INTERNAL AUTHENTICATE"},
    {0xA4, "SELECT"},
    {0xA8, "GET PROCESSING OPTIONS"},
    {0xAE, "GENERATE AC", "generate application cryptogram"},
    {0xB2, "READ RECORD"},
    {0xC0, "GET RESPONSE"},
    {0xCA, "GET DATA"},
    {0xEA, "EXCHANGE RELAY RESISTANCE DATA", "Mastercard"},
};

// NIST SP 800-73-4 part 2, with the YubiKey PIV extensions.
constexpr Named kPivIns[] = {
    {0x20, "VERIFY"},
    {0x24, "CHANGE REFERENCE DATA"},
    {0x2C, "RESET RETRY COUNTER"},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR"},
    {0x87, "GENERAL AUTHENTICATE"},
    {0xA4, "SELECT"},
    {0xC0, "GET RESPONSE"},
    {0xCB, "GET DATA"},
    {0xDB, "PUT DATA"},
    {0xF6, "MOVE KEY", "Yubico extension"},
    {0xF7, "GET METADATA", "Yubico extension"},
    {0xF8, "GET SERIAL", "Yubico extension"},
    {0xF9, "ATTEST", "Yubico extension"},
    {0xFA, "SET PIN RETRIES", "Yubico extension"},
    {0xFB, "RESET", "Yubico extension: reset the PIV application"},
    {0xFD, "GET VERSION", "Yubico extension"},
    {0xFE, "IMPORT KEY", "Yubico extension: import an asymmetric key"},
    {0xFF, "SET MANAGEMENT KEY", "Yubico extension"},
};

// OpenPGP card 3.4 §7.2, with the YubiKey extensions.
constexpr Named kOpenPgpIns[] = {
    {0x20, "VERIFY"},
    {0x22, "MANAGE SECURITY ENVIRONMENT"},
    {0x24, "CHANGE REFERENCE DATA"},
    {0x2A, "PERFORM SECURITY OPERATION"},
    {0x2C, "RESET RETRY COUNTER"},
    {0x44, "ACTIVATE FILE"},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR"},
    {0x84, "GET CHALLENGE"},
    {0x88, "INTERNAL AUTHENTICATE"},
    {0xA4, "SELECT"},
    {0xA5, "SELECT DATA"},
    {0xC0, "GET RESPONSE"},
    {0xCA, "GET DATA"},
    {0xCB, "GET DATA", kOdd},
    {0xCC, "GET NEXT DATA"},
    {0xDA, "PUT DATA"},
    {0xDB, "PUT DATA", "odd INS: key import (extended header list)"},
    {0xE6, "TERMINATE DF"},
    {0xF1, "GET VERSION", "Yubico extension"},
    {0xF2, "SET PIN RETRIES", "Yubico extension"},
    {0xFB, "GET ATTESTATION", "Yubico extension"},
};

// FIDO U2F raw messages over ISO 7816 and CTAP 2.1 §11.3 (NFC/CCID binding).
constexpr Named kFidoIns[] = {
    {0x01, "U2F REGISTER"},
    {0x02, "U2F AUTHENTICATE"},
    {0x03, "U2F VERSION"},
    {0x10, "NFCCTAP_MSG", "CTAP2 command"},
    {0x11, "NFCCTAP_GETRESPONSE"},
    {0x12, "NFCCTAP_CONTROL"},
    {0xA4, "SELECT"},
    {0xC0, "GET RESPONSE"},
};

constexpr Named kYubicoOtpIns[] = {
    {0x01, "OTP SLOT COMMAND", "P1 = slot command (configure, update, swap, challenge-response...)"},
    {0x03, "READ STATUS"},
    {0xA4, "SELECT"},
};

constexpr Named kYubicoManagementIns[] = {
    {0x16, "SET MODE"},
    {0x1C, "WRITE CONFIG"},
    {0x1D, "READ CONFIG"},
    {0x1F, "DEVICE RESET"},
    {0xA4, "SELECT"},
};

// YKOATH protocol.
constexpr Named kYubicoOathIns[] = {
    {0x01, "PUT", "store an OATH credential"},
    {0x02, "DELETE"},
    {0x03, "SET CODE", "set or remove the access key"},
    {0x04, "RESET"},
    {0x05, "RENAME"},
    {0xA1, "LIST"},
    {0xA2, "CALCULATE"},
    {0xA3, "VALIDATE"},
    {0xA4, "CALCULATE ALL"},
    {0xA5, "SEND REMAINING"},
};

// US DoD CAC applets: the proprietary commands of OpenSC's card-cac.c (CAC
// Applet Developer Guide): objects are read as separate tag and value files.
constexpr Named kCacIns[] = {
    {0x42, "SIGN/DECRYPT", "CAC private key operation"},
    {0x4C, "GET ACR", "access control rules"},
    {0x52, "READ FILE", "P1P2 offset; data: file type (01 tags, 02 values) and length"},
    {0x56, "GET PROPERTIES"},
    {0xA4, "SELECT"},
    {0xC0, "GET RESPONSE"},
};

constexpr InsTable kInsTables[] = {
    {AppletKind::Unknown, kInterindustryIns},
    {AppletKind::GlobalPlatform, kGlobalPlatformIns},
    {AppletKind::Emv, kEmvIns},
    {AppletKind::Piv, kPivIns},
    {AppletKind::OpenPgp, kOpenPgpIns},
    {AppletKind::Fido, kFidoIns},
    {AppletKind::YubicoOtp, kYubicoOtpIns},
    {AppletKind::YubicoManagement, kYubicoManagementIns},
    {AppletKind::YubicoOath, kYubicoOathIns},
    {AppletKind::Cac, kCacIns},
};

InsName look_up(AppletKind context, uint8_t ins) {
    const Named* n = find_value(ins_table(context), ins);
    return n ? InsName{n, context} : InsName{};
}

}  // namespace

std::span<const InsTable> ins_tables() { return kInsTables; }

NameTable ins_table(AppletKind context) {
    for (const InsTable& t : kInsTables)
        if (t.context == context) return t.entries;
    return {};
}

InsName name_instruction(AppletKind applet, uint8_t cla, uint8_t ins, uint8_t p1) {
    constexpr uint8_t kSelect = 0xA4, kByDfName = 0x04;
    if (ins == kSelect && p1 == kByDfName) return look_up(AppletKind::Unknown, ins);
    if (applet != AppletKind::Unknown)
        if (InsName n = look_up(applet, ins); n.known()) return n;
    const ClaInfo c = decode_cla(cla);
    if (c.kind == ClaKind::Proprietary && c.iso_convention) {
        for (AppletKind convention : {AppletKind::GlobalPlatform, AppletKind::Emv})
            if (InsName n = look_up(convention, ins); n.known()) return n;
    }
    return look_up(AppletKind::Unknown, ins);
}

std::string_view ins_table_name(const InsName& name) {
    if (!name.known()) return {};
    if (name.table == AppletKind::Unknown) return kInterindustryTableName;
    return applet_kind_name(name.table);
}

std::string ins_display_name(const InsName& name, uint8_t ins) {
    if (name.entry) return std::string(name.entry->name);
    char buf[16];
    std::snprintf(buf, sizeof buf, "INS %02X", ins);
    return buf;
}

}  // namespace pcscspy
