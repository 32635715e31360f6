#include <doctest/doctest.h>

#include <set>

#include "support.hpp"
#include "protocol/ber_tlv.hpp"
#include "protocol/tlv_tags.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {
// `depth` nested constructed objects 7F21 ... around one primitive 80 01 AA.
Bytes nested(size_t depth) {
    Bytes inner = {0x80, 0x01, 0xAA};
    for (size_t i = 0; i < depth; ++i) {
        Bytes outer = {0x7F, 0x21};
        const size_t n = inner.size();
        if (n < 0x80) {
            outer.push_back(static_cast<uint8_t>(n));
        } else {
            outer.push_back(0x82);
            outer.push_back(static_cast<uint8_t>(n >> 8));
            outer.push_back(static_cast<uint8_t>(n));
        }
        outer.insert(outer.end(), inner.begin(), inner.end());
        inner = std::move(outer);
    }
    return inner;
}
}  // namespace

TEST_CASE("parse_ber_tlv: an FCI with nested templates and multi-byte tags") {
    // 6F { 84 AID, A5 { 50 "PIV", 5F2D "en", 9F65 0100 } }
    Bytes fci = hex("6F1A 8407A0000003080000 A50F 5003504956 5F2D02656E 9F65020100");
    TlvParse p = parse_ber_tlv(fci);
    REQUIRE(p.ok());
    REQUIRE(p.nodes.size() == 6);
    struct Want {
        uint32_t tag;
        uint16_t depth;
        bool constructed;
        size_t length;
        int parent;
    } want[] = {
        {0x6F, 0, true, 0x1A, -1}, {0x84, 1, false, 7, 0},   {0xA5, 1, true, 15, 0},
        {0x50, 2, false, 3, 2},    {0x5F2D, 2, false, 2, 2}, {0x9F65, 2, false, 2, 2},
    };
    for (size_t i = 0; i < 6; ++i) {
        CAPTURE(i);
        CHECK(p.nodes[i].tag == want[i].tag);
        CHECK(p.nodes[i].depth == want[i].depth);
        CHECK(p.nodes[i].constructed == want[i].constructed);
        CHECK(p.nodes[i].length == want[i].length);
        CHECK(p.nodes[i].parent == want[i].parent);
    }
    CHECK(p.nodes[4].tag_length == 2);
    CHECK(to_hex(ByteView(fci).subspan(p.nodes[1].value_offset, p.nodes[1].length)) == "A0000003080000");
}

TEST_CASE("parse_ber_tlv: long-form lengths up to 4 bytes, long tags") {
    Bytes v200(200, 0x41);
    Bytes b = {0x53, 0x81, 200};
    b.insert(b.end(), v200.begin(), v200.end());
    TlvParse p = parse_ber_tlv(b);
    REQUIRE(p.ok());
    CHECK(p.nodes[0].length == 200);

    CHECK(parse_ber_tlv(hex("53820003AABBCC")).nodes[0].length == 3);
    CHECK(parse_ber_tlv(hex("5383000002AABB")).nodes[0].length == 2);
    CHECK(parse_ber_tlv(hex("538400000001AA")).nodes[0].length == 1);
    // 3- and 4-byte tags.
    TlvParse t3 = parse_ber_tlv(hex("5FC10201AA"));
    REQUIRE(t3.ok());
    CHECK(t3.nodes[0].tag == 0x5FC102);
    TlvParse t4 = parse_ber_tlv(hex("5F818203 01AA"));
    REQUIRE(t4.ok());
    CHECK(t4.nodes[0].tag == 0x5F818203);
    CHECK(t4.nodes[0].tag_length == 4);
    CHECK(tag_hex(0x5F818203) == "5F818203");
    CHECK(tag_hex(0x5FC102) == "5FC102");
    CHECK(tag_hex(0x9F7F) == "9F7F");
    CHECK(tag_hex(0x6F) == "6F");
}

TEST_CASE("parse_ber_tlv: padding 00/FF between and after objects") {
    TlvParse p = parse_ber_tlv(hex("0000 5001AA FF 5001BB 00FFFF"));
    REQUIRE(p.ok());
    CHECK(p.nodes.size() == 2);
    CHECK(p.padding == 6);
}

TEST_CASE("parse_ber_tlv: rejects what does not parse cleanly") {
    struct Case {
        const char* data;
        const char* says;
    } cases[] = {
        {"", "no data"},
        {"00FF00", "only padding"},
        {"6F", "has no length"},
        {"5F", "cut short"},
        {"5F81", "cut short"},
        {"5F81828384850100", "longer than 4 bytes"},
        {"6F80 5000 0000", "indefinite length"},
        {"5003AABB", "length 3 overruns the 2 byte(s) left"},
        {"5081", "length field cut short"},
        {"508201", "length field cut short"},
        {"5085000000000100", "5-byte length field"},
        {"6F03 5002AABB", "overruns the 1 byte(s) left in its parent"},
        {"6F04 5001AA 51", "has no length"},
        {"5001AA 50", "has no length"},
        // 2^31 and 2^32-1 lengths against a tiny buffer.
        {"538480000000AA", "length 2147483648 overruns"},
        {"5384FFFFFFFF", "length 4294967295 overruns"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.data));
        TlvParse p = parse_ber_tlv(hex(c.data));
        CHECK_FALSE(p.ok());
        REQUIRE(p.error.has_value());
        CAPTURE(p.error->message);
        CHECK(p.error->message.find(c.says) != std::string::npos);
        CHECK(p.error->message.find('\n') == std::string::npos);
    }
}

TEST_CASE("parse_ber_tlv: nesting is bounded") {
    TlvParse ok = parse_ber_tlv(nested(kMaxTlvDepth));
    REQUIRE(ok.ok());
    CHECK(ok.nodes.size() == kMaxTlvDepth + 1);
    CHECK(ok.nodes.back().depth == kMaxTlvDepth);

    TlvParse deep = parse_ber_tlv(nested(100));
    CHECK_FALSE(deep.ok());
    CHECK(deep.error->message.find("nesting deeper than 32 levels") != std::string::npos);

    // A smaller bound is honoured, and a flat megabyte of objects is fine.
    CHECK_FALSE(parse_ber_tlv(nested(5), 4).ok());
    Bytes flat;
    for (int i = 0; i < 300000; ++i) flat.insert(flat.end(), {0x50, 0x01, 0x41});
    TlvParse many = parse_ber_tlv(flat);
    REQUIRE(many.ok());
    CHECK(many.nodes.size() == 300000);
}

TEST_CASE("tlv_lines / format_ber_tlv: indented, named, text shown when printable") {
    Bytes fci = hex("6F1A 8407A0000003080000 A50F 5003504956 5F2D02656E 9F65020100");
    std::vector<std::string> lines = format_ber_tlv(fci, AppletKind::GlobalPlatform);
    std::vector<std::string> want = {
        "6F File control information (FCI) (26)",
        "  84 Security domain AID (7): A0000003080000",
        "  A5 Proprietary data (15)",
        "    50 Application label (3): 504956 \"PIV\"",
        "    5F2D Language preference (2): 656E \"en\"",
        "    9F65 Maximum length of data field in command message (2): 0100",
    };
    CHECK(lines == want);

    // Without applet context the inter-industry names apply.
    std::vector<std::string> iso = format_ber_tlv(fci);
    REQUIRE(iso.size() == 6);
    CHECK(iso[1] == "  84 DF name (7): A0000003080000");
    CHECK(iso[2] == "  A5 Proprietary information (BER-TLV) (15)");
    CHECK(iso[5] == "    9F65 Maximum length of data field in command message (2): 0100");  // multi-byte fallback

    // Unknown tags have no name; control characters never reach the text.
    std::vector<std::string> odd = format_ber_tlv(hex("DF7F03 1B5B31"));
    REQUIRE(odd.size() == 1);
    CHECK(odd[0] == "DF7F (3): 1B5B31");
    CHECK(format_ber_tlv(hex("5004 41420043")) == std::vector<std::string>{"50 Application label (4): 41420043"});

    // Long values shortened on request.
    CHECK(format_ber_tlv(hex("5F2D08656E667264656974"), AppletKind::Unknown, 4) ==
          std::vector<std::string>{"5F2D Language preference (8): 656E6672... \"enfr...\""});
    CHECK(format_ber_tlv(hex("5A0412345678"), AppletKind::Unknown, 4) ==
          std::vector<std::string>{"5A Primary account number (PAN) (4): 12345678"});
    CHECK(format_ber_tlv(hex("5003AABB")).empty());
}

TEST_CASE("PIV's primitive 53 container is read as the TLV it holds, when it is one") {
    // GET DATA response for a certificate: 53 { 70 cert, 71 info, FE LRC }.
    // (70 is a constructed tag: the DER certificate inside is shown as TLV too.)
    Bytes obj = hex("530C 7005 3003 020105 710100 FE00");
    CHECK(format_ber_tlv(obj, AppletKind::Piv) == std::vector<std::string>{
                                                      "53 Data object (12)",
                                                      "  70 Certificate (5)",
                                                      "    30 (3)",
                                                      "      02 (1): 05",
                                                      "  71 Certificate info (1): 00",  // constructed tag, padding only: value shown
                                                      "  FE Error detection code (0)",
                                                  });
    TlvParse p = parse_ber_tlv(obj, kMaxTlvDepth, encapsulating_tags(AppletKind::Piv));
    REQUIRE(p.ok());
    CHECK_FALSE(p.nodes[0].constructed);
    CHECK(p.nodes[0].encapsulates);
    // Outside PIV, or when the content is no TLV, 53 stays a primitive value.
    CHECK(format_ber_tlv(obj) == std::vector<std::string>{"53 Discretionary data (12): 70053003020105710100FE00"});
    CHECK(format_ber_tlv(hex("5303 414243"), AppletKind::Piv) ==
          std::vector<std::string>{"53 Data object (3): 414243 \"ABC\""});
}

TEST_CASE("tag names depend on the parent and the applet") {
    CHECK(tlv_tag_name(0x80, 0x62) == "File size (data bytes)");
    CHECK(tlv_tag_name(0x80, 0x6F) == "File size (data bytes)");  // FCI shares the FCP rows
    CHECK(tlv_tag_name(0x80, 0x7C) == "Witness");
    CHECK(tlv_tag_name(0x82, 0x7C, AppletKind::Piv) == "Response");
    CHECK(tlv_tag_name(0x80, kTopLevelTag).empty());
    CHECK(tlv_tag_name(0x80, kTopLevelTag, AppletKind::Emv) == "Response message template format 1");
    CHECK(tlv_tag_name(0x83, 0xB6) == "Key reference (secret or public)");  // CRT rows shared
    CHECK(tlv_tag_name(0xC4, kTopLevelTag, AppletKind::OpenPgp) == "PW status bytes");
    CHECK(tlv_tag_name(0xC4, kTopLevelTag).empty());
    CHECK(tlv_tag_name(0x9F7F, kTopLevelTag) == "Card production life cycle data (CPLC)");
    CHECK(tlv_tag_name(0x9F36, kTopLevelTag) == "Application transaction counter (ATC)");
    CHECK(tlv_tag_name(0x5F2D, 0xA5) == "Language preference");
    CHECK(tlv_tag_name(0x70, 0x53, AppletKind::Piv) == "Certificate");
    CHECK(tlv_tag_name(0x81, 0x7F49, AppletKind::OpenPgp) == "RSA modulus");
}

TEST_CASE("tag tables: every row named, keys unique, one table per context") {
    std::set<AppletKind> contexts;
    for (const TagTable& t : tag_tables()) {
        CHECK(contexts.insert(t.context).second);
        std::set<uint64_t> keys;
        for (const Named& n : t.entries) {
            CAPTURE(n.value);
            CHECK_FALSE(n.name.empty());
            CHECK(keys.insert(n.value).second);
            const uint32_t tag = static_cast<uint32_t>(n.value);
            // The tag is a well-formed BER tag: its last byte has bit 8 clear.
            CHECK((tag & 0x80) == ((tag <= 0xFF) ? (tag & 0x80) : 0u));
        }
    }
}
