#include <doctest/doctest.h>

#include "support.hpp"
#include "protocol/apdu_decoder.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
DecodedExchange feed(ApduDecoder& d, const char* command, const char* response, uint64_t seq = 0) {
    return d.feed(hex(command), hex(response), seq);
}
std::vector<std::string> lines(const std::vector<TlvLine>& tlv) {
    std::vector<std::string> out;
    for (const TlvLine& l : tlv) out.push_back(l.to_string());
    return out;
}
bool printable(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) return false;
    return true;
}
}  // namespace

TEST_CASE("acceptance: SELECT of the PIV application") {
    ApduDecoder dec;
    DecodedExchange d = feed(dec, "00A4040007A0000003080000", "9000", 1);
    CHECK(d.ins_name == "SELECT");
    CHECK(d.params.parts.front() == "by DF name A0000003080000 (PIV)");
    CHECK(d.applet == AppletKind::Piv);
    CHECK(d.applet_name == "PIV");
    CHECK(to_hex(d.applet_aid) == "A0000003080000");
    CHECK(d.sw == 0x9000);
    CHECK(d.sw_meaning.cls == SwClass::Success);
    CHECK(d.summary() == "SELECT by DF name A0000003080000 (PIV) \u2192 9000 OK");
    CHECK(dec.applet(0) == AppletKind::Piv);

    // With the application property template the card returns.
    ApduDecoder dec2;
    DecodedExchange t = feed(dec2, "00A4040009A00000030800001000 00",
                             "610F 4F0600001000 0100 7905 4F03A00000 9000");
    CHECK(t.applet_name == "PIV card application");
    CHECK(t.summary() == "SELECT by DF name A00000030800001000 (PIV card application) \u2192 9000 OK (17 bytes)");
    CHECK(lines(t.response_tlv) == std::vector<std::string>{
                                       "61 Application property template (15)",
                                       "  4F Application identifier (6): 000010000100",
                                       "  79 Coexistent tag allocation authority (5)",
                                       "    4F Application identifier (AID) (3): A00000",
                                   });
}

TEST_CASE("acceptance: SW 63C2 after VERIFY says 2 retries left, PIN never shown") {
    ApduDecoder dec;
    feed(dec, "00A4040007A0000003080000", "9000");
    DecodedExchange d = feed(dec, "0020008008 3132333435363738", "63C2", 2);
    CHECK(d.ins_name == "VERIFY");
    CHECK(d.sw_meaning.text == "Verification failed, 2 retries left");
    CHECK(d.sw_meaning.cls == SwClass::Warning);
    CHECK(d.is_secret());
    CHECK(d.secret.offset == 5);
    CHECK(d.secret.length == 8);
    CHECK(d.command_tlv.empty());
    CHECK(d.summary() ==
          "VERIFY PIV application PIN (80) [PIV], 8 bytes (secret) \u2192 63C2 Verification failed, 2 retries left");
    CHECK(d.summary().find("3132") == std::string::npos);
}

TEST_CASE("acceptance: a PIV session names INS 87 GENERAL AUTHENTICATE for the PIV applet") {
    ApduDecoder dec;
    // Before any SELECT, Yubico's FD is unknown.
    CHECK(feed(dec, "00FD000000", "6D00").ins_name == "INS FD");
    feed(dec, "00A4040009A00000030800001000", "9000", 1);
    DecodedExchange ga = feed(dec, "0087119E047C02810000", "7C0A820811223344556677889000", 2);
    CHECK(ga.ins_name == "GENERAL AUTHENTICATE");
    CHECK(ga.ins.table == AppletKind::Piv);
    CHECK(ga.applet == AppletKind::Piv);
    CHECK(ga.params.text() == "card authentication key (9E), ECC P-256");
    CHECK(lines(ga.command_tlv) == std::vector<std::string>{"7C Dynamic authentication template (2)", "  81 Challenge (0)"});
    CHECK(lines(ga.response_tlv) == std::vector<std::string>{"7C Dynamic authentication template (10)",
                                                             "  82 Response (8): 1122334455667788"});
    CHECK(ga.summary() ==
          "GENERAL AUTHENTICATE card authentication key (9E), ECC P-256 [PIV card application], 4 bytes \u2192 9000 OK "
          "(12 bytes)");
    CHECK(feed(dec, "00FD000000", "0507029000").ins_name == "GET VERSION");
}

TEST_CASE("acceptance: OpenPGP INS 47 is GENERATE ASYMMETRIC KEY PAIR") {
    ApduDecoder dec;
    DecodedExchange sel = feed(dec, "00A4040006D2760001240100", "9000");
    CHECK(sel.applet == AppletKind::OpenPgp);
    CHECK(sel.applet_name == "OpenPGP card");
    DecodedExchange gen = feed(dec, "0047800002B60000", "7F4905 8603 040506 9000");
    CHECK(gen.ins_name == "GENERATE ASYMMETRIC KEY PAIR");
    CHECK(gen.ins.table == AppletKind::OpenPgp);
    CHECK(gen.params.text() == "generate a key pair, signature key");
    CHECK(lines(gen.response_tlv) == std::vector<std::string>{"7F49 Public key (5)", "  86 EC public key (3): 040506"});
    // And the Yubico extensions of that applet.
    CHECK(feed(dec, "00F1000000", "0507029000").ins_name == "GET VERSION");
    CHECK(feed(dec, "00CA006E00", "6E00 9000").params.text() == "tag 6E (Application related data), Ne=256");
}

TEST_CASE("acceptance: GET RESPONSE after 61XX continues the command and assembles its data") {
    ApduDecoder dec;
    // FCI of the GlobalPlatform ISD in three parts: 6108, 6104, 9000.
    DecodedExchange first = feed(dec, "00A4040008A000000151000000", "6F10 8408A0000001 6108", 1);
    CHECK(first.applet == AppletKind::GlobalPlatform);  // 61XX: selected
    CHECK_FALSE(first.response_complete);
    CHECK(first.response_tlv.empty());
    CHECK(first.sw_meaning.text == "8 response bytes still available (GET RESPONSE)");

    DecodedExchange second = feed(dec, "00C0000008", "51000000 A5049F65 6104", 2);
    REQUIRE(second.continues);
    CHECK(second.continues->kind == ContinuationKind::GetResponse);
    CHECK(second.continues->seq == 1);
    CHECK(second.continues->command == "SELECT");
    CHECK(second.assembled_response.size() == 16);
    CHECK_FALSE(second.response_complete);

    DecodedExchange third = feed(dec, "00C0000004", "01FF 9000", 3);
    REQUIRE(third.continues);
    CHECK(third.continues->seq == 1);
    CHECK(third.response_complete);
    CHECK(to_hex(third.assembled_response) == "6F108408A000000151000000A5049F6501FF");
    CHECK(to_hex(third.full_response_data()) == "6F108408A000000151000000A5049F6501FF");
    CHECK(lines(third.response_tlv) == std::vector<std::string>{
                                           "6F File control information (FCI) (16)",
                                           "  84 Security domain AID (8): A000000151000000",
                                           "  A5 Proprietary data (4)",
                                           "    9F65 Maximum length of data field in command message (1): FF",
                                       });
    CHECK(third.summary() == "GET RESPONSE up to 4 bytes, continues #1 SELECT \u2192 9000 OK (2 bytes)");

    // A GET RESPONSE with nothing pending continues nothing.
    DecodedExchange lone = feed(dec, "00C0000004", "6985", 4);
    CHECK_FALSE(lone.continues);
    // Another command drops a pending 61XX.
    feed(dec, "00CA9F7F00", "6110", 5);
    feed(dec, "00B0000000", "6982", 6);
    CHECK_FALSE(feed(dec, "00C0000010", "9000", 7).continues);
}

TEST_CASE("YubiKey OATH: SEND REMAINING continues like GET RESPONSE; SW read as the selected applet") {
    ApduDecoder dec;
    DecodedExchange sel = feed(dec, "00A4040007A0000005272101", "79030507029000", 1);
    CHECK(sel.applet == AppletKind::YubicoOath);
    DecodedExchange all = feed(dec, "00A400010A7408000000000000000100", "7103414243 6110", 2);
    CHECK(all.ins_name == "CALCULATE ALL");
    DecodedExchange rest = feed(dec, "00A50000", "7103444546 9000", 3);
    CHECK(rest.ins_name == "SEND REMAINING");
    REQUIRE(rest.continues);
    CHECK(rest.continues->seq == 2);
    CHECK(rest.continues->command == "CALCULATE ALL");
    CHECK(to_hex(rest.assembled_response) == "71034142437103444546");

    // A SELECT's status word is read in the terms of the applet selected.
    ApduDecoder gp;
    CHECK(feed(gp, "00A4040008A000000151000000", "6283").sw_meaning.text ==
          "Card life cycle state is CARD_LOCKED (selected file invalidated)");
    CHECK(feed(gp, "80F24002024F0000", "E3054F03A00000 6310").sw_meaning.text ==
          "More data available (repeat GET STATUS or GET DATA)");
}

TEST_CASE("acceptance: command chaining with CLA 10 ties the blocks to the first one") {
    ApduDecoder dec;
    feed(dec, "00A4040007A0000003080000", "9000", 1);
    DecodedExchange b1 = feed(dec, "10DB3FFF04 5C035FC1", "9000", 2);
    CHECK(b1.cla.chaining);
    CHECK_FALSE(b1.continues);
    DecodedExchange b2 = feed(dec, "10DB3FFF03 0553AA", "9000", 3);
    REQUIRE(b2.continues);
    CHECK(b2.continues->kind == ContinuationKind::CommandChaining);
    CHECK(b2.continues->seq == 2);
    CHECK(b2.continues->command == "PUT DATA");
    DecodedExchange last = feed(dec, "00DB3FFF02 BBCC", "9000", 4);
    REQUIRE(last.continues);
    CHECK(last.continues->seq == 2);
    CHECK(last.summary().find("continues chain of #2 PUT DATA") != std::string::npos);
    // The chain ended with the block without the bit.
    CHECK_FALSE(feed(dec, "00DB3FFF02 BBCC", "9000", 5).continues);
    // An error ends a chain, and so does another INS.
    feed(dec, "10DB3FFF02 AAAA", "6A80", 6);
    CHECK_FALSE(feed(dec, "00DB3FFF02 BBCC", "9000", 7).continues);
    feed(dec, "10DB3FFF02 AAAA", "9000", 8);
    CHECK_FALSE(feed(dec, "00CB3FFF02 BBCC", "9000", 9).continues);
}

TEST_CASE("a 6CXX answer ties the retry with the right Le") {
    ApduDecoder dec;
    DecodedExchange wrong = feed(dec, "00B0000000", "6C10", 1);
    CHECK(wrong.sw_meaning.text == "Wrong Le field; exact length is 16 bytes (Le=10)");
    DecodedExchange retry = feed(dec, "00B0000010", "000102030405060708090A0B0C0D0E0F9000", 2);
    REQUIRE(retry.continues);
    CHECK(retry.continues->kind == ContinuationKind::LeRetry);
    CHECK(retry.continues->seq == 1);
    CHECK(retry.summary().find("retries #1 READ BINARY") != std::string::npos);
    // A different command is no retry.
    feed(dec, "00B0000000", "6C10", 3);
    CHECK_FALSE(feed(dec, "00B0001010", "9000", 4).continues);
}

TEST_CASE("applet context: failed, warned and partial SELECTs") {
    ApduDecoder dec;
    feed(dec, "00A4040007A0000003080000", "9000");
    // Not found: the previous applet stays selected.
    DecodedExchange missing = feed(dec, "00A4040006D2760001240100", "6A82");
    CHECK(missing.applet == AppletKind::Piv);
    CHECK(dec.applet(0) == AppletKind::Piv);
    // A warning completes the selection.
    feed(dec, "00A4040006D2760001240100", "6283");
    CHECK(dec.applet(0) == AppletKind::OpenPgp);
    // Partial DF name: the FCI's DF name gives the full AID.
    DecodedExchange partial = feed(dec, "00A4040005A000000308", "6F0B 8409A00000030800001000 9000");
    CHECK(partial.applet_name == "PIV card application");
    CHECK(to_hex(dec.selected_aid(0)) == "A00000030800001000");
    // An unknown AID: no applet kind, the AID as its name.
    DecodedExchange unknown = feed(dec, "00A4040005F001020304", "9000");
    CHECK(unknown.applet == AppletKind::Unknown);
    CHECK(unknown.applet_name == "F001020304");
    // SELECT by file id does not change the application.
    feed(dec, "00A4040006D27600012401", "9000");
    feed(dec, "00A40000023F00", "9000");
    CHECK(dec.applet(0) == AppletKind::OpenPgp);
    // Default application.
    feed(dec, "00A40400", "9000");
    CHECK(dec.applet(0) == AppletKind::Unknown);
    CHECK(dec.feed(hex("00B0000000"), {}).applet_name == "default application");
}

TEST_CASE("applet context: one per logical channel, MANAGE CHANNEL, reset") {
    ApduDecoder dec;
    feed(dec, "00A4040007A0000003080000", "9000");
    DecodedExchange open = feed(dec, "0070000001", "019000");
    CHECK(open.params.text() == "open, channel assigned by the card");
    CHECK(open.summary() == "MANAGE CHANNEL open [PIV] \u2192 9000 OK (1 byte)");
    CHECK(dec.applet(1) == AppletKind::Unknown);  // opened from channel 0: nothing selected
    feed(dec, "01A4040006D2760001240100", "9000");
    CHECK(dec.applet(1) == AppletKind::OpenPgp);
    CHECK(dec.applet(0) == AppletKind::Piv);
    CHECK(feed(dec, "0147800002B60000", "6982").ins.table == AppletKind::OpenPgp);
    CHECK(feed(dec, "00F9000000", "6982").ins.table == AppletKind::Piv);
    // Opened from channel 1: inherits its application.
    feed(dec, "0170000001", "039000");
    CHECK(dec.applet(3) == AppletKind::OpenPgp);
    // Further channels (4-19) use the further inter-industry class.
    feed(dec, "0070000001", "059000");
    DecodedExchange ch5 = feed(dec, "41A4040007A0000003080000", "9000");
    CHECK(ch5.channel == 5);
    CHECK(dec.applet(5) == AppletKind::Piv);
    // Close.
    feed(dec, "00708003", "9000");
    CHECK(dec.applet(3) == AppletKind::Unknown);
    CHECK(dec.applet(1) == AppletKind::OpenPgp);
    CHECK(dec.applet(200) == AppletKind::Unknown);
    // A card reset forgets everything.
    dec.reset();
    for (uint8_t ch = 0; ch < kLogicalChannels; ++ch) CHECK(dec.applet(ch) == AppletKind::Unknown);
    CHECK(feed(dec, "00F9000000", "6D00").ins_name == "INS F9");
}

TEST_CASE("assume_selected starts from a known applet") {
    ApduDecoder dec;
    dec.assume_selected(hex("D27600012401"));
    CHECK(dec.applet(0) == AppletKind::OpenPgp);
    CHECK(feed(dec, "00F1000000", "9000").ins_name == "GET VERSION");
    dec.assume_selected(hex("A0000003080000"), 2);
    CHECK(dec.applet(2) == AppletKind::Piv);
    CHECK(dec.applet(0) == AppletKind::OpenPgp);
    dec.assume_selected(hex("A0000003080000"), 20);  // no such channel: ignored
    CHECK(dec.applet(20) == AppletKind::Unknown);
}

TEST_CASE("malformed commands, missing and short responses") {
    ApduDecoder dec;
    DecodedExchange bad = feed(dec, "00A4040007A000", "6700", 1);
    CHECK_FALSE(bad.parse.ok());
    CHECK(bad.ins_name == "SELECT");
    CHECK(bad.summary() ==
          "SELECT (malformed: Lc=7 (0x07) but only 2 data byte(s) follow) \u2192 6700 Wrong length (Lc or Le)");
    CHECK(dec.applet(0) == AppletKind::Unknown);

    DecodedExchange none = dec.feed(hex("00B0000000"), {}, 2);
    CHECK_FALSE(none.sw);
    CHECK(none.summary() == "READ BINARY offset 0 \u2192 no response");
    CHECK(feed(dec, "00B0000000", "90").summary() == "READ BINARY offset 0 \u2192 malformed response (1 byte)");
    CHECK(dec.feed({}, {}).summary() == "(no command) \u2192 no response");
    CHECK(feed(dec, "00", "6E00").summary() == "(no command) (malformed: 1 byte(s): a command APDU needs at least 4 "
                                               "(CLA INS P1 P2)) \u2192 6E00 Class not supported");
}

TEST_CASE("response TLV: shown for structured data, not for raw answers") {
    ApduDecoder dec;
    // GET CHALLENGE random bytes that happen to parse are not shown as TLV.
    DecodedExchange ch = feed(dec, "0084000008", "5006414243444546 9000");
    CHECK(ch.response_tlv.empty());
    // READ BINARY of EF.DIR is.
    DecodedExchange dir = feed(dec, "00B0000000", "610B 4F06A00000030800 5001 41 9000");
    CHECK_FALSE(dir.response_tlv.empty());
    // Data that does not parse gives no lines.
    CHECK(feed(dec, "00B0000000", "0102039000").response_tlv.empty());
}

TEST_CASE("decoder: hostile input never throws and keeps its invariants") {
    ApduDecoder dec;
    uint32_t state = 12345;
    auto next = [&] {
        state = state * 1103515245u + 12345u;
        return static_cast<uint8_t>(state >> 16);
    };
    for (int i = 0; i < 3000; ++i) {
        Bytes cmd(next() % 24), rsp(next() % 24);
        for (uint8_t& b : cmd) b = next();
        for (uint8_t& b : rsp) b = next();
        // Bias towards interesting headers.
        if (cmd.size() >= 2 && i % 3 == 0) cmd[1] = std::array<uint8_t, 6>{0xA4, 0xC0, 0x70, 0x20, 0x87, 0xDB}[i % 6];
        if (rsp.size() >= 2 && i % 4 == 0) rsp[rsp.size() - 2] = 0x61;
        DecodedExchange d = dec.feed(cmd, rsp, static_cast<uint64_t>(i));
        const std::string s = d.summary();
        CHECK_FALSE(s.empty());
        CHECK(printable(s));
        CHECK(printable(d.params.text()));
        CHECK(d.secret.offset + d.secret.length <= cmd.size());
        CHECK(d.channel < kLogicalChannels);
        for (const TlvLine& l : d.response_tlv) CHECK(printable(l.to_string()));
        if (i % 500 == 0) dec.reset();
    }
}
