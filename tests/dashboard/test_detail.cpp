// The detail view of a call: arguments, APDU breakdown, response, ATR; secrets
// masked unless asked for.
#include <doctest/doctest.h>

#include "monitor/views/dashboard/detail_view.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

namespace {

const CallRecord& call_with_apdu(const SessionModel& m, std::string_view prefix) {
    for (const CallRecord& c : m.calls())
        if (c.apdu.starts_with(prefix)) return c;
    FAIL("no such call");
    return m.calls().front();
}

const CallRecord& call_of(const SessionModel& m, std::string_view fn) {
    for (const CallRecord& c : m.calls())
        if (m.function_name(c) == fn) return c;
    FAIL("no such call");
    return m.calls().front();
}

}  // namespace

TEST_CASE("detail: a transmit with every argument, the APDU breakdown and the response") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    std::vector<StyledLine> lines = detail_lines(d.model, call_with_apdu(d.model, "GET CHALLENGE"), false, d.glyphs);
    std::string text = text_of(lines);
    for (std::string_view expected : {
             "SCardTransmit  seq 11",
             "Process   4242 opensc-tool  tid 4242",
             "Reader    Virtual PCD 00 00",
             "Result    SCARD_S_SUCCESS (0x00000000)  Command successful.",
             "i pioSendPci: dwProtocol T=1 (0x00000002), cbPciLength 16",
             "i   0000 00 84 00 00 08",
             "o   0000 1A 2B 3C 4D 5E 6F 70 81 90 00                    .+<M^op...",
             "Command APDU",
             "CLA 00    inter-industry, channel 0, no SM",
             "INS 84    GET CHALLENGE",
             "case 2 short, Le = 08 (Ne = 8)",
             "Response APDU",
             "SW 9000   ",
             "Data      8 bytes",
         }) {
        CAPTURE(expected);
        CHECK(text.find(expected) != std::string::npos);
    }
    const StyledLine* sw = row_with(lines, "SW 9000");
    REQUIRE(sw);
    CHECK(sw->spans[1].role == Role::Ok);
}

TEST_CASE("detail: a VERIFY's PIN is masked unless secrets are shown") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    const CallRecord& verify = call_with_apdu(d.model, "VERIFY");
    std::string masked = text_of(detail_lines(d.model, verify, false, d.glyphs));
    CHECK(masked.find("31 32 33") == std::string::npos);
    CHECK(masked.find("313233") == std::string::npos);
    CHECK(masked.find("2A 2A 2A 2A 2A 2A") != std::string::npos);
    CHECK(masked.find("masked; --show-secrets shows it") != std::string::npos);
    CHECK(masked.find("63C2") != std::string::npos);
    std::string shown = text_of(detail_lines(d.model, verify, true, d.glyphs));
    CHECK(shown.find("31 32 33 34 35 36") != std::string::npos);
}

TEST_CASE("detail: ATRs of SCardStatus and SCardGetStatusChange are broken down") {
    Dashboard d;
    d.feed_file("opensc_tool_session.ndjson");
    std::string status = text_of(detail_lines(d.model, call_of(d.model, "SCardStatus"), false, d.glyphs));
    CHECK(status.find("ATR of Virtual PCD 00 00") != std::string::npos);
    CHECK(status.find("3B 95 13 81 01 80 73 FF 01 00 0B") != std::string::npos);
    CHECK(status.find("TS") != std::string::npos);  // atr_lines' breakdown
    std::string change = text_of(detail_lines(d.model, call_of(d.model, "SCardGetStatusChange"), false, d.glyphs));
    CHECK(change.find("ATR of Virtual PCD 00 00") != std::string::npos);
    CHECK(change.find("ATR of Virtual PCD 00 01") == std::string::npos);  // no card there
    std::string connect = text_of(detail_lines(d.model, call_of(d.model, "SCardConnect"), false, d.glyphs));
    CHECK(connect.find("the card now in the reader") != std::string::npos);
}

TEST_CASE("detail: a SELECT's response is shown as BER-TLV") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/bin/pay"));
    d.feed(Events::establish(1, 1'000'100, 1, 7));
    d.feed(Events::connect(1, 1'000'200, 2, 7, "R", 70));
    d.feed(Events::transmit(1, 1'000'300, 3, 70, "R", "00A404000E325041592E5359532E444446303100",
                            "6F10840E325041592E5359532E44444630319000"));
    std::string text = text_of(detail_lines(d.model, d.model.calls().back(), false, d.glyphs));
    CHECK(text.find("BER-TLV") != std::string::npos);
    CHECK(text.find("6F") != std::string::npos);
    CHECK(text.find("84") != std::string::npos);
    CHECK(text.find("2PAY.SYS.DDF01") != std::string::npos);
}

TEST_CASE("detail: a command's data fields are named in the selected application's terms") {
    Dashboard d;
    d.feed(Events::hello(1, 1'000'000, "/bin/pay"));
    d.feed(Events::establish(1, 1'000'100, 1, 7));
    d.feed(Events::connect(1, 1'000'200, 2, 7, "R", 70));
    // SELECT of an EMV application whose FCI holds a PDOL (9F66, 4 bytes), then its GPO.
    d.feed(Events::transmit(1, 1'000'300, 3, 70, "R", "00A4040007A000000003101000",
                            "6F118407A0000000031010A5069F38039F66049000"));
    d.feed(Events::transmit(1, 1'000'400, 4, 70, "R", "80A800000683043600000000", "80061980080101009000"));
    std::string text = text_of(detail_lines(d.model, d.model.calls().back(), false, d.glyphs));
    CHECK(text.find("Fields") != std::string::npos);
    CHECK(text.find("PDOL 9F6604:") != std::string::npos);
    CHECK(text.find("Terminal transaction qualifiers (TTQ) (4): 36000000") != std::string::npos);
    CHECK(text.find("Application interchange profile (AIP) (2): 1980") != std::string::npos);
}

TEST_CASE("detail: names from a hostile program reach the lines as visible escapes") {
    Dashboard d;
    const std::string reader = "Evil\x1b[2J\x1b]52;c;cHduZWQ=\x07 Reader";
    d.feed(Events::hello(1, 1'000'000, "/bin/\x1b[31mred"));
    d.feed(Events::establish(1, 1'000'100, 1, 7));
    d.feed(Events::connect(1, 1'000'200, 2, 7, reader, 70));
    d.feed(Events::transmit(1, 1'000'300, 3, 70, reader, "0084000008", "01020304050607089000"));
    for (const CallRecord& c : d.model.calls())
        for (const StyledLine& l : detail_lines(d.model, c, false, d.glyphs))
            for (const Span& s : l.spans)
                for (char ch : s.text) CHECK((static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f));
    std::string text = text_of(detail_lines(d.model, d.model.calls().back(), false, d.glyphs));
    CHECK(text.find("Evil\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07 Reader") != std::string::npos);
}
