#include <doctest/doctest.h>

#include <set>

#include "protocol/ins_names.hpp"

using namespace pcscspy;

TEST_CASE("INS tables: named, no duplicate (context, INS), one table per context") {
    std::set<AppletKind> contexts;
    size_t rows = 0;
    for (const InsTable& t : ins_tables()) {
        CAPTURE(applet_kind_name(t.context));
        CHECK(contexts.insert(t.context).second);
        CHECK_FALSE(t.entries.empty());
        std::set<uint64_t> seen;
        for (const Named& n : t.entries) {
            CAPTURE(n.value);
            CHECK(n.value <= 0xFF);
            CHECK_FALSE(n.name.empty());
            CHECK(seen.insert(n.value).second);
            // ISO 7816-3: 6X and 9X are procedure bytes/status, not INS values.
            CHECK((n.value & 0xF0) != 0x60);
            CHECK((n.value & 0xF0) != 0x90);
            for (char c : n.name) CHECK((c >= 0x20 && c < 0x7F));
            ++rows;
        }
        CHECK(ins_table(t.context).data() == t.entries.data());
    }
    CHECK(ins_tables().front().context == AppletKind::Unknown);
    CHECK(rows > 150);
    CHECK(ins_table(AppletKind::Ndef).empty());
}

TEST_CASE("INS tables: the inter-industry set of ISO 7816-4, -8 and -9") {
    struct Case {
        uint8_t ins;
        const char* name;
    } cases[] = {
        {0xA4, "SELECT"}, {0xB0, "READ BINARY"}, {0xB1, "READ BINARY"}, {0xD6, "UPDATE BINARY"},
        {0xD7, "UPDATE BINARY"}, {0x20, "VERIFY"}, {0x21, "VERIFY"}, {0xCA, "GET DATA"}, {0xCB, "GET DATA"},
        {0xDA, "PUT DATA"}, {0xDB, "PUT DATA"}, {0xC0, "GET RESPONSE"}, {0xC2, "ENVELOPE"}, {0x84, "GET CHALLENGE"},
        {0x88, "INTERNAL AUTHENTICATE"}, {0x82, "EXTERNAL AUTHENTICATE"}, {0x86, "GENERAL AUTHENTICATE"},
        {0x87, "GENERAL AUTHENTICATE"}, {0x70, "MANAGE CHANNEL"}, {0x22, "MANAGE SECURITY ENVIRONMENT"},
        {0x2A, "PERFORM SECURITY OPERATION"}, {0x24, "CHANGE REFERENCE DATA"}, {0x2C, "RESET RETRY COUNTER"},
        {0x28, "ENABLE VERIFICATION REQUIREMENT"}, {0x26, "DISABLE VERIFICATION REQUIREMENT"},
        {0xA0, "SEARCH BINARY"}, {0xA2, "SEARCH RECORD"}, {0xB2, "READ RECORD(S)"}, {0xD2, "WRITE RECORD"},
        {0xE2, "APPEND RECORD"}, {0xDC, "UPDATE RECORD"}, {0x0E, "ERASE BINARY"}, {0x44, "ACTIVATE FILE"},
        {0x04, "DEACTIVATE FILE"}, {0xE0, "CREATE FILE"}, {0xE4, "DELETE FILE"}, {0xE6, "TERMINATE DF"},
        {0xE8, "TERMINATE EF"}, {0xFE, "TERMINATE CARD USAGE"}, {0x46, "GENERATE ASYMMETRIC KEY PAIR"},
        {0x47, "GENERATE ASYMMETRIC KEY PAIR"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        InsName n = name_instruction(AppletKind::Unknown, 0x00, c.ins, 0x00);
        REQUIRE(n.known());
        CHECK(n.entry->name == c.name);
        CHECK(n.table == AppletKind::Unknown);
    }
    // Odd INS say so.
    CHECK(name_instruction(AppletKind::Unknown, 0x00, 0xB1, 0).entry->meaning.find("odd INS") == 0);
}

TEST_CASE("name_instruction: applet table, then class convention, then inter-industry") {
    struct Case {
        AppletKind applet;
        uint8_t cla, ins, p1;
        const char* name;  // display name
        AppletKind table;
    } cases[] = {
        // The applet's table names its own commands.
        {AppletKind::Piv, 0x00, 0x87, 0x11, "GENERAL AUTHENTICATE", AppletKind::Piv},
        {AppletKind::Piv, 0x00, 0xFD, 0x00, "GET VERSION", AppletKind::Piv},
        {AppletKind::Piv, 0x00, 0xF8, 0x00, "GET SERIAL", AppletKind::Piv},
        {AppletKind::OpenPgp, 0x00, 0x47, 0x80, "GENERATE ASYMMETRIC KEY PAIR", AppletKind::OpenPgp},
        {AppletKind::OpenPgp, 0x00, 0xE6, 0x00, "TERMINATE DF", AppletKind::OpenPgp},
        {AppletKind::OpenPgp, 0x00, 0xA5, 0x00, "SELECT DATA", AppletKind::OpenPgp},
        {AppletKind::OpenPgp, 0x00, 0xF1, 0x00, "GET VERSION", AppletKind::OpenPgp},
        {AppletKind::YubicoOath, 0x00, 0xA1, 0x00, "LIST", AppletKind::YubicoOath},
        {AppletKind::YubicoOath, 0x00, 0xA4, 0x00, "CALCULATE ALL", AppletKind::YubicoOath},
        {AppletKind::Fido, 0x80, 0x10, 0x00, "NFCCTAP_MSG", AppletKind::Fido},
        {AppletKind::Emv, 0x80, 0xAE, 0x80, "GENERATE AC", AppletKind::Emv},
        {AppletKind::Emv, 0x84, 0x24, 0x00, "PIN CHANGE/UNBLOCK", AppletKind::Emv},
        // SELECT by DF name is SELECT whatever the applet.
        {AppletKind::YubicoOath, 0x00, 0xA4, 0x04, "SELECT", AppletKind::Unknown},
        // Applet table without the INS: class convention, then inter-industry.
        {AppletKind::Piv, 0x00, 0xB0, 0x00, "READ BINARY", AppletKind::Unknown},
        {AppletKind::Piv, 0x80, 0xE6, 0x0C, "INSTALL", AppletKind::GlobalPlatform},
        // No applet: proprietary classes follow the GP/EMV convention.
        {AppletKind::Unknown, 0x80, 0xE6, 0x0C, "INSTALL", AppletKind::GlobalPlatform},
        {AppletKind::Unknown, 0x84, 0xE6, 0x0C, "INSTALL", AppletKind::GlobalPlatform},
        {AppletKind::Unknown, 0x00, 0xE6, 0x00, "TERMINATE DF", AppletKind::Unknown},
        {AppletKind::Unknown, 0x80, 0x50, 0x00, "INITIALIZE UPDATE", AppletKind::GlobalPlatform},
        {AppletKind::Unknown, 0x80, 0xCA, 0x9F, "GET DATA", AppletKind::GlobalPlatform},
        {AppletKind::Unknown, 0x80, 0xF2, 0x40, "GET STATUS", AppletKind::GlobalPlatform},
        {AppletKind::Unknown, 0x80, 0xA8, 0x00, "GET PROCESSING OPTIONS", AppletKind::Emv},
        {AppletKind::Unknown, 0x80, 0xAE, 0x40, "GENERATE AC", AppletKind::Emv},
        {AppletKind::Unknown, 0x00, 0xA8, 0x00, "INS A8", AppletKind::Unknown},
        {AppletKind::Unknown, 0x80, 0x20, 0x00, "VERIFY", AppletKind::Emv},
        // A0-BF has no convention (GSM 11.11 class): inter-industry names only.
        {AppletKind::Unknown, 0xA0, 0xE6, 0x00, "TERMINATE DF", AppletKind::Unknown},
        {AppletKind::Unknown, 0x00, 0xFD, 0x00, "INS FD", AppletKind::Unknown},
        {AppletKind::Ndef, 0x00, 0xB0, 0x00, "READ BINARY", AppletKind::Unknown},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        InsName n = name_instruction(c.applet, c.cla, c.ins, c.p1);
        CHECK(ins_display_name(n, c.ins) == c.name);
        if (n.known()) CHECK(n.table == c.table);
    }
}

TEST_CASE("ins_table_name: which table named the INS, also for plain ISO commands") {
    struct Case {
        AppletKind applet;
        uint8_t cla, ins, p1;
        const char* table;  // "" when no table knows the INS
        const char* checked_against;
    } cases[] = {
        {AppletKind::Unknown, 0x00, 0xB0, 0x00, "ISO 7816", "ISO 7816-4 table 4 (READ BINARY)"},
        {AppletKind::Unknown, 0x00, 0xA4, 0x04, "ISO 7816", "ISO 7816-4 table 4 (SELECT)"},
        {AppletKind::Piv, 0x00, 0xA4, 0x04, "ISO 7816", "SELECT by DF name is always the runtime's"},
        {AppletKind::Piv, 0x00, 0x87, 0x07, "PIV", "SP 800-73-4 part 2 §3.2.4"},
        {AppletKind::OpenPgp, 0x00, 0x20, 0x00, "OpenPGP", "OpenPGP card 3.4 §7.2.2"},
        {AppletKind::Unknown, 0x80, 0x50, 0x00, "GlobalPlatform", "GP Card Spec 2.3 §11.11 (class 80)"},
        {AppletKind::Unknown, 0x80, 0xA8, 0x00, "EMV", "EMV Book 3 §6.5.8 (class 80)"},
        {AppletKind::Cac, 0x80, 0x56, 0x00, "CAC", "OpenSC card-cac.c CAC_INS_GET_PROPERTIES"},
        {AppletKind::Unknown, 0x00, 0x77, 0x00, "", "no table has INS 77"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.checked_against));
        CHECK(ins_table_name(name_instruction(c.applet, c.cla, c.ins, c.p1)) == c.table);
    }
}
