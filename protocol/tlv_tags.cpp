#include "protocol/tlv_tags.hpp"

namespace pcscspy {

namespace {

constexpr uint64_t top(uint32_t tag) { return tag_key(kTopLevelTag, tag); }
constexpr uint64_t under(uint32_t parent, uint32_t tag) { return tag_key(parent, tag); }

// ISO/IEC 7816-4:2013 (FCP, FCI, dynamic authentication, CRTs) and 7816-6
// (inter-industry data elements).
constexpr Named kIsoTags[] = {
    {0x06, "Object identifier"},
    {0x41, "Country code and national data"},
    {0x42, "Issuer identification number"},
    {0x43, "Card service data"},
    {0x44, "Initial access data"},
    {0x45, "Card issuer's data"},
    {0x46, "Pre-issuing data"},
    {0x47, "Card capabilities"},
    {0x48, "Status information"},
    {0x4D, "Extended header list"},
    {0x4F, "Application identifier (AID)"},
    {0x50, "Application label"},
    {0x51, "Path"},
    {0x52, "Command to perform"},
    {0x53, "Discretionary data"},
    {0x54, "Offset"},
    {0x56, "Track 1 (application)"},
    {0x57, "Track 2 (application)"},
    {0x58, "Track 3 (application)"},
    {0x59, "Card expiration date"},
    {0x5A, "Primary account number (PAN)"},
    {0x5B, "Name"},
    {0x5C, "Tag list"},
    {0x5D, "Header list"},
    {0x5E, "Login data"},
    {0x5F20, "Cardholder name"},
    {0x5F21, "Track 1 (card)"},
    {0x5F22, "Track 2 (card)"},
    {0x5F23, "Track 3 (card)"},
    {0x5F24, "Application expiration date"},
    {0x5F25, "Application effective date"},
    {0x5F26, "Card effective date"},
    {0x5F27, "Interchange control"},
    {0x5F28, "Country code"},
    {0x5F29, "Interchange profile"},
    {0x5F2A, "Currency code"},
    {0x5F2B, "Date of birth"},
    {0x5F2C, "Cardholder nationality"},
    {0x5F2D, "Language preference"},
    {0x5F2E, "Cardholder biometric data"},
    {0x5F2F, "PIN usage policy"},
    {0x5F30, "Service code"},
    {0x5F32, "Transaction counter"},
    {0x5F33, "Transaction date"},
    {0x5F34, "Card sequence number"},
    {0x5F35, "Sex"},
    {0x5F36, "Currency exponent"},
    {0x5F37, "Static internal authentication"},
    {0x5F40, "Cardholder portrait image"},
    {0x5F43, "Cardholder handwritten signature image"},
    {0x5F48, "Cardholder private key"},
    {0x5F49, "Cardholder public key"},
    {0x5F4A, "Certification authority public key"},
    {0x5F4C, "Certificate holder authorization"},
    {0x5F4E, "Certificate content"},
    {0x5F50, "Uniform resource locator (URL)"},
    {0x5F52, "Historical bytes"},
    {0x5F53, "International bank account number (IBAN)"},
    {0x5F54, "Bank identifier code (BIC)"},
    {0x5F55, "Country code (alpha-2)"},
    {0x5F56, "Country code (alpha-3)"},
    {0x61, "Application template"},
    {0x62, "File control parameters (FCP)"},
    {0x63, "Wrapper"},
    {0x64, "File management data (FMD)"},
    {0x65, "Cardholder related data"},
    {0x66, "Card data"},
    {0x67, "Authentication data"},
    {0x68, "Special user requirements"},
    {0x6A, "Login template"},
    {0x6B, "Qualified name"},
    {0x6C, "Cardholder image template"},
    {0x6D, "Application image template"},
    {0x6E, "Application related data"},
    {0x6F, "File control information (FCI)"},
    {0x73, "Discretionary data objects"},
    {0x78, "Compatible tag allocation authority"},
    {0x79, "Coexistent tag allocation authority"},
    {0x7A, "Security support template"},
    {0x7B, "Security environment template"},
    {0x7C, "Dynamic authentication template"},
    {0x7D, "Secure messaging template"},
    {0x7E, "Interindustry template for nesting"},
    {0x7F20, "Display control template"},
    {0x7F21, "Cardholder certificate"},
    {0x7F2E, "Biometric data template"},
    {0x7F49, "Cardholder public key template"},
    {0x7F4C, "Certificate holder authorization template"},
    {0x7F4E, "Certificate body"},
    {0x7F60, "Biometric information template"},
    {0x7F61, "Biometric information group template"},

    // File control parameters (also read under FCI 6F and FMD 64).
    {under(0x62, 0x80), "File size (data bytes)"},
    {under(0x62, 0x81), "File size (with structural information)"},
    {under(0x62, 0x82), "File descriptor"},
    {under(0x62, 0x83), "File identifier"},
    {under(0x62, 0x84), "DF name"},
    {under(0x62, 0x85), "Proprietary information"},
    {under(0x62, 0x86), "Security attributes (proprietary format)"},
    {under(0x62, 0x87), "FID of the EF extending the FCI"},
    {under(0x62, 0x88), "Short EF identifier"},
    {under(0x62, 0x8A), "Life cycle status"},
    {under(0x62, 0x8B), "Security attributes (expanded format, referenced)"},
    {under(0x62, 0x8C), "Security attributes (compact format)"},
    {under(0x62, 0x8D), "FID of the EF with security environment templates"},
    {under(0x62, 0x8E), "Channel security attribute"},
    {under(0x62, 0xA0), "Security attribute template for data objects"},
    {under(0x62, 0xA1), "Security attribute template (proprietary format)"},
    {under(0x62, 0xA5), "Proprietary information (BER-TLV)"},
    {under(0x62, 0xAB), "Security attribute template (expanded format)"},
    {under(0x62, 0xAC), "Cryptographic mechanism identifier template"},

    // Dynamic authentication template (GENERAL AUTHENTICATE).
    {under(0x7C, 0x80), "Witness"},
    {under(0x7C, 0x81), "Challenge"},
    {under(0x7C, 0x82), "Response"},
    {under(0x7C, 0x83), "Committed challenge"},
    {under(0x7C, 0x84), "Authentication code"},
    {under(0x7C, 0x85), "Exponential"},
    {under(0x7C, 0xA0), "Identification data template"},

    // Control reference templates (MANAGE SECURITY ENVIRONMENT data, also read
    // under A6 AA B4 B6 B8).
    {top(0xA4), "Control reference template for authentication (AT)"},
    {top(0xA6), "Control reference template for key agreement (KAT)"},
    {top(0xAA), "Control reference template for hash-code (HT)"},
    {top(0xB4), "Control reference template for cryptographic checksum (CCT)"},
    {top(0xB6), "Control reference template for digital signature (DST)"},
    {top(0xB8), "Control reference template for confidentiality (CT)"},
    {under(0xA4, 0x80), "Cryptographic mechanism reference"},
    {under(0xA4, 0x81), "File reference"},
    {under(0xA4, 0x83), "Key reference (secret or public)"},
    {under(0xA4, 0x84), "Key reference (private or session)"},
    {under(0xA4, 0x95), "Usage qualifier"},
};

// GlobalPlatform Card Specification 2.3 (GET DATA objects, GET STATUS registry
// entries, security domain FCI).
constexpr Named kGlobalPlatformTags[] = {
    {0x42, "Issuer identification number (IIN)"},
    {0x45, "Card image number (CIN)"},
    {0x66, "Card data"},
    {0x67, "Card capability information"},
    {0x73, "Card recognition data / security domain management data"},
    {0x9F65, "Maximum length of data field in command message"},
    {0x9F6E, "Application production life cycle data"},
    {0x9F70, "Life cycle state"},
    {0x9F7F, "Card production life cycle data (CPLC)"},
    {top(0xC1), "Sequence counter of the default key version"},
    {top(0xC2), "Confirmation counter"},
    {top(0xCF), "Key diversification data (KDD)"},
    {top(0xD3), "Current security level"},
    {0xE0, "Key information template"},
    {under(0xE0, 0xC0), "Key information data"},
    {0xE3, "GlobalPlatform registry entry"},
    {under(0xE3, 0x4F), "AID"},
    {under(0xE3, 0x84), "Executable module AID"},
    {under(0xE3, 0xC4), "Executable load file AID"},
    {under(0xE3, 0xC5), "Privileges"},
    {under(0xE3, 0xCC), "Associated security domain AID"},
    {under(0xE3, 0xCE), "Executable load file version number"},
    {under(0xE3, 0xCF), "Implicit selection parameter"},
    {under(0x6F, 0x84), "Security domain AID"},
    {under(0x6F, 0xA5), "Proprietary data"},
};

// EMV Book 3 annex A (data elements dictionary) and the contactless kernels.
constexpr Named kEmvTags[] = {
    {0x4F, "Application dedicated file (ADF) name"},
    {0x50, "Application label"},
    {0x57, "Track 2 equivalent data"},
    {0x5A, "Application PAN"},
    {0x5F20, "Cardholder name"},
    {0x5F24, "Application expiration date"},
    {0x5F25, "Application effective date"},
    {0x5F28, "Issuer country code"},
    {0x5F2A, "Transaction currency code"},
    {0x5F2D, "Language preference"},
    {0x5F30, "Service code"},
    {0x5F34, "PAN sequence number"},
    {0x61, "Application template"},
    {0x6F, "File control information (FCI) template"},
    {0x70, "READ RECORD response template"},
    {0x77, "Response message template format 2"},
    {0x80, "Response message template format 1"},
    {0x82, "Application interchange profile (AIP)"},
    {0x83, "Command template"},
    {0x84, "Dedicated file (DF) name"},
    {0x87, "Application priority indicator"},
    {0x88, "Short file identifier (SFI)"},
    {0x8C, "Card risk management data object list 1 (CDOL1)"},
    {0x8D, "Card risk management data object list 2 (CDOL2)"},
    {0x8E, "Cardholder verification method (CVM) list"},
    {0x8F, "Certification authority public key index"},
    {0x90, "Issuer public key certificate"},
    {0x92, "Issuer public key remainder"},
    {0x93, "Signed static application data"},
    {0x94, "Application file locator (AFL)"},
    {0x95, "Terminal verification results"},
    {0x9A, "Transaction date"},
    {0x9C, "Transaction type"},
    {0x9F02, "Amount, authorised"},
    {0x9F03, "Amount, other"},
    {0x9F07, "Application usage control"},
    {0x9F08, "Application version number"},
    {0x9F0D, "Issuer action code - default"},
    {0x9F0E, "Issuer action code - denial"},
    {0x9F0F, "Issuer action code - online"},
    {0x9F10, "Issuer application data"},
    {0x9F11, "Issuer code table index"},
    {0x9F12, "Application preferred name"},
    {0x9F13, "Last online ATC register"},
    {0x9F17, "PIN try counter"},
    {0x9F1A, "Terminal country code"},
    {0x9F1F, "Track 1 discretionary data"},
    {0x9F26, "Application cryptogram"},
    {0x9F27, "Cryptogram information data"},
    {0x9F32, "Issuer public key exponent"},
    {0x9F36, "Application transaction counter (ATC)"},
    {0x9F37, "Unpredictable number"},
    {0x9F38, "Processing options data object list (PDOL)"},
    {0x9F42, "Application currency code"},
    {0x9F44, "Application currency exponent"},
    {0x9F46, "ICC public key certificate"},
    {0x9F47, "ICC public key exponent"},
    {0x9F48, "ICC public key remainder"},
    {0x9F49, "Dynamic data authentication data object list (DDOL)"},
    {0x9F4A, "Static data authentication tag list"},
    {0x9F4B, "Signed dynamic application data"},
    {0x9F4C, "ICC dynamic number"},
    {0x9F4D, "Log entry"},
    {0x9F4F, "Log format"},
    {0x9F5D, "Available offline spending amount"},
    {0x9F66, "Terminal transaction qualifiers (TTQ)"},
    {0x9F6C, "Card transaction qualifiers (CTQ)"},
    {0x9F6E, "Form factor indicator / third party data"},
    {0xA5, "FCI proprietary template"},
    {0xBF0C, "FCI issuer discretionary data"},
};

// NIST SP 800-73-4 (data objects, GENERAL AUTHENTICATE, GENERATE ASYMMETRIC
// KEY PAIR) and the YubiKey metadata objects.
constexpr Named kPivTags[] = {
    {top(0x01), "Algorithm (Yubico metadata)"},
    {top(0x02), "PIN and touch policy (Yubico metadata)"},
    {top(0x03), "Key origin (Yubico metadata)"},
    {top(0x04), "Public key (Yubico metadata)"},
    {top(0x05), "Default value (Yubico metadata)"},
    {top(0x06), "Retries (Yubico metadata)"},
    {0x53, "Data object"},
    {0x5C, "Tag list"},
    {top(0x61), "Application property template"},
    {under(0x61, 0x4F), "Application identifier"},
    {under(0x61, 0x50), "Application label"},
    {under(0x61, 0x79), "Coexistent tag allocation authority"},
    {under(0x61, 0x5F50), "Uniform resource locator"},
    {under(0x61, 0xAC), "Cryptographic algorithms supported"},
    {under(0xAC, 0x80), "Cryptographic algorithm identifier"},
    {under(0xAC, 0x81), "Algorithm parameter"},
    {under(0xAC, 0x06), "Object identifier"},
    {under(0xAC, 0xAA), "PIN policy (Yubico)"},
    {under(0xAC, 0xAB), "Touch policy (Yubico)"},
    {top(0xAC), "Asymmetric key generation template"},
    {under(0x53, 0x30), "FASC-N"},
    {under(0x53, 0x32), "Organizational identifier"},
    {under(0x53, 0x33), "DUNS"},
    {under(0x53, 0x34), "GUID"},
    {under(0x53, 0x35), "Expiration date"},
    {under(0x53, 0x36), "Cardholder UUID"},
    {under(0x53, 0x3E), "Issuer asymmetric signature"},
    {under(0x53, 0x70), "Certificate"},
    {under(0x53, 0x71), "Certificate info"},
    {under(0x53, 0x72), "MSCUID"},
    {under(0x53, 0xFE), "Error detection code"},
    {0x7C, "Dynamic authentication template"},
    {under(0x7C, 0x80), "Witness"},
    {under(0x7C, 0x81), "Challenge"},
    {under(0x7C, 0x82), "Response"},
    {under(0x7C, 0x85), "Exponentiation"},
    {0x7E, "Discovery object"},
    {0x7F49, "Public key"},
    {under(0x7F49, 0x81), "RSA modulus"},
    {under(0x7F49, 0x82), "RSA public exponent"},
    {under(0x7F49, 0x86), "EC point"},
};

// OpenPGP card 3.4 §4.4 (data objects) and §7.2.14 (GENERATE, key import).
constexpr Named kOpenPgpTags[] = {
    {0x0101, "Private use DO 1"},
    {0x0102, "Private use DO 2"},
    {0x0103, "Private use DO 3"},
    {0x0104, "Private use DO 4"},
    {0x4D, "Extended header list (key import)"},
    {0x4F, "Application identifier (AID)"},
    {0x5B, "Name"},
    {0x5E, "Login data"},
    {0x5F2D, "Language preference"},
    {0x5F35, "Sex"},
    {0x5F48, "Cardholder private key"},
    {0x5F50, "URL"},
    {0x5F52, "Historical bytes"},
    {0x65, "Cardholder related data"},
    {0x6E, "Application related data"},
    {0x73, "Discretionary data objects"},
    {0x7A, "Security support template"},
    {under(0x7A, 0x93), "Digital signature counter"},
    {0x7F21, "Cardholder certificate"},
    {0x7F48, "Cardholder private key template"},
    {0x7F49, "Public key"},
    {under(0x7F49, 0x81), "RSA modulus"},
    {under(0x7F49, 0x82), "RSA public exponent"},
    {under(0x7F49, 0x86), "EC public key"},
    {0x7F66, "Extended length information"},
    {0x7F74, "General feature management"},
    {top(0xA4), "Authentication key (CRT)"},
    {top(0xB6), "Signature key (CRT)"},
    {top(0xB8), "Decryption key (CRT)"},
    {under(0x4D, 0xA4), "Authentication key (CRT)"},
    {under(0x4D, 0xB6), "Signature key (CRT)"},
    {under(0x4D, 0xB8), "Decryption key (CRT)"},
    {0xC0, "Extended capabilities"},
    {0xC1, "Algorithm attributes: signature"},
    {0xC2, "Algorithm attributes: decryption"},
    {0xC3, "Algorithm attributes: authentication"},
    {0xC4, "PW status bytes"},
    {0xC5, "Fingerprints"},
    {0xC6, "CA fingerprints"},
    {0xC7, "Fingerprint: signature key"},
    {0xC8, "Fingerprint: decryption key"},
    {0xC9, "Fingerprint: authentication key"},
    {0xCA, "CA fingerprint 1"},
    {0xCB, "CA fingerprint 2"},
    {0xCC, "CA fingerprint 3"},
    {0xCD, "Key generation timestamps"},
    {0xCE, "Generation timestamp: signature key"},
    {0xCF, "Generation timestamp: decryption key"},
    {0xD0, "Generation timestamp: authentication key"},
    {0xD1, "Secure messaging key ENC"},
    {0xD2, "Secure messaging key MAC"},
    {0xD3, "Resetting code"},
    {0xD5, "AES key for PSO:ENC/DEC"},
    {0xD6, "User interaction flag: signature"},
    {0xD7, "User interaction flag: decryption"},
    {0xD8, "User interaction flag: authentication"},
    {0xD9, "User interaction flag: attestation (Yubico)"},
    {0xDE, "Key information"},
    {0xF9, "KDF-DO"},
    {0xFA, "Algorithm information"},
};

constexpr Named kPivEncapsulating[] = {
    {0x53, "PIV data object container"},
};

constexpr TagTable kTagTables[] = {
    {AppletKind::Unknown, kIsoTags},
    {AppletKind::GlobalPlatform, kGlobalPlatformTags},
    {AppletKind::Emv, kEmvTags},
    {AppletKind::Piv, kPivTags},
    {AppletKind::OpenPgp, kOpenPgpTags},
};

NameTable table_of(AppletKind context) {
    for (const TagTable& t : kTagTables)
        if (t.context == context) return t.entries;
    return {};
}

// The parent whose rows also serve `parent` (FCI and FMD share the FCP's rows,
// all control reference templates share the authentication template's).
uint32_t alias_of(uint32_t parent) {
    switch (parent) {
        case 0x6F:
        case 0x64: return 0x62;
        case 0xA6:
        case 0xAA:
        case 0xB4:
        case 0xB6:
        case 0xB8: return 0xA4;
        default: return parent;
    }
}

const Named* find_in(NameTable table, uint32_t tag, uint32_t parent) {
    if (const Named* n = find_value(table, tag_key(parent, tag))) return n;
    if (const uint32_t alias = alias_of(parent); alias != parent)
        if (const Named* n = find_value(table, tag_key(alias, tag))) return n;
    return find_value(table, tag_key(kAnyParent, tag));
}

}  // namespace

std::span<const TagTable> tag_tables() { return kTagTables; }

NameTable encapsulating_tags(AppletKind applet) {
    if (applet == AppletKind::Piv) return kPivEncapsulating;
    return {};
}

std::string_view tlv_tag_name(uint32_t tag, uint32_t parent, AppletKind applet) {
    if (applet != AppletKind::Unknown)
        if (const Named* n = find_in(table_of(applet), tag, parent)) return n->name;
    if (const Named* n = find_in(table_of(AppletKind::Unknown), tag, parent)) return n->name;
    if (tag > 0xFF) {
        for (AppletKind fallback : {AppletKind::GlobalPlatform, AppletKind::Emv})
            if (fallback != applet)
                if (const Named* n = find_in(table_of(fallback), tag, parent)) return n->name;
    }
    return {};
}

}  // namespace pcscspy
