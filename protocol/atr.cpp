#include "protocol/atr.hpp"
#include "protocol/hex.hpp"

#include <algorithm>
#include <cstdio>

namespace pcscspy {

namespace {

std::string dec(uint64_t v) { return std::to_string(v); }
std::string bits4(uint8_t y) {
    std::string s;
    for (int b = 3; b >= 0; --b) s += (y >> b & 1) ? '1' : '0';
    return s;
}

// Printable ASCII of a byte string, '.' for the rest.
std::string ascii(ByteView b) {
    std::string s;
    for (uint8_t c : b) s += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
    return s;
}

void issue(std::vector<AtrIssue>& issues, AtrIssue::Severity sev, size_t offset, std::string msg) {
    issues.push_back(AtrIssue{sev, offset, std::move(msg)});
}
constexpr auto kError = AtrIssue::Severity::Error;
constexpr auto kWarning = AtrIssue::Severity::Warning;

// Card service data byte (ISO 7816-4 table 85), single-bit fields.
constexpr Named kCardServiceBits[] = {
    {0x80, "selection by full DF name"},
    {0x40, "selection by partial DF name"},
    {0x20, "BER-TLV data objects in EF.DIR"},
    {0x10, "BER-TLV data objects in EF.ATR"},
};
// EF.DIR/EF.ATR access services, bits 4-2.
constexpr Named kCardServiceAccess[] = {
    {0x4, "EF.DIR/EF.ATR read by READ BINARY"},
    {0x0, "EF.DIR/EF.ATR read by READ RECORD(S)"},
    {0x2, "EF.DIR/EF.ATR read by GET DATA"},
};
// Card capabilities, first software function table (ISO 7816-4 table 86).
constexpr Named kSelectionMethods[] = {
    {0x80, "DF selection by full DF name"},
    {0x40, "DF selection by partial DF name"},
    {0x20, "DF selection by path"},
    {0x10, "DF selection by file identifier"},
    {0x08, "implicit DF selection"},
    {0x04, "short EF identifier"},
    {0x02, "record number"},
    {0x01, "record identifier"},
};
// Data coding byte, bits 7-6 (ISO 7816-4 table 87).
constexpr Named kWriteBehaviours[] = {
    {0x0, "one-time write"},
    {0x1, "proprietary write"},
    {0x2, "write OR"},
    {0x3, "write AND"},
};
// Third software function table, single-bit fields (ISO 7816-4 table 88).
constexpr Named kCommandCapabilities[] = {
    {0x80, "command chaining"},
    {0x40, "extended Lc and Le"},
    {0x20, "extended length information in EF.ATR/INFO"},
    {0x10, "logical channel assignment by the card"},
    {0x08, "logical channel assignment by the interface device"},
};

void parse_compact_tlv(ByteView h, size_t from, size_t to, HistoricalBytes& out, std::vector<AtrIssue>& issues,
                       size_t base) {
    size_t p = from;
    while (p < to) {
        uint8_t tag = h[p] >> 4;
        size_t len = h[p] & 0x0F;
        CompactTlv obj{tag, p, {}};
        if (len > to - p - 1) {
            issue(issues, kWarning, base + p,
                  "historical bytes: compact-TLV object " + hex2(h[p]) + " at offset " + dec(base + p) +
                      " announces " + dec(len) + " byte(s), only " + dec(to - p - 1) + " left");
            len = to - p - 1;
        }
        obj.value.assign(h.begin() + p + 1, h.begin() + p + 1 + len);
        if (tag == 0x8) {
            const Bytes& v = obj.value;
            if (v.size() == 1 || v.size() == 3) out.lcs = v[0];
            if (v.size() == 2) out.sw = static_cast<uint16_t>(v[0] << 8 | v[1]);
            if (v.size() == 3) out.sw = static_cast<uint16_t>(v[1] << 8 | v[2]);
        }
        out.objects.push_back(std::move(obj));
        p += 1 + len;
    }
}

}  // namespace

HistoricalBytes parse_historical_bytes(ByteView h, std::vector<AtrIssue>& issues, size_t base) {
    HistoricalBytes out;
    if (h.empty()) return out;
    uint8_t cat = h[0];
    out.category = cat;
    if (cat == 0x00) {
        // Compact-TLV objects, then a mandatory status indicator in the last
        // three bytes (LCS, SW1, SW2).
        if (h.size() < 4) {
            issue(issues, kWarning, base,
                  "historical bytes: category 00 needs a 3-byte status indicator at the end, only " +
                      dec(h.size() - 1) + " byte(s) follow");
            parse_compact_tlv(h, 1, h.size(), out, issues, base);
        } else {
            parse_compact_tlv(h, 1, h.size() - 3, out, issues, base);
            out.lcs = h[h.size() - 3];
            out.sw = static_cast<uint16_t>(h[h.size() - 2] << 8 | h[h.size() - 1]);
        }
    } else if (cat == 0x80) {
        parse_compact_tlv(h, 1, h.size(), out, issues, base);
    } else if (cat == 0x10) {
        out.dir_reference.assign(h.begin() + 1, h.end());
    } else {
        if (cat >= 0x81 && cat <= 0x8F)
            issue(issues, kWarning, base, "historical bytes: category indicator " + hex2(cat) + " is RFU");
        out.proprietary.assign(h.begin(), h.end());
    }
    return out;
}

bool Atr::ok() const {
    return std::none_of(issues.begin(), issues.end(), [](const AtrIssue& i) { return i.severity == kError; });
}

bool Atr::offers(uint8_t protocol) const {
    return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

namespace {

// parse_atr in phases: each reads on from `pos`, records what it finds in the
// Atr and its problems as issues, and says whether the next phase can run.
class AtrReader {
public:
    explicit AtrReader(ByteView bytes) : bytes_(bytes) { atr_.bytes.assign(bytes.begin(), bytes.end()); }

    Atr take() && {
        if (read_ts_and_t0() && read_interface_bytes() && read_historical_bytes() && read_tck()) check_length();
        return std::move(atr_);
    }

private:
    // TS (the convention) and T0 (Y1 and K).
    bool read_ts_and_t0() {
        if (bytes_.empty()) {
            issue(atr_.issues, kError, 0, "empty ATR");
            return false;
        }
        const uint8_t ts = bytes_[0];
        atr_.ts = ts;
        if (ts == 0x3B) {
            atr_.convention = AtrConvention::Direct;
        } else if (ts == 0x3F) {
            atr_.convention = AtrConvention::Inverse;
        } else {
            issue(atr_.issues, kError, 0,
                  "TS = " + hex2(ts) + ": neither 3B (direct) nor 3F (inverse convention)" +
                      (ts == 0x03 ? "; 03 is 3F read with the wrong convention" : ""));
        }
        if (bytes_.size() < 2) {
            issue(atr_.issues, kError, 1, "the ATR ends after TS: T0 is missing");
            return false;
        }
        atr_.t0 = bytes_[1];
        atr_.historical_count = bytes_[1] & 0x0F;
        pos_ = 2;
        return true;
    }

    // TAi, TBi, TCi, TDi level by level: Y(i) in the high nibble of T0/TD(i-1)
    // says which of them follow. Then the offered protocols.
    bool read_interface_bytes() {
        static constexpr char kLetters[] = {'A', 'B', 'C', 'D'};
        unsigned level = 1;
        uint8_t y = bytes_[1] >> 4;
        std::string announcer = "T0 = " + hex2(bytes_[1]);
        std::optional<uint8_t> prev_t;  // T of TD(level-1)
        bool truncated = false;
        while (!truncated) {
            bool has_td = false;
            for (int k = 0; k < 4; ++k) {
                if (!(y >> k & 1)) continue;
                const char letter = kLetters[k];
                if (pos_ >= bytes_.size()) {
                    issue(atr_.issues, kError, pos_,
                          "the ATR ends at offset " + dec(pos_) + ": T" + letter + dec(level) +
                              " is missing (announced by " + announcer + ")");
                    truncated = true;
                    break;
                }
                AtrInterfaceByte b{letter, level, bytes_[pos_], pos_, prev_t, AtrByteRole::ProtocolSpecific};
                if (letter == 'D') {
                    b.role = AtrByteRole::Td;
                    b.protocol = static_cast<uint8_t>(b.value & 0x0F);
                    offered_.push_back(b.value & 0x0F);
                    has_td = true;
                } else {
                    b.role = role_of(b, k);
                }
                atr_.interface_bytes.push_back(b);
                ++pos_;
            }
            if (!has_td) break;
            const AtrInterfaceByte& td = atr_.interface_bytes.back();
            prev_t = td.value & 0x0F;
            y = td.value >> 4;
            announcer = td.name() + " = " + hex2(td.value);
            ++level;
        }
        settle_protocols();
        return !truncated;
    }

    // The role of TAi/TBi/TCi (k = 0, 1, 2) from its level and the protocol
    // before it, and the parameter it sets (ISO 7816-3 §8.3).
    AtrByteRole role_of(const AtrInterfaceByte& b, int k) {
        AtrParameters& p = atr_.parameters;
        const uint8_t v = b.value;
        if (b.level == 1) {
            if (k == 0) {
                p.ta1_present = true;
                p.fi_index = v >> 4;
                p.di_index = v & 0x0F;
                p.fi = kFiTable[p.fi_index].fi;
                p.fmax_khz = kFiTable[p.fi_index].fmax_khz;
                p.di = kDiTable[p.di_index];
                return AtrByteRole::FiDi;
            }
            if (k == 1) return AtrByteRole::Vpp;
            p.extra_guard_time = v;
            return AtrByteRole::ExtraGuardTime;
        }
        if (b.level == 2) {
            if (k == 0) {
                p.specific_mode = AtrParameters::SpecificMode{static_cast<uint8_t>(v & 0x0F), !(v & 0x80),
                                                              (v & 0x10) != 0};
                return AtrByteRole::SpecificMode;
            }
            if (k == 1) return AtrByteRole::Vpp2;
            p.wi = v;
            return AtrByteRole::WorkWaitingTime;
        }
        // Only the first TA, TB, TC after a T=1 or T=15 TD have a meaning here.
        if (b.protocol == 1 && seen_t1_[k]++ == 0) {
            if (k == 0) {
                p.ifsc = v;
                return AtrByteRole::Ifsc;
            }
            if (k == 1) {
                p.bwi = v >> 4;
                p.cwi = v & 0x0F;
                return AtrByteRole::BlockCharWaiting;
            }
            p.crc = (v & 0x01) != 0;
            return AtrByteRole::ErrorDetection;
        }
        if (b.protocol == 15 && seen_t15_[k]++ == 0) {
            if (k == 0) {
                p.clock_stop = v >> 6;
                p.class_indicator = v & 0x3F;
                return AtrByteRole::ClockStopClass;
            }
            if (k == 1) {
                p.spu = v;
                return AtrByteRole::Spu;
            }
        }
        return AtrByteRole::ProtocolSpecific;
    }

    // T=0 is implicit only when T0 announces no TD1 (not when TD1 is missing);
    // TCK is required as soon as a protocol other than T=0 is offered.
    void settle_protocols() {
        if (!(bytes_[1] & 0x80)) {
            atr_.t0_implicit = true;
            offered_.push_back(0);
        }
        atr_.tck_required = std::any_of(offered_.begin(), offered_.end(), [](uint8_t t) { return t != 0; });
        std::sort(offered_.begin(), offered_.end());
        offered_.erase(std::unique(offered_.begin(), offered_.end()), offered_.end());
        atr_.protocols = offered_;
    }

    bool read_historical_bytes() {
        const size_t k = atr_.historical_count;
        const size_t avail = std::min(k, bytes_.size() - pos_);
        atr_.historical.assign(bytes_.begin() + pos_, bytes_.begin() + pos_ + avail);
        atr_.historical_decoded = parse_historical_bytes(atr_.historical, atr_.issues, pos_);
        if (avail < k) {
            issue(atr_.issues, kError, bytes_.size(),
                  "the ATR ends at offset " + dec(bytes_.size()) + ": T0 announces " + dec(k) +
                      " historical byte(s), only " + dec(avail) + " present");
            return false;
        }
        pos_ += k;
        return true;
    }

    // TCK: XOR of T0 up to and including TCK is zero. Then what follows it.
    bool read_tck() {
        uint8_t x = 0;
        for (size_t i = 1; i < pos_; ++i) x ^= bytes_[i];
        if (pos_ >= bytes_.size()) {
            if (!atr_.tck_required) return true;
            issue(atr_.issues, kError, pos_,
                  "the ATR ends at offset " + dec(pos_) +
                      ": TCK is missing (required when a protocol other than T=0 is offered), expected " + hex2(x));
            return false;
        }
        const uint8_t tck = bytes_[pos_];
        atr_.tck = tck;
        atr_.tck_valid = (x ^ tck) == 0;
        if (!atr_.tck_required)
            issue(atr_.issues, kWarning, pos_, "TCK present although only T=0 is offered (ISO 7816-3 says absent)");
        if (!atr_.tck_valid)
            issue(atr_.issues, atr_.tck_required ? kError : kWarning, pos_,
                  "invalid TCK " + hex2(tck) + ", expected " + hex2(x));
        ++pos_;
        atr_.extra.assign(bytes_.begin() + pos_, bytes_.end());
        if (!atr_.extra.empty())
            issue(atr_.issues, kWarning, pos_, dec(atr_.extra.size()) + " byte(s) after the end of the ATR");
        return true;
    }

    void check_length() {
        atr_.complete = true;
        if (bytes_.size() > 33)
            issue(atr_.issues, kWarning, 33, "the ATR is " + dec(bytes_.size()) + " bytes long, ISO 7816-3 allows 33");
    }

    ByteView bytes_;
    Atr atr_;
    size_t pos_ = 0;
    std::vector<uint8_t> offered_;
    unsigned seen_t1_[3] = {0, 0, 0}, seen_t15_[3] = {0, 0, 0};  // TA, TB, TC after T=1 / T=15, levels > 2
};

}  // namespace

Atr parse_atr(ByteView bytes) { return AtrReader(bytes).take(); }

std::string atr_protocols_to_string(const Atr& atr) {
    std::string s;
    for (uint8_t t : atr.protocols) {
        if (!s.empty()) s += ", ";
        s += "T=" + dec(t);
        if (t == 15) s += " (global)";
        if (t == 0 && atr.t0_implicit) s += " (implicit)";
    }
    return s;
}

namespace {

// "1.5" for 1500 kHz -> MHz with at most one decimal.
std::string mhz(uint32_t khz) {
    char buf[32];
    if (khz % 1000 == 0) std::snprintf(buf, sizeof buf, "%u MHz", khz / 1000);
    else std::snprintf(buf, sizeof buf, "%.1f MHz", khz / 1000.0);
    return buf;
}

std::string fi_di_meaning(const AtrParameters& p) {
    std::string s;
    s += p.fi ? "Fi = " + dec(p.fi) : "Fi = RFU (" + dec(p.fi_index) + ")";
    s += p.di ? ", Di = " + dec(p.di) : ", Di = RFU (" + dec(p.di_index) + ")";
    if (p.fi && p.di) {
        char buf[96];
        double cycles = static_cast<double>(p.fi) / p.di;
        double rate = p.fmax_khz * 1000.0 / cycles;
        if (p.fi % p.di == 0) std::snprintf(buf, sizeof buf, ", %u cycles/ETU", p.fi / p.di);
        else std::snprintf(buf, sizeof buf, ", %.2f cycles/ETU", cycles);
        s += buf;
        std::snprintf(buf, sizeof buf, " (%.0f bit/s at fmax = %s)", rate, mhz(p.fmax_khz).c_str());
        s += buf;
    } else if (p.fi) {
        s += ", fmax = " + mhz(p.fmax_khz);
    }
    return s;
}

std::string next_bytes(uint8_t td_or_t0, unsigned next_level) {
    uint8_t y = td_or_t0 >> 4;
    std::string s = "Y" + dec(next_level) + " = " + bits4(y);
    std::string which;
    static constexpr char kLetters[] = {'A', 'B', 'C', 'D'};
    for (int k = 0; k < 4; ++k)
        if (y >> k & 1) which += std::string(which.empty() ? "" : " ") + "T" + kLetters[k] + dec(next_level);
    if (!which.empty()) s += " (" + which + ")";
    return s;
}

}  // namespace

std::string interface_byte_meaning(const Atr& atr, const AtrInterfaceByte& b) {
    const AtrParameters& p = atr.parameters;
    uint8_t v = b.value;
    switch (b.role) {
    case AtrByteRole::Td:
        return next_bytes(v, b.level + 1) + ", T = " + dec(v & 0x0F) + ((v & 0x0F) == 15 ? " (global interface bytes follow)" : "");
    case AtrByteRole::FiDi:
        return fi_di_meaning(p);
    case AtrByteRole::Vpp:
        if (v == 0) return "VPP not connected (deprecated)";
        return "PI1 = " + dec(v & 0x1F) + ", II = " + dec(v >> 5 & 0x03) + " (programming voltage, deprecated)";
    case AtrByteRole::ExtraGuardTime:
        if (v == 255) return "N = 255: minimum guard time (12 ETU for T=0, 11 ETU for T=1)";
        return "extra guard time N = " + dec(v) + " ETU";
    case AtrByteRole::SpecificMode: {
        std::string s = "specific mode, T = " + dec(v & 0x0F);
        s += (v & 0x80) ? ", unable to change mode" : ", can change to negotiable mode";
        s += (v & 0x10) ? ", implicit Fi/Di" : ", Fi/Di from TA1";
        if (v & 0x60) s += ", RFU bits set";
        return s;
    }
    case AtrByteRole::Vpp2:
        return "PI2 = " + dec(v) + " (programming voltage, deprecated)";
    case AtrByteRole::WorkWaitingTime:
        if (v == 0) return "WI = 0: RFU";
        return "WI = " + dec(v) + " for T=0: WT = " + dec(960u * v) + " x Fi/f";
    case AtrByteRole::Ifsc:
        if (v == 0 || v == 0xFF) return "IFSC = " + dec(v) + ": RFU";
        return "IFSC = " + dec(v) + " for T=1";
    case AtrByteRole::BlockCharWaiting: {
        uint8_t bwi = v >> 4, cwi = v & 0x0F;
        std::string s = "BWI = " + dec(bwi) + ", CWI = " + dec(cwi) + " for T=1: CWT = " + dec(11u + (1u << cwi)) + " ETU";
        if (bwi > 9) {
            s += ", BWI RFU";
        } else {
            char buf[64];
            // BWT = 11 ETU + 2^BWI x 960 x Fd / f, Fd = 372, shown at f = 4 MHz.
            std::snprintf(buf, sizeof buf, ", BWT = 11 ETU + %.1f ms at 4 MHz", (1u << bwi) * 960.0 * 372.0 / 4000.0);
            s += buf;
        }
        return s;
    }
    case AtrByteRole::ErrorDetection:
        return std::string("error detection for T=1: ") + ((v & 0x01) ? "CRC" : "LRC") + ((v & 0xFE) ? ", RFU bits set" : "");
    case AtrByteRole::ClockStopClass: {
        static constexpr const char* kClockStop[] = {"clock stop not supported", "clock stop in state L",
                                                     "clock stop in state H", "clock stop, no preference"};
        std::string s = kClockStop[v >> 6];
        std::string classes;
        static constexpr const char* kClasses[] = {"A (5 V)", "B (3 V)", "C (1.8 V)"};
        for (int k = 0; k < 3; ++k)
            if (v >> k & 1) classes += std::string(classes.empty() ? "" : ", ") + kClasses[k];
        s += ", class " + (classes.empty() ? std::string("none") : classes);
        if (v & 0x38) s += ", RFU class bits";
        return s;
    }
    case AtrByteRole::Spu:
        if (v == 0) return "SPU: contact C6 not used";
        return std::string("SPU: ") + ((v & 0x80) ? "proprietary" : "standard") + " use of contact C6";
    case AtrByteRole::ProtocolSpecific:
        break;
    }
    if (!b.protocol) return "global";
    if (*b.protocol == 15) return "global (after T=15)";
    return "specific to T=" + dec(*b.protocol);
}

namespace {

// Lines that explain a compact-TLV object (empty when its value speaks for
// itself).
std::vector<std::string> object_meaning(const CompactTlv& o) {
    const Bytes& v = o.value;
    switch (o.tag) {
    case 0x3:
        if (v.size() == 1) {
            std::string s = (v[0] & 0xF0) ? flags_to_string(kCardServiceBits, v[0] & 0xF0, ", ") + ", " : "";
            if (const Named* n = find_value(kCardServiceAccess, v[0] >> 1 & 0x7)) s += std::string(n->name) + ", ";
            s += (v[0] & 0x01) ? "card without MF" : "card with MF";
            return {s};
        }
        break;
    case 0x7: {
        std::vector<std::string> out;
        if (v.size() >= 1)
            out.push_back("selection methods: " + (v[0] ? flags_to_string(kSelectionMethods, v[0], ", ") : "none"));
        if (v.size() >= 2)
            out.push_back("data coding " + hex2(v[1]) + ": " +
                          std::string(find_value(kWriteBehaviours, v[1] >> 5 & 0x3)->name) +
                          ((v[1] & 0x80) ? ", EFs of TLV structure" : "") + ", data unit of " +
                          dec(1u << (v[1] & 0x0F)) + " quartet(s)");
        if (v.size() >= 3) {
            std::string caps = (v[2] & 0xF8) ? flags_to_string(kCommandCapabilities, v[2] & 0xF8, ", ")
                                             : "no command chaining, short Lc and Le only";
            unsigned channels = v[2] & 0x07;
            out.push_back("commands: " + caps + "; " + (channels == 7 ? std::string("8 or more") : dec(channels + 1)) +
                          " logical channel(s)");
        }
        return out;
    }
    case 0x8: {
        std::string s;
        if (v.size() == 1 || v.size() == 3) {
            const Named* lcs = find_value(kLifeCycleStatus, v[0]);
            s += "LCS " + hex2(v[0]) + " (" + (lcs ? std::string(lcs->name) : v[0] >= 0x10 ? "proprietary" : "RFU") + ")";
        }
        if (v.size() >= 2) s += std::string(s.empty() ? "" : ", ") + "SW " + to_hex(ByteView(v).last(2));
        return {s};
    }
    default:
        break;
    }
    return {};
}

}  // namespace

std::vector<std::string> atr_lines(const Atr& a) {
    std::vector<std::string> out;
    auto line = [&](std::string s) { out.push_back(std::move(s)); };
    line("ATR: " + to_hex_spaced(a.bytes));
    if (a.ts) {
        std::string conv = a.convention == AtrConvention::Direct    ? "direct convention"
                           : a.convention == AtrConvention::Inverse ? "inverse convention"
                                                                    : "invalid";
        line("TS  = " + hex2(*a.ts) + "  " + conv);
    }
    if (a.t0)
        line("T0  = " + hex2(*a.t0) + "  " + next_bytes(*a.t0, 1) + ", K = " + dec(a.historical_count) +
             " historical byte(s)");
    for (const AtrInterfaceByte& b : a.interface_bytes) {
        std::string name = b.name();
        name.resize(std::max<size_t>(name.size(), 3), ' ');
        line(name + " = " + hex2(b.value) + "  " + interface_byte_meaning(a, b));
    }
    if (!a.historical.empty()) {
        line("Historical bytes (" + dec(a.historical.size()) + "): " + to_hex_spaced(a.historical) + "  \"" +
             ascii(a.historical) + "\"");
        const HistoricalBytes& h = a.historical_decoded;
        uint8_t cat = *h.category;
        std::string what = cat == 0x00   ? "compact-TLV objects and a status indicator"
                           : cat == 0x80 ? "compact-TLV objects"
                           : cat == 0x10 ? "DIR data reference"
                           : (cat >= 0x81 && cat <= 0x8F) ? "RFU"
                                                          : "proprietary";
        line("  category indicator " + hex2(cat) + ": " + what);
        for (const CompactTlv& o : h.objects) {
            const Named* t = find_value(kCompactTlvTags, o.tag);
            std::string s = "  " + hex2(static_cast<uint8_t>(o.tag << 4 | (o.value.size() & 0x0F))) + " " +
                            (t ? std::string(t->name) : "tag " + dec(o.tag) + " (RFU)") + ": " +
                            (o.value.empty() ? std::string("(empty)") : to_hex_spaced(o.value));
            std::vector<std::string> meaning = object_meaning(o);
            if (meaning.size() == 1) {
                line(s + " (" + meaning[0] + ")");
            } else {
                line(s);
                for (std::string& m : meaning) line("     " + m);
            }
        }
        if (cat == 0x00 && h.sw) {
            CompactTlv status{0x8, 0, {*h.lcs, static_cast<uint8_t>(*h.sw >> 8), static_cast<uint8_t>(*h.sw)}};
            line("  status indicator: " + object_meaning(status).front());
        }
        if (!h.dir_reference.empty()) line("  DIR data reference: " + to_hex_spaced(h.dir_reference));
    }
    if (a.tck) {
        line("TCK = " + hex2(*a.tck) + "  " + (a.tck_valid ? "valid checksum" : "INVALID checksum") +
             (a.tck_required ? "" : " (not expected: only T=0 offered)"));
    } else if (a.complete) {
        line("TCK   absent (only T=0 offered)");
    }
    if (!a.extra.empty()) line("Extra bytes: " + to_hex_spaced(a.extra));
    if (!a.protocols.empty()) line("Protocols: " + atr_protocols_to_string(a));
    for (const AtrIssue& i : a.issues)
        line(std::string(i.severity == kError ? "Error: " : "Warning: ") + i.message);
    return out;
}

}  // namespace pcscspy
