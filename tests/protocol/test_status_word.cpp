#include <doctest/doctest.h>

#include <set>
#include <tuple>

#include "protocol/status_word.hpp"

using namespace pcscspy;

namespace {
constexpr AppletKind kAllKinds[] = {
    AppletKind::Unknown,     AppletKind::GlobalPlatform, AppletKind::Emv,          AppletKind::Piv,
    AppletKind::OpenPgp,     AppletKind::Fido,           AppletKind::YubicoOtp,    AppletKind::YubicoManagement,
    AppletKind::YubicoOath,  AppletKind::Ndef,           AppletKind::Emrtd,        AppletKind::Pkcs15,
    AppletKind::Gids,        AppletKind::Other,
};
}  // namespace

TEST_CASE("describe_sw: the ISO 7816-4 table and its patterns") {
    struct Case {
        uint16_t sw;
        SwClass cls;
        const char* text;
    } cases[] = {
        {0x9000, SwClass::Success, "OK"},
        {0x6110, SwClass::Success, "16 response bytes still available (GET RESPONSE)"},
        {0x6101, SwClass::Success, "1 response byte still available (GET RESPONSE)"},
        {0x6100, SwClass::Success, "256 or more response bytes still available (GET RESPONSE)"},
        {0x6281, SwClass::Warning, "Part of returned data may be corrupted"},
        {0x6282, SwClass::Warning, "End of file or record reached before reading Ne bytes, or unsuccessful search"},
        {0x6283, SwClass::Warning, "Selected file deactivated (invalidated; GlobalPlatform: card locked)"},
        {0x6284, SwClass::Warning, "File control information not formatted according to ISO 7816-4"},
        {0x6285, SwClass::Warning, "Selected file in termination state"},
        {0x6286, SwClass::Warning, "No input data available from a sensor on the card"},
        {0x6287, SwClass::Warning, "At least one of the referenced records is deactivated"},
        {0x6210, SwClass::Warning, "Warning, non-volatile memory unchanged (SW2 10: triggering by the card)"},
        {0x63C2, SwClass::Warning, "Verification failed, 2 retries left"},
        {0x63CF, SwClass::Warning, "Verification failed, 15 retries left"},
        {0x63C1, SwClass::Warning, "Verification failed, 1 retry left"},
        {0x63C0, SwClass::Warning, "Verification failed, no retries left (blocked)"},
        {0x6381, SwClass::Warning, "File filled up by the last write"},
        {0x6310, SwClass::Warning, "Warning, non-volatile memory changed (SW2 10)"},
        {0x6401, SwClass::Error, "Immediate response required by the card"},
        {0x6581, SwClass::Error, "Memory failure"},
        {0x6600, SwClass::Error, "Security-related issue, no information given"},
        {0x6700, SwClass::Error, "Wrong length (Lc or Le)"},
        {0x6881, SwClass::Error, "Logical channel not supported"},
        {0x6882, SwClass::Error, "Secure messaging not supported"},
        {0x6883, SwClass::Error, "Last command of the chain expected"},
        {0x6884, SwClass::Error, "Command chaining not supported"},
        {0x6982, SwClass::Error, "Security status not satisfied"},
        {0x6983, SwClass::Error, "Authentication method blocked"},
        {0x6985, SwClass::Error, "Conditions of use not satisfied"},
        {0x6A80, SwClass::Error, "Incorrect parameters in the command data field"},
        {0x6A82, SwClass::Error, "File or application not found"},
        {0x6A86, SwClass::Error, "Incorrect parameters P1-P2"},
        {0x6A88, SwClass::Error, "Referenced data or reference data not found"},
        {0x6B00, SwClass::Error, "Wrong parameters P1-P2 (offset or address outside the EF)"},
        {0x6C10, SwClass::Error, "Wrong Le field; exact length is 16 bytes (Le=10)"},
        {0x6C00, SwClass::Error, "Wrong Le field; exact length is 256 bytes (Le=00)"},
        {0x6D00, SwClass::Error, "Instruction code not supported or invalid"},
        {0x6E00, SwClass::Error, "Class not supported"},
        {0x6F00, SwClass::Error, "No precise diagnosis"},
        {0x6F42, SwClass::Error, "No precise diagnosis (SW2 42)"},
        {0x6999, SwClass::Error, "Applet selection failed (Java Card)"},
        {0x9484, SwClass::Error, "Algorithm not supported (GlobalPlatform)"},
        {0x9485, SwClass::Error, "Invalid key check value (GlobalPlatform)"},
        {0x9123, SwClass::Unknown, "Application-specific status (not defined by ISO 7816-4)"},
        {0x6042, SwClass::Error, "Not a status word: 60 is the T=0 NULL procedure byte"},
        {0x1234, SwClass::Error, "Not a status word (SW1 12 is neither 6X nor 9X)"},
        {0x0000, SwClass::Error, "Not a status word (SW1 00 is neither 6X nor 9X)"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.sw);
        SwMeaning m = describe_sw(c.sw);
        CHECK(m.text == c.text);
        CHECK(m.cls == c.cls);
        CHECK(describe_sw(static_cast<uint8_t>(c.sw >> 8), static_cast<uint8_t>(c.sw)).text == m.text);
    }
}

TEST_CASE("describe_sw: applet context rows win over the generic ones") {
    CHECK(describe_sw(0x6283, AppletKind::GlobalPlatform).text ==
          "Card life cycle state is CARD_LOCKED (selected file invalidated)");
    CHECK(describe_sw(0x6283, AppletKind::Emv).text == "Selected file invalidated (application blocked)");
    CHECK(describe_sw(0x6283, AppletKind::Piv).text == "Selected file deactivated (invalidated; GlobalPlatform: card locked)");
    CHECK(describe_sw(0x6310, AppletKind::GlobalPlatform).text == "More data available (repeat GET STATUS or GET DATA)");
    CHECK(describe_sw(0x6300, AppletKind::GlobalPlatform).text == "Authentication of host cryptogram failed");
    CHECK(describe_sw(0x9100, AppletKind::Fido).cls == SwClass::Success);
    CHECK(describe_sw(0x9100).cls == SwClass::Unknown);
    // A context row never hides a more specific generic one.
    CHECK(describe_sw(0x63C2, AppletKind::GlobalPlatform).text == "Verification failed, 2 retries left");
}

TEST_CASE("status word rows: every row is reachable, texts are filled and printable") {
    std::set<const SwRow*> reached;
    for (AppletKind kind : kAllKinds) {
        for (unsigned sw = 0; sw <= 0xFFFF; ++sw) {
            SwMeaning m = describe_sw(static_cast<uint16_t>(sw), kind);
            if (m.row) reached.insert(m.row);
            CHECK_FALSE(m.text.empty());
            if (m.text.find('{') != std::string::npos || m.text.find('\n') != std::string::npos) {
                FAIL("unfilled or multi-line text for " << sw << ": " << m.text);
            }
            const uint8_t sw1 = static_cast<uint8_t>(sw >> 8);
            const bool status = (sw1 & 0xF0) == 0x60 || (sw1 & 0xF0) == 0x90;
            if (status != (m.row != nullptr)) FAIL("SW " << sw << " row presence");
            if (sw1 >= 0x64 && sw1 <= 0x6F && m.cls != SwClass::Error) FAIL("64-6F must be errors: " << sw);
            if ((sw1 == 0x62 || sw1 == 0x63) && m.cls != SwClass::Warning) FAIL("62/63 must be warnings: " << sw);
        }
    }
    for (const SwRow& row : sw_rows()) {
        CAPTURE(row.value);
        CAPTURE(row.text);
        CHECK(reached.count(&row) == 1);
        CHECK_FALSE(row.text.empty());
        CHECK((row.value & row.mask) == row.value);
        CHECK(find_value(kSwClasses, static_cast<uint64_t>(row.cls)) != nullptr);
    }
}

TEST_CASE("status word rows: no two rows share a pattern and a context") {
    std::set<std::tuple<uint16_t, uint16_t, AppletKind>> seen;
    for (const SwRow& row : sw_rows()) {
        CAPTURE(row.text);
        CHECK(seen.insert({row.value, row.mask, row.applet}).second);
    }
}

TEST_CASE("sw_class_name names the classes") {
    CHECK(sw_class_name(SwClass::Success) == "success");
    CHECK(sw_class_name(SwClass::Warning) == "warning");
    CHECK(sw_class_name(SwClass::Error) == "error");
    CHECK(sw_class_name(SwClass::Unknown) == "unknown");
}

TEST_CASE("describe_sw: the applet chooses the meaning (GlobalPlatform, PIV, OpenPGP, EMV)") {
    struct Case {
        AppletKind applet;
        uint16_t sw;
        SwClass cls;
        const char* text;
        const char* checked_against;
    } cases[] = {
        {AppletKind::GlobalPlatform, 0x6310, SwClass::Warning, "More data available (repeat GET STATUS or GET DATA)",
         "GP Card Spec 2.3 §11.4.3 (GET STATUS) table 11-36"},
        {AppletKind::GlobalPlatform, 0x6A81, SwClass::Error,
         "Function not supported (e.g. card life cycle state is CARD_LOCKED)", "GP Card Spec 2.3 §11.9.3 (SELECT)"},
        {AppletKind::GlobalPlatform, 0x6982, SwClass::Error,
         "Security status not satisfied (no secure channel, or its security level too low)",
         "GP Card Spec 2.3 §11.1.3 table 11-10"},
        {AppletKind::GlobalPlatform, 0x6A88, SwClass::Error, "Referenced data not found (key, object or GET DATA tag)",
         "GP Card Spec 2.3 §11.2.3 (DELETE), §11.3.3 (GET DATA)"},
        {AppletKind::GlobalPlatform, 0x6A84, SwClass::Error, "Not enough memory space",
         "GP Card Spec 2.3 §11.5.3 (INSTALL), §11.6.3 (LOAD)"},
        {AppletKind::GlobalPlatform, 0x9485, SwClass::Error, "Invalid key check value", "GP Card Spec 2.3 §11.8.3"},
        {AppletKind::Piv, 0x6A82, SwClass::Error, "Application or data object not found",
         "SP 800-73-4 part 2 §3.1.1 (SELECT), §3.1.2 (GET DATA)"},
        {AppletKind::Piv, 0x6983, SwClass::Error, "Authentication method blocked (PIN or PUK blocked)",
         "SP 800-73-4 part 2 §3.2.1 (VERIFY)"},
        {AppletKind::Piv, 0x6A86, SwClass::Error, "Incorrect parameter in P1 or P2 (algorithm or key reference)",
         "SP 800-73-4 part 2 §3.2.4 (GENERAL AUTHENTICATE)"},
        {AppletKind::Piv, 0x6A88, SwClass::Error, "Key reference not found", "SP 800-73-4 part 2 §3.2.1 (VERIFY)"},
        {AppletKind::Piv, 0x63C2, SwClass::Warning, "Verification failed, 2 retries left",
         "SP 800-73-4 part 2 §3.2.1 (VERIFY)"},
        {AppletKind::OpenPgp, 0x63C2, SwClass::Warning, "Password not checked, 2 further retries allowed",
         "OpenPGP card 3.4 §7.4"},
        {AppletKind::OpenPgp, 0x63C1, SwClass::Warning, "Password not checked, 1 further retry allowed",
         "OpenPGP card 3.4 §7.4"},
        {AppletKind::OpenPgp, 0x6983, SwClass::Error, "Authentication method blocked: PW blocked (error counter zero)",
         "OpenPGP card 3.4 §7.4"},
        {AppletKind::OpenPgp, 0x6285, SwClass::Warning,
         "Selected file or DO in termination state (ACTIVATE FILE resets the application)", "OpenPGP card 3.4 §7.4"},
        {AppletKind::OpenPgp, 0x6600, SwClass::Error, "Security-related issue (user interaction: touch not confirmed)",
         "OpenPGP card 3.4 §7.4"},
        {AppletKind::Emv, 0x6985, SwClass::Error,
         "Conditions of use not satisfied (GET PROCESSING OPTIONS: application not usable for this transaction)",
         "EMV Book 3 §10.1"},
        {AppletKind::Emv, 0x6A83, SwClass::Error, "Record not found (READ RECORD: no more records in this SFI)",
         "EMV Book 1 §12.2.3"},
        {AppletKind::Emv, 0x6A81, SwClass::Error, "Function not supported (SELECT: card or application blocked)",
         "EMV Book 1 §12.2.2"},
        {AppletKind::Emv, 0x63C1, SwClass::Warning, "Wrong PIN, 1 PIN try left", "EMV Book 3 §6.5.12 (VERIFY)"},
        {AppletKind::Emv, 0x6983, SwClass::Error, "Authentication method blocked (PIN try limit exceeded)",
         "EMV Book 3 §6.5.12 (VERIFY)"},
        // Without context: the inter-industry meaning.
        {AppletKind::Unknown, 0x6310, SwClass::Warning, "Warning, non-volatile memory changed (SW2 10)",
         "ISO 7816-4 §5.6 table 6"},
        {AppletKind::Unknown, 0x6A83, SwClass::Error, "Record not found", "ISO 7816-4 §5.6 table 6"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.sw);
        CAPTURE(std::string(c.checked_against));
        const SwMeaning m = describe_sw(c.sw, c.applet);
        CHECK(m.text == c.text);
        CHECK(m.cls == c.cls);
    }
}
