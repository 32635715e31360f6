// --pcap: the pcapng capture of a session's APDU exchanges. Its blocks are read
// back here by their layout, and tshark (the real one, when installed) decodes
// a hand-written session with two readers, a failed transmit and a PIN.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>

#include "monitor/io/apdu_capture.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

struct Block {
    uint32_t type = 0;
    std::string body;
};

uint32_t le32(const std::string& s, size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[at + static_cast<size_t>(i)]);
    return v;
}

// Splits a pcapng file into blocks, checking each one's framing.
std::vector<Block> blocks_of(const std::string& file) {
    std::vector<Block> out;
    size_t at = 0;
    while (at < file.size()) {
        REQUIRE(at + 12 <= file.size());
        uint32_t type = le32(file, at), total = le32(file, at + 4);
        REQUIRE(total % 4 == 0);
        REQUIRE(at + total <= file.size());
        REQUIRE(le32(file, at + total - 4) == total);  // the length repeated at the end
        out.push_back({type, file.substr(at + 8, total - 12)});
        at += total;
    }
    return out;
}

// A session: opensc-tool on reader A (a SELECT, then a VERIFY with PIN 123456),
// pcsc_scan on reader B (GET CHALLENGE, then a transmit that fails).
std::string session() {
    SessionWriter a(100), b(200, 1764030000000000 + 5000);
    a.hello("/usr/bin/opensc-tool").establish(1).connect(1, 11, "Reader A");
    a.transmit("00A4040006D27600012401", "6A82", 11, "Reader A");
    a.transmit("0020008106313233343536", "9000", 11, "Reader A");
    b.hello("/usr/bin/pcsc_scan").establish(2).connect(2, 22, "Reader B");
    b.transmit("0084000008", "0102030405060708" "9000", 22, "Reader B");
    b.call("SCardTransmit", R"({"hCard":22,"pbSendBuffer":"00B0000000"})", "{}", 0x80100069, 300,
           R"(,"reader":"Reader B")");
    return a.text + b.text;
}

std::string capture_of(const std::string& events, bool show_secrets, const TempDir& dir) {
    SessionModel m;
    ApduCapture::Result r = ApduCapture::open(dir / "c.pcapng", show_secrets);
    REQUIRE(r.capture);
    for (const std::string& line : lines_of(events)) {
        IngestResult res = m.ingest_line(line);
        if (res.call) r.capture->add(m, *res.call);
    }
    CHECK(r.capture->exchanges() == 4);
    REQUIRE(r.capture->flush());
    r.capture.reset();
    return read_file(dir / "c.pcapng");
}

}  // namespace

TEST_CASE("the capture is a pcapng file: a section, an interface per reader, two packets per exchange") {
    TempDir dir;
    std::string file = capture_of(session(), false, dir);
    struct stat st;
    REQUIRE(stat((dir / "c.pcapng").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::vector<Block> blocks = blocks_of(file);
    REQUIRE(blocks.size() == 1 + 2 + 7);  // SHB, 2 IDBs, 3 exchanges x 2 + 1 failed command
    CHECK(blocks[0].type == 0x0A0D0D0A);
    CHECK(le32(blocks[0].body, 0) == 0x1A2B3C4D);
    size_t interfaces = 0, packets = 0;
    for (const Block& b : blocks) {
        if (b.type == 1) {
            ++interfaces;
            CHECK((static_cast<uint8_t>(b.body[0]) | static_cast<uint8_t>(b.body[1]) << 8) == 252);
        }
        if (b.type == 6) ++packets;
    }
    CHECK(interfaces == 2);
    CHECK(packets == 7);
    // The PIN never reaches the file unless asked.
    CHECK(file.find("\x31\x32\x33\x34\x35\x36") == std::string::npos);
    CHECK(file.find("\x2A\x2A\x2A\x2A\x2A\x2A") != std::string::npos);
    CHECK(capture_of(session(), true, dir).find("\x31\x32\x33\x34\x35\x36") != std::string::npos);
}

TEST_CASE("a capture path that is not a file is refused at once") {
    TempDir dir;
    CHECK(ApduCapture::open(dir.path, false).error.find("cannot create the capture") != std::string::npos);
    CHECK(ApduCapture::open(dir / "missing/c.pcapng", false).error.find("No such file") != std::string::npos);
    REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_FALSE(ApduCapture::open(dir / "fifo", false).capture);  // never blocks waiting for a reader
}

TEST_CASE("tshark decodes every exchange as ISO 7816, paired, on its reader, with its process") {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
        MESSAGE("tshark is not installed (scripts/install-deps.sh installs it)");
        std::exit(77);
    }
    TempDir dir;
    capture_of(session(), false, dir);
    RunResult r = run("tshark -r " + dir / "c.pcapng" +
                      " -T fields -E 'separator=|' -E occurrence=f -e frame.interface_name -e _ws.col.Protocol"
                      " -e iso7816.apdu.ins -e iso7816.apdu.sw1 -e iso7816.apdu.sw2 -e iso7816.resp_to"
                      " -e iso7816.apdu.body -e frame.comment 2>/dev/null");
    REQUIRE(r.status == 0);
    // interface | protocol | INS | SW1 | SW2 | the command a response answers | data | comment
    const std::vector<std::string> expected = {
        "Reader A|ISO 7816|0xa4||||d27600012401|pid 100 opensc-tool, call #3",
        "Reader A|ISO 7816||0x6a|0x82|1||pid 100 opensc-tool, call #3, 45.000 ms",
        "Reader A|ISO 7816|0x20||||2a2a2a2a2a2a|pid 100 opensc-tool, call #4",
        "Reader A|ISO 7816||0x90|0x00|3||pid 100 opensc-tool, call #4, 45.000 ms",
        "Reader B|ISO 7816|0x84|||||pid 200 pcsc_scan, call #3",
        "Reader B|ISO 7816||0x90|0x00|5|0102030405060708|pid 200 pcsc_scan, call #3, 45.000 ms",
        "Reader B|ISO 7816|0xb0|||||pid 200 pcsc_scan, call #4, failed: SCARD_W_REMOVED_CARD",
    };
    INFO("tshark read:\n" << r.out);
    CHECK(lines_of(r.out) == expected);
}
