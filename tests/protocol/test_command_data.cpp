// Command data with its fields named: EMV data object lists filled in by GET
// PROCESSING OPTIONS, GENERATE AC and INTERNAL AUTHENTICATE, authentication
// data, GlobalPlatform PUT KEY, STORE DATA and INSTALL; and applet context in
// a session (no --applet hint needed).
#include <doctest/doctest.h>

#include "support.hpp"
#include "protocol/apdu_decoder.hpp"
#include "protocol/command_data.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string s = "{";
        for (const std::string& l : lines) s += "\n  \"" + l + "\"";
        return (s + "}").c_str();
    }
};
}  // namespace doctest

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
using Lines = std::vector<std::string>;
DecodedExchange feed(ApduDecoder& d, const char* command, const char* response) {
    return d.feed(hex(command), hex(response));
}
Lines tlv(const std::vector<TlvLine>& lines) {
    Lines out;
    for (const TlvLine& l : lines) out.push_back(l.to_string());
    return out;
}
}  // namespace

TEST_CASE("parse_dol: tags and lengths (EMV Book 3 §5.4)") {
    const DolParse p = parse_dol(hex("9F6604 9F0206 9F3704 5F2A02 95 05"));
    REQUIRE(p.ok);
    REQUIRE(p.entries.size() == 5);
    CHECK(p.entries[0].tag == 0x9F66);
    CHECK(p.entries[0].length == 4);
    CHECK(p.entries[4].tag == 0x95);
    CHECK(p.entries[4].length == 5);
    CHECK_FALSE(parse_dol(hex("9F")).ok);      // tag runs past the end
    CHECK_FALSE(parse_dol(hex("9F66")).ok);    // no length
    CHECK(parse_dol({}).entries.empty());
}

TEST_CASE("afl_lines: SFI, records, offline data authentication (EMV Book 3 §10.2)") {
    CHECK(afl_lines(hex("08010101 10010300")) ==
          Lines{"SFI 1, record 1 (1 for offline data authentication)", "SFI 2, records 1-3"});
    CHECK(afl_lines(hex("080101")) == Lines{"3 bytes left over (entries are 4 bytes)"});
}

TEST_CASE("EMV session: PDOL from the FCI names the GET PROCESSING OPTIONS data, no --applet needed") {
    ApduDecoder dec;
    // SELECT of a Visa application; its FCI holds the PDOL (EMV Book 1 §11.3.4).
    DecodedExchange sel = feed(dec, "00A4040007A000000003101000",
                               "6F20 8407A0000000031010 A515 500456495341 9F380C 9F6604 9F0206 9F3704 5F2A02 9000");
    CHECK(sel.applet == AppletKind::Emv);
    // GET PROCESSING OPTIONS: 83 template with the PDOL values (EMV Book 3 §6.5.8).
    DecodedExchange gpo = feed(dec, "80A8000012 8310 36000000 000000001000 01020304 0978 00",
                               "8012 1980 08010100 10010300 18010201 20020200 9000");
    CHECK(gpo.ins_name == "GET PROCESSING OPTIONS");
    CHECK(gpo.data_fields == Lines{
                                 "83 Command template (16)",
                                 "PDOL 9F66049F02069F37045F2A02:",
                                 "  9F66 Terminal transaction qualifiers (TTQ) (4): 36000000",
                                 "  9F02 Amount, authorised (6): 000000001000",
                                 "  9F37 Unpredictable number (4): 01020304",
                                 "  5F2A Transaction currency code (2): 0978",
                             });
    // Format 1 response: AIP and AFL (EMV Book 3 §6.5.8.4).
    CHECK(gpo.response_fields == Lines{
                                     "80 Response message template format 1:",
                                     "  82 Application interchange profile (AIP) (2): 1980",
                                     "  94 Application file locator (AFL) (16):",
                                     "    SFI 1, record 1",
                                     "    SFI 2, records 1-3",
                                     "    SFI 3, records 1-2 (1 for offline data authentication)",
                                     "    SFI 4, record 2",
                                 });
    // A record with CDOL1: the first GENERATE AC fills it (EMV Book 3 §6.5.5).
    feed(dec, "00B2010C00", "700A 8C08 9F0206 9A03 9F3704 9000");
    DecodedExchange ac = feed(dec, "80AE80000D 000000001000 250101 0A0B0C0D 00",
                              "8012 80 0001 1122334455667788 06010A03A00000 9000");
    CHECK(ac.params.text() == "ARQC (go online)");
    CHECK(ac.data_fields == Lines{
                                "CDOL1 9F02069A039F3704:",
                                "  9F02 Amount, authorised (6): 000000001000",
                                "  9A Transaction date (3): 250101",
                                "  9F37 Unpredictable number (4): 0A0B0C0D",
                            });
    CHECK(ac.response_fields == Lines{
                                    "80 Response message template format 1:",
                                    "  9F27 Cryptogram information data (1): 80 (ARQC)",
                                    "  9F36 Application transaction counter (ATC) (2): 0001",
                                    "  9F26 Application cryptogram (8): 1122334455667788",
                                    "  9F10 Issuer application data (7): 06010A03A00000",
                                });
    // The second GENERATE AC fills CDOL2, which this card never showed.
    DecodedExchange ac2 = feed(dec, "80AE400002 3030 00", "9000");
    CHECK(ac2.data_fields == Lines{"2 bytes of CDOL2 data (the CDOL2 was not seen in this session)"});
    // EXTERNAL AUTHENTICATE: ARPC and authorisation response code (EMV Book 3 §6.5.4).
    DecodedExchange ext = feed(dec, "008200000A 1122334455667788 3030", "9000");
    CHECK(ext.data_fields == Lines{"ARPC (8): 1122334455667788", "Authorisation response code (2): 3030"});
    // GPO with an empty template when the application has no PDOL.
    ApduDecoder plain;
    feed(plain, "00A4040007A000000004101000", "6F0B 8407A0000000041010 A500 9000");
    CHECK(feed(plain, "80A8000002830000", "9000").data_fields == Lines{"83 Command template (0): empty (no PDOL data)"});
}

TEST_CASE("EMV session: selecting another application forgets the PDOL of the previous one") {
    ApduDecoder dec;
    feed(dec, "00A4040007A000000003101000", "6F11 8407A0000000031010 A506 9F38039F6604 9000");
    CHECK(feed(dec, "80A8000006 8304 36000000 00", "9000").data_fields.size() == 3);  // 83, PDOL, TTQ
    // Another application, with no PDOL of its own: its GPO data are not read with the first one's.
    feed(dec, "00A4040007A000000004101000", "6F0B 8407A0000000041010 A500 9000");
    CHECK(feed(dec, "80A8000006 8304 36000000 00", "9000").data_fields ==
          Lines{"83 Command template (4)", "4 bytes of PDOL data (the PDOL was not seen in this session)"});
}

TEST_CASE("EMV session: format 2 response names 82 and 94 in the application's context") {
    ApduDecoder dec;
    feed(dec, "00A404000E325041592E5359532E444446303100", "6F10 840E325041592E5359532E4444463031 9000");
    CHECK(dec.applet(0) == AppletKind::Emv);
    DecodedExchange gpo = feed(dec, "80A8000002830000", "770A 82021980 940408010100 9000");
    CHECK(tlv(gpo.response_tlv) == Lines{
                                       "77 Response message template format 2 (10)",
                                       "  82 Application interchange profile (AIP) (2): 1980",
                                       "  94 Application file locator (AFL) (4): 08010100",
                                   });
    CHECK(gpo.response_fields ==
          Lines{"94 Application file locator (AFL):", "  SFI 1, record 1"});
}

TEST_CASE("OpenPGP session: VERIFY P2=81 is PW1 for signing without any hint (OpenPGP card 3.4 §7.2.2)") {
    ApduDecoder dec;
    feed(dec, "00A4040006D2760001240100", "9000");
    CHECK(feed(dec, "0020008106313233343536", "9000").params.parts.front() == "PW1 (signature) (81)");
    CHECK(feed(dec, "0020008206313233343536", "9000").params.parts.front() == "PW1 (decryption, authentication) (82)");
    CHECK(feed(dec, "0020008308313233343536", "63C2").sw_meaning.text ==
          "Password not checked, 2 further retries allowed");
}

TEST_CASE("GlobalPlatform session: secure channel, PUT KEY, STORE DATA and INSTALL fields") {
    ApduDecoder dec;
    feed(dec, "00A4040008A00000015100000000", "6F10 8408A000000151000000 A5049F6501FF 9000");
    CHECK(dec.applet(0) == AppletKind::GlobalPlatform);
    // INITIALIZE UPDATE (GP Card Spec 2.3 §11.11, SCP02 response §E.5.1.6).
    DecodedExchange init = feed(dec, "8050000008 0102030405060708 00",
                                "00010203040506070809 20 02 0005 A1A2A3A4A5A6 B1B2B3B4B5B6B7B8 9000");
    CHECK(init.data_fields == Lines{"Host challenge (8): 0102030405060708"});
    CHECK(init.response_fields == Lines{
                                      "Key diversification data (10): 00010203040506070809",
                                      "Key version number (1): 20",
                                      "Secure channel protocol (1): 02",
                                      "Sequence counter (2): 0005",
                                      "Card challenge (6): A1A2A3A4A5A6",
                                      "Card cryptogram (8): B1B2B3B4B5B6B7B8",
                                  });
    // EXTERNAL AUTHENTICATE: host cryptogram and C-MAC (§E.5.2.5).
    DecodedExchange ext = feed(dec, "8482010010 1111111111111111 2222222222222222", "9000");
    CHECK(ext.data_fields == Lines{"Host cryptogram (8): 1111111111111111", "C-MAC (8): 2222222222222222"});
    // PUT KEY: a new key set of one AES key with its check value (§11.8.2.3, table
    // 11-16). The command carries keys: the fields give their lengths, never their bytes.
    DecodedExchange put = feed(dec, "80D8008118 30 88 11 10 00112233445566778899AABBCCDDEEFF 03 ABCDEF", "9000");
    CHECK(put.is_secret());
    CHECK(put.data_fields == Lines{"Key version number: 30", "Key 1: AES, 17 bytes (encrypted), check value ABCDEF"});
    // STORE DATA in DGI format (§11.11.2.2).
    DecodedExchange store = feed(dec, "80E288000B 0101 03 010203 8000 02 AABB", "9000");
    CHECK(store.params.text() == "block 0, last block, no encryption information, DGI format");
    CHECK(store.data_fields == Lines{"DGI 0101 (3)", "DGI 8000 (2)"});
    // INSTALL [for install and make selectable] (§11.5.2.3).
    DecodedExchange install = feed(dec, "80E60C0021 07A0000000030000 08A000000308000010 09A00000030800001000 01 00 02 C900 00",
                                   "9000");
    CHECK(install.data_fields == Lines{
                                     "Executable load file AID (7): A0000000030000 (Open Platform card manager)",
                                     "Executable module AID (8): A000000308000010 (PIV)",
                                     "Application AID (9): A00000030800001000 (PIV card application)",
                                     "Privileges (1): 00",
                                     "Install parameters (2): C900",
                                     "Install token (0)",
                                 });
}

TEST_CASE("command data: fields never show a secret, and malformed data is said so") {
    ApduDecoder dec;
    feed(dec, "00A4040007A000000003101000", "6F0B 8407A0000000031010 A500 9000");
    // EMV VERIFY carries the PIN: no fields.
    CHECK(feed(dec, "0020008008 24123456FFFFFFFF", "9000").data_fields.empty());
    CHECK(feed(dec, "80A8000003 830100", "6985").data_fields ==
          Lines{"83 Command template (1)", "1 bytes of PDOL data (the PDOL was not seen in this session)"});
    CHECK(feed(dec, "80A8000002 9F00", "6700").data_fields.front().starts_with("not a command template (83)"));
    CHECK(feed(dec, "80A8000002 830000", "6985").sw_meaning.text ==
          "Conditions of use not satisfied (GET PROCESSING OPTIONS: application not usable for this transaction)");
}
