// ATR parsing (ISO/IEC 7816-3) and the historical bytes (ISO/IEC 7816-4 §8).
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "support.hpp"
#include "protocol/atr.hpp"
#include "protocol/hex.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
Atr atr(std::string_view s) { return parse_atr(hex(s)); }
bool has_line(const std::vector<std::string>& lines, std::string_view text) {
    return std::find(lines.begin(), lines.end(), text) != lines.end();
}
bool mentions(const Atr& a, std::string_view text, AtrIssue::Severity sev) {
    return std::any_of(a.issues.begin(), a.issues.end(), [&](const AtrIssue& i) {
        return i.severity == sev && i.message.find(text) != std::string::npos;
    });
}
constexpr auto kError = AtrIssue::Severity::Error;
constexpr auto kWarning = AtrIssue::Severity::Warning;
const AtrInterfaceByte* find_byte(const Atr& a, char letter, unsigned level) {
    for (const AtrInterfaceByte& b : a.interface_bytes)
        if (b.letter == letter && b.level == level) return &b;
    return nullptr;
}
}  // namespace

TEST_CASE("Fi/Di tables are ISO 7816-3 tables 7 and 8") {
    const uint16_t fi[16] = {372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0};
    const uint32_t fmax[16] = {4000, 5000, 6000, 8000, 12000, 16000, 20000, 0, 0, 5000, 7500, 10000, 15000, 20000, 0, 0};
    for (int i = 0; i < 16; ++i) {
        CAPTURE(i);
        CHECK(kFiTable[i].fi == fi[i]);
        CHECK(kFiTable[i].fmax_khz == fmax[i]);
        CHECK((kFiTable[i].fi == 0) == (kFiTable[i].fmax_khz == 0));
    }
    const uint8_t di[16] = {0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 16; ++i) CHECK(kDiTable[i] == di[i]);
    for (NameTable t : {NameTable(kCompactTlvTags), NameTable(kLifeCycleStatus)}) {
        for (const Named& n : t) {
            CHECK(!n.name.empty());
            CHECK(std::count_if(t.begin(), t.end(), [&](const Named& o) { return o.value == n.value; }) == 1);
        }
    }
}

TEST_CASE("the test bed's card: 3B 95 13 81 01 80 73 FF 01 00 0B is T=1 with a valid TCK") {
    Atr a = atr("3B9513810180 73FF01000B");
    CHECK(a.ok());
    CHECK(a.complete);
    CHECK(a.convention == AtrConvention::Direct);
    CHECK(a.t0 == 0x95);
    CHECK(a.historical_count == 5);
    CHECK(a.protocols == std::vector<uint8_t>{1});
    CHECK_FALSE(a.t0_implicit);
    CHECK(a.parameters.ta1_present);
    CHECK(a.parameters.fi == 372);
    CHECK(a.parameters.di == 4);
    CHECK(a.parameters.fmax_khz == 5000);
    REQUIRE(a.interface_bytes.size() == 3);
    CHECK(a.interface_bytes[0].name() == "TA1");
    CHECK(a.interface_bytes[1].name() == "TD1");
    CHECK(a.interface_bytes[1].protocol == 1);
    CHECK(a.interface_bytes[2].name() == "TD2");
    CHECK(a.interface_bytes[2].offset == 4);
    CHECK(a.historical == hex("80 73 FF 01 00"));
    CHECK(a.historical_decoded.category == 0x80);
    REQUIRE(a.historical_decoded.objects.size() == 1);
    CHECK(a.historical_decoded.objects[0].tag == 7);
    CHECK(a.historical_decoded.objects[0].value == hex("FF 01 00"));
    CHECK(a.tck_required);
    CHECK(a.tck == 0x0B);
    CHECK(a.tck_valid);
    CHECK(a.extra.empty());
    CHECK(a.issues.empty());
    auto lines = atr_lines(a);
    CHECK(lines[0] == "ATR: 3B 95 13 81 01 80 73 FF 01 00 0B");
    CHECK(has_line(lines, "TS  = 3B  direct convention"));
    CHECK(has_line(lines, "TA1 = 13  Fi = 372, Di = 4, 93 cycles/ETU (53763 bit/s at fmax = 5 MHz)"));
    CHECK(has_line(lines, "TD1 = 81  Y2 = 1000 (TD2), T = 1"));
    CHECK(has_line(lines, "Historical bytes (5): 80 73 FF 01 00  \".s...\""));
    CHECK(has_line(lines, "  73 card capabilities: FF 01 00"));
    CHECK(has_line(lines, "TCK = 0B  valid checksum"));
    CHECK(has_line(lines, "Protocols: T=1"));
}

TEST_CASE("the seed article's ATR: Fi 512, IFSC 254, category 00 with a status indicator") {
    Atr a = atr("3B9F958131FE9F006546530530 06 71DF0000008161 0FD9");
    CHECK(a.ok());
    CHECK(a.protocols == std::vector<uint8_t>{1});
    CHECK(a.parameters.fi_index == 9);
    CHECK(a.parameters.fi == 512);
    CHECK(a.parameters.di == 16);
    CHECK(a.parameters.ifsc == 254);
    CHECK(a.parameters.bwi == 9);
    CHECK(a.parameters.cwi == 15);
    CHECK(find_byte(a, 'A', 3)->role == AtrByteRole::Ifsc);
    CHECK(find_byte(a, 'B', 3)->role == AtrByteRole::BlockCharWaiting);
    CHECK(a.historical.size() == 15);
    const HistoricalBytes& h = a.historical_decoded;
    CHECK(h.category == 0x00);
    CHECK(h.lcs == 0x81);
    CHECK(h.sw == 0x610F);
    REQUIRE(h.objects.size() == 5);
    CHECK(h.objects[0].tag == 6);
    CHECK(h.objects[0].value == hex("46 53 05 30 06"));
    CHECK(h.objects[1].tag == 7);
    CHECK(h.objects[1].value == hex("DF"));
    CHECK(h.objects[2].tag == 0);
    CHECK(a.tck == 0xD9);
    CHECK(a.tck_valid);
    auto lines = atr_lines(a);
    CHECK(has_line(lines, "TA3 = FE  IFSC = 254 for T=1"));
    CHECK(has_line(lines, "  65 pre-issuing data: 46 53 05 30 06"));
    CHECK(has_line(lines, "  status indicator: LCS 81 (proprietary), SW 610F"));
}

TEST_CASE("inverse convention, T=0 only: no TCK") {
    Atr a = atr("3F 65 25 00 2C 09 69 90 00");
    CHECK(a.ok());
    CHECK(a.complete);
    CHECK(a.convention == AtrConvention::Inverse);
    CHECK(a.t0_implicit);
    CHECK(a.protocols == std::vector<uint8_t>{0});
    CHECK_FALSE(a.tck_required);
    CHECK_FALSE(a.tck);
    CHECK(find_byte(a, 'B', 1)->role == AtrByteRole::Vpp);
    CHECK(a.parameters.extra_guard_time == 0);
    CHECK(a.historical == hex("2C 09 69 90 00"));
    CHECK(a.historical_decoded.proprietary == a.historical);
    auto lines = atr_lines(a);
    CHECK(has_line(lines, "TS  = 3F  inverse convention"));
    CHECK(has_line(lines, "Protocols: T=0 (implicit)"));
    CHECK(has_line(lines, "TCK   absent (only T=0 offered)"));
}

TEST_CASE("T=15 global bytes: clock stop, class indicator, SPU; T=1 bytes before them") {
    Atr a = atr("3B DF 18 FF 81 F1 FE 43 00 3F 03 83 4D 49 46 41 52 45 20 50 6C 75 73 20 53 41 4D 3B");
    CHECK(a.ok());
    CHECK(a.protocols == std::vector<uint8_t>{1, 15});
    CHECK(a.offers(15));
    CHECK_FALSE(a.offers(0));
    const AtrParameters& p = a.parameters;
    CHECK(p.di == 12);
    CHECK(p.extra_guard_time == 255);
    CHECK(p.ifsc == 254);
    CHECK(p.bwi == 4);
    CHECK(p.cwi == 3);
    CHECK(p.crc == false);
    CHECK(p.clock_stop == 0);
    CHECK(p.class_indicator == 0x03);
    CHECK(p.spu == 0x83);
    CHECK(find_byte(a, 'A', 4)->protocol == 15);
    CHECK(find_byte(a, 'A', 4)->role == AtrByteRole::ClockStopClass);
    CHECK(a.tck_valid);
    auto lines = atr_lines(a);
    CHECK(has_line(lines, "TA4 = 03  clock stop not supported, class A (5 V), B (3 V)"));
    CHECK(has_line(lines, "TC1 = FF  N = 255: minimum guard time (12 ETU for T=0, 11 ETU for T=1)"));
    CHECK(has_line(lines, "TC3 = 00  error detection for T=1: LRC"));
    CHECK(has_line(lines, "Historical bytes (15): 4D 49 46 41 52 45 20 50 6C 75 73 20 53 41 4D  \"MIFARE Plus SAM\""));
    CHECK(has_line(lines, "Protocols: T=1, T=15 (global)"));

    // T=0 with T=15: TCK still required.
    Atr t0t15 = atr("3B 80 80 1F 07 18");
    CHECK(t0t15.protocols == std::vector<uint8_t>{0, 15});
    CHECK(t0t15.tck_required);
    CHECK(t0t15.parameters.clock_stop == 0);
    CHECK(t0t15.parameters.class_indicator == 7);
    CHECK(t0t15.tck_valid);
}

TEST_CASE("specific mode (TA2), WI (TC2), CRC (TC for T=1), RFU Fi/Di") {
    Atr mode = atr("3B 90 11 10 81");
    CHECK(mode.ok());
    REQUIRE(mode.parameters.specific_mode);
    CHECK(mode.parameters.specific_mode->protocol == 1);
    CHECK_FALSE(mode.parameters.specific_mode->can_change);
    CHECK_FALSE(mode.parameters.specific_mode->implicit_parameters);
    CHECK(has_line(atr_lines(mode), "TA2 = 81  specific mode, T = 1, unable to change mode, Fi/Di from TA1"));

    Atr wi = atr("3B 90 95 40 0A");
    CHECK(wi.parameters.wi == 10);
    CHECK(has_line(atr_lines(wi), "TC2 = 0A  WI = 10 for T=0: WT = 9600 x Fi/f"));

    Atr crc = atr("3B 80 81 41 01 41");
    CHECK(crc.ok());
    CHECK(crc.parameters.crc == true);
    CHECK(find_byte(crc, 'C', 3)->role == AtrByteRole::ErrorDetection);

    // A second TA for T=1 is not IFSC again.
    Atr second = atr("3B 80 81 91 20 11 30 80");
    CHECK(second.parameters.ifsc == 0x20);
    CHECK(find_byte(second, 'A', 4)->role == AtrByteRole::ProtocolSpecific);
    CHECK(interface_byte_meaning(second, *find_byte(second, 'A', 4)) == "specific to T=1");

    Atr rfu = atr("3B 10 7A");
    CHECK(rfu.ok());
    CHECK(rfu.parameters.fi == 0);
    CHECK(rfu.parameters.di == 0);
    CHECK(has_line(atr_lines(rfu), "TA1 = 7A  Fi = RFU (7), Di = RFU (10)"));
    CHECK(atr("3B 10 96").parameters.fi == 512);
    CHECK(atr("3B 10 96").parameters.di == 32);
}

TEST_CASE("missing bytes are reported precisely and what was read is kept") {
    struct Case {
        const char* hex;
        size_t offset;
        const char* says;
    };
    for (Case c : {Case{"", 0, "empty ATR"}, Case{"3B", 1, "T0 is missing"},
                   Case{"3B F0", 2, "TA1 is missing (announced by T0 = F0)"},
                   Case{"3B F0 11", 3, "TB1 is missing"},
                   Case{"3B 81 80 FF", 4, "TA3 is missing (announced by TD2 = FF)"},
                   Case{"3B 02 14", 3, "T0 announces 2 historical byte(s), only 1 present"},
                   Case{"3B 8E 80 01 80 31 80 66 B1 84 0C 01 6E 01 83 00 90 00", 18, "TCK is missing"}}) {
        CAPTURE(c.hex);
        Atr a = atr(c.hex);
        CHECK_FALSE(a.ok());
        CHECK_FALSE(a.complete);
        REQUIRE_FALSE(a.issues.empty());
        CHECK(a.issues.back().severity == kError);
        CHECK(a.issues.back().offset == c.offset);
        CHECK(a.issues.back().message.find(c.says) != std::string::npos);
        CHECK_FALSE(atr_lines(a).empty());
    }
    Atr cut = atr("3B 81 80 FF");
    CHECK(cut.interface_bytes.size() == 2);
    CHECK(cut.protocols == std::vector<uint8_t>{0, 15});
    CHECK_FALSE(atr("3B F0").t0_implicit);  // TD1 was announced
    CHECK(atr("3B F0").protocols.empty());
    CHECK(atr("3B 02 14").historical == hex("14"));
    Atr no_tck = atr("3B 8E 80 01 80 31 80 66 B1 84 0C 01 6E 01 83 00 90 00");
    CHECK(no_tck.historical.size() == 14);
    CHECK(no_tck.historical_decoded.sw == 0x9000);
    CHECK(no_tck.historical_decoded.lcs == 0x00);
    CHECK(mentions(no_tck, "expected 1C", kError));
}

TEST_CASE("invalid TCK, wrong TS, trailing bytes") {
    Atr bad = atr("3B9513810180 73FF01000C");
    CHECK_FALSE(bad.ok());
    CHECK(bad.complete);
    CHECK(bad.tck == 0x0C);
    CHECK_FALSE(bad.tck_valid);
    CHECK(mentions(bad, "invalid TCK 0C, expected 0B", kError));
    CHECK(has_line(atr_lines(bad), "TCK = 0C  INVALID checksum"));

    Atr ts = atr("3A 00");
    CHECK_FALSE(ts.ok());
    CHECK_FALSE(ts.convention);
    CHECK(ts.t0 == 0x00);  // still read
    CHECK(mentions(ts, "TS = 3A", kError));
    CHECK(mentions(atr("03 00"), "wrong convention", kError));

    Atr extra = atr("3B 80 80 01 01 00 11");
    CHECK(extra.ok());
    CHECK(extra.tck_valid);
    CHECK(extra.extra == hex("00 11"));
    CHECK(mentions(extra, "2 byte(s) after the end of the ATR", kWarning));

    // A byte after a T=0-only ATR is read as a TCK, with a warning (pyscard
    // and pcsc-tools also call it the checksum).
    Atr t0 = atr("3B 02 14 50 46");
    CHECK(t0.ok());
    CHECK(t0.tck == 0x46);
    CHECK(t0.tck_valid);
    CHECK_FALSE(t0.tck_required);
    CHECK(mentions(t0, "TCK present although only T=0 is offered", kWarning));
    Atr t0_bad = atr("3B 02 14 50 00");
    CHECK(t0_bad.ok());  // not an error: no TCK was due
    CHECK(mentions(t0_bad, "invalid TCK 00, expected 46", kWarning));

    Atr longer(atr("3B 0F 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
    CHECK(mentions(longer, "allows 33", kWarning));
}

TEST_CASE("historical bytes: categories and compact-TLV") {
    std::vector<AtrIssue> issues;
    HistoricalBytes dir = parse_historical_bytes(hex("10 8A"), issues);
    CHECK(dir.category == 0x10);
    CHECK(dir.dir_reference == hex("8A"));
    CHECK(issues.empty());

    HistoricalBytes rfu = parse_historical_bytes(hex("85 01"), issues);
    CHECK(rfu.proprietary == hex("85 01"));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message.find("RFU") != std::string::npos);

    issues.clear();
    HistoricalBytes over = parse_historical_bytes(hex("80 4F A0 00"), issues, 10);
    REQUIRE(over.objects.size() == 1);
    CHECK(over.objects[0].tag == 4);
    CHECK(over.objects[0].value == hex("A0 00"));  // what there is
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].offset == 11);
    CHECK(issues[0].severity == kWarning);

    issues.clear();
    HistoricalBytes short00 = parse_historical_bytes(hex("00 90 00"), issues);
    CHECK_FALSE(short00.sw);
    CHECK(issues.size() == 1);

    issues.clear();
    HistoricalBytes status = parse_historical_bytes(hex("80 31 C0 82 90 00 F5 A0 00 00 03 08"), issues);
    CHECK(issues.empty());
    REQUIRE(status.objects.size() == 3);
    CHECK(status.sw == 0x9000);
    CHECK_FALSE(status.lcs);
    CHECK(status.objects[2].tag == 0xF);
    CHECK(parse_historical_bytes({}, issues).category == std::nullopt);
}

TEST_CASE("hostile ATRs: long TD chains and huge buffers stay inside the buffer") {
    // Every TD announcing another TD: the chain ends with the buffer.
    Bytes chain = {0x3B, 0x80};
    for (int i = 0; i < 200; ++i) chain.push_back(0x8E);
    Atr a = parse_atr(chain);
    CHECK(a.interface_bytes.size() == 200);
    CHECK_FALSE(a.ok());
    CHECK(a.protocols == std::vector<uint8_t>{14});

    Bytes big(100000, 0xFF);
    big[0] = 0x3B;
    Atr b = parse_atr(big);
    CHECK_FALSE(b.ok());
    CHECK_FALSE(atr_lines(b).empty());

    // Non-printable historical bytes never reach the text as such.
    Atr ctl = atr("3B 04 1B 5B 32 4A");
    for (const std::string& l : atr_lines(ctl))
        for (char c : l) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

TEST_CASE("atr_protocols_to_string") {
    CHECK(atr_protocols_to_string(atr("3B 80 80 01 01")) == "T=0, T=1");
    CHECK(atr_protocols_to_string(atr("3B 00")) == "T=0 (implicit)");
    CHECK(atr_protocols_to_string(atr("3B 80 80 1F 07 18")) == "T=0, T=15 (global)");
}
