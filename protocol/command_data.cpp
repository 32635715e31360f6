#include "protocol/command_data.hpp"

#include <span>

#include "protocol/ber_tlv.hpp"
#include "protocol/tlv_tags.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

namespace {

constexpr uint8_t kGpo = 0xA8, kGenerateAc = 0xAE, kInternalAuthenticate = 0x88, kExternalAuthenticate = 0x82,
                  kInitializeUpdate = 0x50, kPutKey = 0xD8, kStoreData = 0xE2, kInstall = 0xE6;

// GlobalPlatform Card Specification 2.3 §11.1.8 table 11-16: key types.
constexpr Named kGpKeyTypes[] = {
    {0x80, "DES"},
    {0x82, "triple DES in CBC mode"},
    {0x83, "DES in ECB mode"},
    {0x84, "DES in CBC mode"},
    {0x85, "TLS pre-shared key"},
    {0x88, "AES"},
    {0x90, "HMAC-SHA1"},
    {0x91, "HMAC-SHA1-160"},
    {0xA0, "RSA public exponent e"},
    {0xA1, "RSA modulus N"},
    {0xA2, "RSA private modulus N"},
    {0xA3, "RSA private exponent d"},
    {0xA4, "RSA CRT P"},
    {0xA5, "RSA CRT Q"},
    {0xA6, "RSA CRT PQ"},
    {0xA7, "RSA CRT DP1"},
    {0xA8, "RSA CRT DQ1"},
    {0xB0, "ECC public key"},
    {0xB1, "ECC private key"},
    {0xB2, "ECC field parameter P"},
    {0xB3, "ECC field parameter A"},
    {0xB4, "ECC field parameter B"},
    {0xB5, "ECC field parameter G"},
    {0xB6, "ECC field parameter N"},
    {0xB7, "ECC field parameter k"},
    {0xF0, "ECC key parameters reference"},
    {0xFF, "extended format"},
};

// EMV Book 3 §6.5.5.4: cryptogram information data, bits 8-7.
constexpr Named kCryptogramTypes[] = {
    {0x00, "AAC"},
    {0x40, "TC"},
    {0x80, "ARQC"},
    {0xC0, "RFU"},
};

std::string tag_text(uint32_t tag, AppletKind context) {
    std::string s = tag_hex(tag);
    if (std::string_view name = tlv_tag_name(tag, kTopLevelTag, context); !name.empty())
        s += " " + std::string(name);
    return s;
}

std::string bytes_text(ByteView v) { return v.empty() ? std::string("(empty)") : to_hex(v); }

// "label (N): HEX" for a fixed part of the data, or "label: missing".
void fixed(std::vector<std::string>& out, ByteView data, size_t& at, size_t n, const std::string& label) {
    if (at + n > data.size()) {
        out.push_back(label + ": missing (" + std::to_string(data.size() - std::min(at, data.size())) + " of " +
                      std::to_string(n) + " bytes)");
        at = data.size();
        return;
    }
    out.push_back(label + " (" + std::to_string(n) + "): " + to_hex(data.subspan(at, n)));
    at += n;
}

void rest(std::vector<std::string>& out, ByteView data, size_t at, const std::string& label) {
    if (at < data.size()) out.push_back(label + " (" + std::to_string(data.size() - at) + "): " + to_hex(data.subspan(at)));
}

// EMV: the values of a data object list, under a heading naming the list.
void dol_values(std::vector<std::string>& out, const std::string& what, ByteView dol, ByteView values) {
    if (dol.empty()) {
        out.push_back(std::to_string(values.size()) + " bytes of " + what + " data (the " + what +
                      " was not seen in this session)");
        return;
    }
    out.push_back(what + " " + to_hex(dol) + ":");
    for (std::string& l : dol_value_lines(dol, values, AppletKind::Emv)) out.push_back("  " + l);
}

std::vector<std::string> emv_command(const CommandApdu& a, ByteView data, const EmvLists& lists) {
    std::vector<std::string> out;
    switch (a.ins) {
    case kGpo: {
        // Data: the command template 83 holding the PDOL values.
        const TlvParse p = parse_ber_tlv(data, 1);
        if (!p.ok() || p.nodes.size() != 1 || p.nodes[0].tag != 0x83) {
            out.push_back("not a command template (83): " + bytes_text(data));
            break;
        }
        const ByteView values = data.subspan(p.nodes[0].value_offset, p.nodes[0].length);
        out.push_back("83 Command template (" + std::to_string(values.size()) + ")" +
                      (values.empty() ? ": empty (no PDOL data)" : ""));
        if (!values.empty()) dol_values(out, "PDOL", lists.pdol, values);
        break;
    }
    case kGenerateAc: {
        // The first GENERATE AC of a transaction fills CDOL1, the second CDOL2.
        const bool second = lists.generate_ac_count >= 1;
        dol_values(out, second ? "CDOL2" : "CDOL1", second ? lists.cdol2 : lists.cdol1, data);
        break;
    }
    case kInternalAuthenticate:
        dol_values(out, "DDOL", lists.ddol, data);
        break;
    case kExternalAuthenticate: {
        // Issuer authentication data (91): ARPC then the authorisation response
        // code (ARPC method 1) or the card status update (method 2).
        size_t at = 0;
        if (data.size() == 10) {
            fixed(out, data, at, 8, "ARPC");
            fixed(out, data, at, 2, "Authorisation response code");
        } else if (data.size() >= 8) {
            fixed(out, data, at, 4, "ARPC");
            fixed(out, data, at, 4, "Card status update");
            rest(out, data, at, "Proprietary authentication data");
        } else {
            rest(out, data, 0, "Issuer authentication data");
        }
        break;
    }
    default:
        break;
    }
    return out;
}

void gp_put_key(std::vector<std::string>& out, ByteView data) {
    if (data.empty()) return;
    out.push_back("Key version number: " + hex2(data[0]));
    size_t at = 1;
    for (unsigned key = 1; at < data.size(); ++key) {
        const uint8_t type = data[at++];
        std::string line = "Key " + std::to_string(key) + ": ";
        const Named* t = find_value(kGpKeyTypes, type);
        line += t ? std::string(t->name) : "key type " + hex2(type);
        if (at >= data.size()) {
            out.push_back(line + ", length missing");
            return;
        }
        const size_t length = data[at++];
        if (at + length > data.size()) {
            out.push_back(line + ", " + std::to_string(length) + " bytes announced, " +
                          std::to_string(data.size() - at) + " left");
            return;
        }
        // The key value is encrypted with the session's data key: its length says enough.
        line += ", " + std::to_string(length) + " bytes (encrypted)";
        at += length;
        if (at < data.size()) {
            const size_t kcv = data[at++];
            if (at + kcv > data.size()) {
                out.push_back(line + ", check value runs past the end");
                return;
            }
            line += kcv ? ", check value " + to_hex(data.subspan(at, kcv)) : ", no check value";
            at += kcv;
        }
        out.push_back(line);
    }
}

// STORE DATA in DGI format (P1 b4 set): 2-byte DGI, length (1 byte, or FF and
// 2 bytes), data (GP Card Spec 2.3 §11.11.2.2; EMV CPS).
void gp_dgis(std::vector<std::string>& out, ByteView data) {
    size_t at = 0;
    while (at < data.size()) {
        if (at + 3 > data.size()) {
            out.push_back("truncated DGI header at offset " + std::to_string(at));
            return;
        }
        const uint16_t dgi = static_cast<uint16_t>(data[at] << 8 | data[at + 1]);
        size_t length = data[at + 2];
        at += 3;
        if (length == 0xFF) {
            if (at + 2 > data.size()) {
                out.push_back("DGI " + hex4(dgi) + ": truncated length");
                return;
            }
            length = static_cast<size_t>(data[at] << 8 | data[at + 1]);
            at += 2;
        }
        if (at + length > data.size()) {
            out.push_back("DGI " + hex4(dgi) + ": " + std::to_string(length) + " bytes announced, " +
                          std::to_string(data.size() - at) + " left");
            return;
        }
        out.push_back("DGI " + hex4(dgi) + " (" + std::to_string(length) + ")");
        at += length;
    }
}

// INSTALL [for load / install / make selectable]: length-prefixed fields
// (GP Card Spec 2.3 §11.5.2.3).
void gp_install(std::vector<std::string>& out, uint8_t p1, ByteView data) {
    static constexpr const char* kForInstall[] = {"Executable load file AID", "Executable module AID",
                                                  "Application AID", "Privileges", "Install parameters",
                                                  "Install token"};
    static constexpr const char* kForLoad[] = {"Load file AID", "Security domain AID", "Load file data block hash",
                                               "Load parameters", "Load token"};
    static constexpr const char* kForMakeSelectable[] = {"(empty)", "(empty)", "Application AID", "Privileges",
                                                         "Make selectable parameters", "Make selectable token"};
    std::span<const char* const> names;
    if (p1 & 0x04) names = kForInstall;
    else if (p1 & 0x02) names = kForLoad;
    else if (p1 & 0x08) names = kForMakeSelectable;
    else return;
    size_t at = 0;
    for (const char* name : names) {
        if (at >= data.size()) {
            out.push_back(std::string(name) + ": missing");
            return;
        }
        const size_t length = data[at++];
        if (at + length > data.size()) {
            out.push_back(std::string(name) + ": " + std::to_string(length) + " bytes announced, " +
                          std::to_string(data.size() - at) + " left");
            return;
        }
        const ByteView v = data.subspan(at, length);
        std::string line = std::string(name) + " (" + std::to_string(length) + ")";
        if (length) line += ": " + to_hex(v);
        if (std::string_view(name).ends_with("AID") && length)
            if (const KnownAid* k = find_aid(v)) line += " (" + std::string(k->name) + ")";
        out.push_back(line);
        at += length;
    }
    rest(out, data, at, "Unexpected bytes");
}

std::vector<std::string> gp_command(const CommandApdu& a, ByteView data) {
    std::vector<std::string> out;
    size_t at = 0;
    switch (a.ins) {
    case kInitializeUpdate:
        fixed(out, data, at, data.size() == 8 ? 8 : data.size(), "Host challenge");
        break;
    case kExternalAuthenticate:
        fixed(out, data, at, 8, "Host cryptogram");
        rest(out, data, at, "C-MAC");
        break;
    case kPutKey:
        gp_put_key(out, data);
        break;
    case kStoreData:
        if ((a.p1 & 0x18) == 0x08) gp_dgis(out, data);
        break;
    case kInstall:
        gp_install(out, a.p1, data);
        break;
    default:
        break;
    }
    return out;
}

}  // namespace

DolParse parse_dol(ByteView dol) {
    DolParse p;
    size_t at = 0;
    while (at < dol.size()) {
        uint32_t tag = dol[at++];
        if ((tag & 0x1F) == 0x1F) {
            do {
                if (at >= dol.size() || tag > 0xFFFFFF) {
                    p.ok = false;
                    return p;
                }
                tag = tag << 8 | dol[at];
            } while (dol[at++] & 0x80);
        }
        if (at >= dol.size()) {
            p.ok = false;
            return p;
        }
        p.entries.push_back({tag, dol[at++]});
    }
    return p;
}

std::vector<std::string> dol_value_lines(ByteView dol, ByteView values, AppletKind context) {
    std::vector<std::string> out;
    const DolParse list = parse_dol(dol);
    size_t at = 0;
    for (const DolEntry& e : list.entries) {
        std::string line = tag_text(e.tag, context) + " (" + std::to_string(e.length) + ")";
        if (at + e.length > values.size()) {
            out.push_back(line + ": missing");
            at = values.size();
            continue;
        }
        out.push_back(line + ": " + bytes_text(values.subspan(at, e.length)));
        at += e.length;
    }
    if (!list.ok) out.push_back("the list is malformed after " + std::to_string(list.entries.size()) + " entries");
    if (at < values.size())
        out.push_back(std::to_string(values.size() - at) + " bytes more than the list: " + to_hex(values.subspan(at)));
    return out;
}

std::vector<std::string> command_data_fields(const CommandApdu& apdu, ByteView data, const InsName& name,
                                             AppletKind applet, const EmvLists& lists) {
    if (!name.known()) return {};
    const AppletKind set = name.table != AppletKind::Unknown ? name.table : applet;
    if (set == AppletKind::Emv) return emv_command(apdu, data, lists);
    if (set == AppletKind::GlobalPlatform) return gp_command(apdu, data);
    return {};
}

std::vector<std::string> afl_lines(ByteView afl) {
    std::vector<std::string> out;
    for (size_t at = 0; at + 4 <= afl.size(); at += 4) {
        const unsigned sfi = afl[at] >> 3, first = afl[at + 1], last = afl[at + 2], oda = afl[at + 3];
        std::string s = "SFI " + std::to_string(sfi) + ", record" + (first == last ? " " : "s ") +
                        std::to_string(first) + (first == last ? "" : "-" + std::to_string(last));
        if (oda) s += " (" + std::to_string(oda) + " for offline data authentication)";
        out.push_back(s);
    }
    if (afl.size() % 4) out.push_back(std::to_string(afl.size() % 4) + " bytes left over (entries are 4 bytes)");
    return out;
}

std::vector<std::string> response_data_fields(uint8_t ins, const InsName& name, AppletKind applet, ByteView data) {
    std::vector<std::string> out;
    const AppletKind set = name.table != AppletKind::Unknown ? name.table : applet;
    size_t at = 0;
    if (set == AppletKind::Emv && (ins == kGpo || ins == kGenerateAc)) {
        const TlvParse p = parse_ber_tlv(data, 1);
        if (!p.ok() || p.nodes.empty()) return out;
        const ByteView v = data.subspan(p.nodes[0].value_offset, p.nodes[0].length);
        if (p.nodes[0].tag == 0x80 && ins == kGpo) {
            // Format 1 (EMV Book 3 §6.5.8.4): AIP then AFL.
            out.push_back("80 Response message template format 1:");
            fixed(out, v, at, 2, "  82 Application interchange profile (AIP)");
            out.push_back("  94 Application file locator (AFL) (" + std::to_string(v.size() - at) + "):");
            for (std::string& l : afl_lines(v.subspan(at))) out.push_back("    " + l);
        } else if (p.nodes[0].tag == 0x80) {
            // Format 1 (EMV Book 3 §6.5.5.4): CID, ATC, AC, issuer application data.
            out.push_back("80 Response message template format 1:");
            if (!v.empty()) {
                out.push_back("  9F27 Cryptogram information data (1): " + hex2(v[0]) + " (" +
                              std::string(find_value(kCryptogramTypes, v[0] & 0xC0)->name) + ")");
                at = 1;
            }
            fixed(out, v, at, 2, "  9F36 Application transaction counter (ATC)");
            fixed(out, v, at, 8, "  9F26 Application cryptogram");
            rest(out, v, at, "  9F10 Issuer application data");
        } else if (p.nodes[0].tag == 0x77 && ins == kGpo) {
            // Format 2: the AFL (94) spelled out.
            const TlvParse inner = parse_ber_tlv(data, 2);
            for (const TlvNode& n : inner.nodes)
                if (n.tag == 0x94 && n.parent == 0) {
                    out.push_back("94 Application file locator (AFL):");
                    for (std::string& l : afl_lines(data.subspan(n.value_offset, n.length))) out.push_back("  " + l);
                }
        }
        return out;
    }
    if (set == AppletKind::GlobalPlatform && ins == kInitializeUpdate && data.size() >= 28) {
        // GP Card Spec 2.3 §E.5.1.6 (SCP02) and Amendment D §7.1.1 (SCP03).
        fixed(out, data, at, 10, "Key diversification data");
        fixed(out, data, at, 1, "Key version number");
        const uint8_t scp = data[at];
        fixed(out, data, at, 1, "Secure channel protocol");
        if (scp == 0x03) {
            fixed(out, data, at, 1, "SCP03 i parameter");
            fixed(out, data, at, 8, "Card challenge");
            fixed(out, data, at, 8, "Card cryptogram");
            rest(out, data, at, "Sequence counter");
        } else {
            fixed(out, data, at, 2, "Sequence counter");
            fixed(out, data, at, 6, "Card challenge");
            fixed(out, data, at, 8, "Card cryptogram");
            rest(out, data, at, "Unexpected bytes");
        }
    }
    return out;
}

}  // namespace pcscspy
