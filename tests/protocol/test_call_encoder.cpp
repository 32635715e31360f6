// The interposer's call encoder on its own: whatever room it gets, it writes a
// complete, valid line within that room (big values shortened and named in
// "truncated"), or says it could not (the tracer then sends the short form).
#include <doctest/doctest.h>

#include <vector>

#include <winscard.h>

#include "protocol/call_encoder.hpp"
#include "protocol/event.hpp"

using namespace pcscspy;
using nlohmann::json;

namespace {

struct Transmit {
    std::vector<uint8_t> send = std::vector<uint8_t>(65548, 0xA5);
    std::vector<uint8_t> recv = std::vector<uint8_t>(65538, 0x5A);
    DWORD recv_len = 65538;
    SCARD_IO_REQUEST pci{SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
    uint64_t values[7];
    Transmit() {
        const uint64_t v[] = {0x2001,
                              reinterpret_cast<uintptr_t>(&pci),
                              reinterpret_cast<uintptr_t>(send.data()),
                              send.size(),
                              0,
                              reinterpret_cast<uintptr_t>(recv.data()),
                              reinterpret_cast<uintptr_t>(&recv_len)};
        std::copy(std::begin(v), std::end(v), values);
    }
};

// Encodes the call into `capacity` bytes; returns the line (empty if none).
std::string encode(Transmit& t, size_t capacity) {
    std::vector<char> buffer(capacity + 16, '#');
    CallEncoder e(buffer.data(), capacity);
    ArgCapture captures[kMaxArgs];
    e.header(EventHeader{.pid = 1, .tid = 2, .ts_us = 3}, 7, PcscFunction::SCardTransmit);
    e.reader("Reader", 6);
    e.in(PcscFunction::SCardTransmit, t.values, captures, RedactPolicy{});
    e.out(PcscFunction::SCardTransmit, t.values, captures, SCARD_S_SUCCESS);
    size_t n = e.finish(1000, SCARD_S_SUCCESS);
    REQUIRE(n <= capacity);
    for (size_t i = capacity; i < buffer.size(); ++i) REQUIRE(buffer[i] == '#');  // nothing written beyond
    return std::string(buffer.data(), n);
}

}  // namespace

TEST_CASE("the call encoder never writes beyond its room and never writes a broken line") {
    Transmit t;
    size_t completed = 0;
    for (size_t capacity : {64, 128, 256, 512, 1024, 2048, 4096, 6000, 8192, 65536, 131072, 200000, 262143, 262400,
                            300000, 330000}) {
        CAPTURE(capacity);
        std::string line = encode(t, capacity);
        if (line.empty()) continue;  // could not complete: the tracer sends the short form
        ++completed;
        REQUIRE(line.back() == '\n');
        line.pop_back();
        DecodedEvent d = decode_event(line);
        REQUIRE(d.ok());
        json j = json::parse(line);
        const std::string sent = j["in"]["pbSendBuffer"], got = j["out"]["pbRecvBuffer"];
        const bool whole = sent.size() == 2 * 65548 && got.size() == 2 * 65538;
        // Shortened values are named; whole ones are not.
        CHECK(whole == !j.contains("truncated"));
        if (!whole) CHECK(j["truncated"].size() >= 1);
        CHECK(sent.find_first_not_of("A5") == std::string::npos);
        CHECK(j["rv_name"] == "SCARD_S_SUCCESS");
    }
    CHECK(completed >= 10);
    // With the interposer's real buffer everything fits.
    std::string full = encode(t, 320 * 1024);
    REQUIRE_FALSE(full.empty());
    CHECK(full.find("truncated") == std::string::npos);
}
