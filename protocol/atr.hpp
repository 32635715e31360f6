// Answer To Reset (ISO/IEC 7816-3, historical bytes ISO/IEC 7816-4 §8):
// parse_atr() reads every byte it can and keeps it, and reports each problem
// (missing bytes, wrong TS, invalid TCK, trailing bytes) with its offset.
// atr_lines() is the human breakdown shown by pcscspy-decode and the views.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/hex.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// ISO 7816-3 table 7: Fi with its maximum clock frequency (index = TA1 high
// nibble); fi 0 marks RFU values.
struct FiFmax {
    uint16_t fi;
    uint32_t fmax_khz;
};
inline constexpr FiFmax kFiTable[16] = {
    {372, 4000},  {372, 5000},  {558, 6000},   {744, 8000},   {1116, 12000}, {1488, 16000}, {1860, 20000}, {0, 0},
    {0, 0},       {512, 5000},  {768, 7500},   {1024, 10000}, {1536, 15000}, {2048, 20000}, {0, 0},        {0, 0},
};
// ISO 7816-3 table 8: Di (index = TA1 low nibble); 0 marks RFU values.
inline constexpr uint8_t kDiTable[16] = {0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0};

// Compact-TLV tags of the historical bytes (ISO 7816-4 §8.1.1.2, high nibble).
inline constexpr Named kCompactTlvTags[] = {
    {0x1, "country code", "Country code and national data"},
    {0x2, "issuer identification number", "Issuer identification number (ISO/IEC 7812-1)"},
    {0x3, "card service data", "Card service data byte"},
    {0x4, "initial access data", "Initial access data"},
    {0x5, "card issuer's data", "Card issuer's data"},
    {0x6, "pre-issuing data", "Pre-issuing data"},
    {0x7, "card capabilities", "Card capabilities"},
    {0x8, "status indicator", "Status indicator (LCS, SW1-SW2)"},
    {0xF, "application identifier", "Application identifier (AID)"},
};

// Life cycle status byte (ISO 7816-4 table 13), as in status indicators.
inline constexpr Named kLifeCycleStatus[] = {
    {0x00, "no information given"},
    {0x01, "creation state"},
    {0x03, "initialisation state"},
    {0x04, "operational state (deactivated)"},
    {0x05, "operational state (activated)"},
    {0x06, "operational state (deactivated)"},
    {0x07, "operational state (activated)"},
    {0x0C, "termination state"},
    {0x0D, "termination state"},
    {0x0E, "termination state"},
    {0x0F, "termination state"},
};

enum class AtrConvention : uint8_t { Direct, Inverse };

// What an interface byte means, decided by its position and the protocol of the
// TD before it (ISO 7816-3 §8.3).
enum class AtrByteRole : uint8_t {
    Td,                 // TDi: Y(i+1) and T
    FiDi,               // TA1
    Vpp,                // TB1 (deprecated)
    ExtraGuardTime,     // TC1
    SpecificMode,       // TA2
    Vpp2,               // TB2 (deprecated)
    WorkWaitingTime,    // TC2, for T=0
    Ifsc,               // first TA for T=1
    BlockCharWaiting,   // first TB for T=1 (BWI/CWI)
    ErrorDetection,     // first TC for T=1 (LRC/CRC)
    ClockStopClass,     // first TA for T=15
    Spu,                // first TB for T=15
    ProtocolSpecific,   // any other TAi/TBi/TCi (meaning left to the protocol)
};

struct AtrInterfaceByte {
    char letter;      // 'A', 'B', 'C', 'D'
    unsigned level;   // i of TAi..TDi, from 1
    uint8_t value;
    size_t offset;    // in the ATR
    // The protocol TAi..TCi refer to: the T of TD(i-1) (15 = global), none at
    // level 1. For TDi: the T it announces.
    std::optional<uint8_t> protocol;
    AtrByteRole role;
    std::string name() const { return std::string("T") + letter + std::to_string(level); }
};

// Interpretation of the interface bytes, defaults applied where ISO gives one.
struct AtrParameters {
    bool ta1_present = false;
    uint8_t fi_index = 1, di_index = 1;  // TA1 nibbles (default 0x11)
    uint16_t fi = 372;                   // 0 when RFU
    uint32_t fmax_khz = 5000;            // 0 when RFU
    uint8_t di = 1;                      // 0 when RFU
    std::optional<uint8_t> extra_guard_time;  // TC1 (N); 255 = minimum guard time
    struct SpecificMode {
        uint8_t protocol;
        bool can_change;           // bit 8 = 0: may switch to negotiable mode
        bool implicit_parameters;  // bit 5 = 1: Fi/Di implicit, not from TA1
    };
    std::optional<SpecificMode> specific_mode;  // TA2 present
    std::optional<uint8_t> wi;                  // TC2 (T=0), default 10
    std::optional<uint8_t> ifsc;                // T=1, default 32
    std::optional<uint8_t> bwi, cwi;            // T=1, defaults 4 and 13
    std::optional<bool> crc;                    // T=1: true CRC, false LRC (default)
    std::optional<uint8_t> clock_stop;          // T=15 TA: 0 none, 1 state L, 2 state H, 3 no preference
    std::optional<uint8_t> class_indicator;     // T=15 TA bits 6-1 (A=1, B=2, C=4)
    std::optional<uint8_t> spu;                 // T=15 TB
};

struct CompactTlv {
    uint8_t tag;    // high nibble of the header byte
    size_t offset;  // of the header byte within the historical bytes
    Bytes value;
};

struct HistoricalBytes {
    std::optional<uint8_t> category;  // T1; nullopt when there are no historical bytes
    std::vector<CompactTlv> objects;   // category 00 and 80
    std::optional<uint8_t> lcs;        // status indicator: life cycle status
    std::optional<uint16_t> sw;        //   and SW1-SW2
    Bytes dir_reference;               // category 10
    Bytes proprietary;                 // category other than 00, 10, 80: all the bytes, T1 included
};

struct AtrIssue {
    enum class Severity : uint8_t { Error, Warning };
    Severity severity;
    size_t offset;
    std::string message;  // one line
};

struct Atr {
    Bytes bytes;                              // the input, as given
    std::optional<uint8_t> ts;
    std::optional<AtrConvention> convention;  // nullopt when TS is neither 3B nor 3F
    std::optional<uint8_t> t0;
    unsigned historical_count = 0;            // K, as announced by T0
    std::vector<AtrInterfaceByte> interface_bytes;
    // Offered protocols, ascending and unique: the T of every TDi, or T=0
    // implicitly when TD1 is absent. 15 ("T=15") means global interface bytes.
    std::vector<uint8_t> protocols;
    bool t0_implicit = false;
    AtrParameters parameters;
    Bytes historical;                         // as many of the K bytes as are present
    HistoricalBytes historical_decoded;
    bool tck_required = false;                // some protocol other than T=0 is offered
    std::optional<uint8_t> tck;
    bool tck_valid = false;                   // XOR of T0..TCK is 0
    Bytes extra;                              // bytes after the end of the ATR
    bool complete = false;                    // every announced byte is present
    std::vector<AtrIssue> issues;

    bool ok() const;  // no Error issue
    bool offers(uint8_t protocol) const;
};

Atr parse_atr(ByteView bytes);

// The historical bytes on their own (also used for the historical bytes an
// ISO 14443 reader builds an ATR from). Problems are appended to `issues` with
// offsets relative to `base`.
HistoricalBytes parse_historical_bytes(ByteView historical, std::vector<AtrIssue>& issues, size_t base = 0);

// "T=0, T=1" (with "T=15 (global)" last when present).
std::string atr_protocols_to_string(const Atr& atr);

// The human breakdown, one line per byte or group, printable ASCII only.
std::vector<std::string> atr_lines(const Atr& atr);

// Text of one interface byte's meaning ("Fi = 372, Di = 4 ...").
std::string interface_byte_meaning(const Atr& atr, const AtrInterfaceByte& b);

}  // namespace pcscspy
