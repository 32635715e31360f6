// Every function with every odd argument, through the interposer in front of the
// scripted double: what each call event must say. The host (host/host.cpp,
// "odd") prints one label per call in call order; the table below is keyed by
// those labels.
#include <doctest/doctest.h>

#include <functional>
#include <sstream>

#include "support/harness.hpp"

using namespace pcscspy::test;

namespace {

const std::string kName0 = "Double \u00ff\u00fe Reader 00";  // the bytes FF FE, escaped as \u00ff\u00fe
const std::string kAtr = "3B951381018073FF01000B";

struct Seen {
    int64_t ctx = 0, card = 0;
    std::map<std::string, int64_t> alloc;
};

bool has(const json& o, const char* key) { return o.is_object() && o.contains(key); }
bool noted(const json& call, const char* list, const char* field) {
    if (!call.contains(list)) return false;
    for (const json& f : call[list])
        if (f == field) return true;
    return false;
}

struct Expectation {
    const char* label;
    const char* fn;
    const char* rv_name;
    std::function<void(const json& call, Seen& seen)> check;
};

const Expectation kExpectations[] = {
    {"establish", "SCardEstablishContext", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["in"] == json::parse(R"({"dwScope":2,"pvReserved1":null,"pvReserved2":null})"));
         REQUIRE(c["out"]["phContext"].is_number());
         s.ctx = c["out"]["phContext"];
         CHECK_FALSE(has(c, "ctx"));
     }},
    {"establish-null-out", "SCardEstablishContext", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["phContext"].is_null());
         CHECK(c["out"].empty());
     }},
    {"valid", "SCardIsValidContext", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["ctx"] == s.ctx);
         CHECK(c["in"]["hContext"] == s.ctx);
     }},
    {"groups-len", "SCardListReaderGroups", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["mszGroups"].is_null());
         CHECK(c["in"]["pcchGroups"] == 0);
         CHECK(c["out"] == json::parse(R"({"pcchGroups":22})"));
     }},
    {"groups-auto", "SCardListReaderGroups", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["in"]["pcchGroups"] == "SCARD_AUTOALLOCATE");
         CHECK(c["out"]["mszGroups"] == json::parse(R"(["SCard$DefaultReaders"])"));
         CHECK(c["out"]["pcchGroups"] == 22);
         REQUIRE(c["out"]["mszGroups_alloc"].is_number());
         s.alloc["groups"] = c["out"]["mszGroups_alloc"];
     }},
    {"free-groups", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["groups"]); }},
    {"readers-auto", "SCardListReaders", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         REQUIRE(c["out"]["mszReaders"].size() == 16);
         CHECK(c["out"]["mszReaders"][0] == kName0);
         CHECK(c["out"]["mszReaders"][15] == "Double \u00ff\u00fe Reader 15");
         CHECK(c["out"]["pcchReaders"] == 16 * 20 + 1);
         s.alloc["readers"] = c["out"]["mszReaders_alloc"];
     }},
    {"free-readers", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["readers"]); }},
    {"readers-small", "SCardListReaders", "SCARD_E_INSUFFICIENT_BUFFER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pcchReaders"] == 10);
         CHECK(c["out"] == json::parse(R"({"pcchReaders":321})"));
     }},
    {"readers-null-len", "SCardListReaders", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) { CHECK(c["in"]["pcchReaders"].is_null()); }},
    {"status-change-17", "SCardGetStatusChange", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["cReaders"] == 17);
         REQUIRE(c["in"]["rgReaderStates"].size() == 17);
         REQUIRE(c["out"]["rgReaderStates"].size() == 17);
         const json& pnp = c["out"]["rgReaderStates"][16];
         CHECK(pnp["szReader"] == "\\\\?PnP?\\Notification");
         CHECK(pnp["dwEventState"] == (16 << 16 | 0x2));
         const json& r0 = c["out"]["rgReaderStates"][0];
         CHECK(r0["szReader"] == kName0);
         CHECK(r0["dwEventState"] == 0x22);
         CHECK(r0["cbAtr"] == 11);
         CHECK(r0["rgbAtr"] == kAtr);
         CHECK(c["in"]["rgReaderStates"][0]["dwEventState"] == 0);
     }},
    {"status-change-huge", "SCardGetStatusChange", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["cReaders"] == 1000);
         CHECK(c["in"]["rgReaderStates"] == json::array());
         CHECK(noted(c, "clamped", "in.rgReaderStates"));
     }},
    {"status-change-null", "SCardGetStatusChange", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["rgReaderStates"].is_null());
         CHECK_FALSE(has(c["out"], "rgReaderStates"));
     }},
    {"connect", "SCardConnect", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["reader"] == kName0);
         CHECK(c["in"]["szReader"] == kName0);
         CHECK(c["in"]["dwPreferredProtocols"] == 3);
         CHECK(c["out"]["pdwActiveProtocol"] == 2);
         REQUIRE(c["out"]["phCard"].is_number());
         s.card = c["out"]["phCard"];
     }},
    {"connect-null-out", "SCardConnect", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["phCard"].is_null());
         CHECK(c["in"]["pdwActiveProtocol"].is_null());
         CHECK(c["out"].empty());
     }},
    {"reconnect", "SCardReconnect", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["reader"] == kName0);
         CHECK(c["in"]["hCard"] == s.card);
         CHECK(c["in"]["dwInitialization"] == 1);
     }},
    {"status-auto", "SCardStatus", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["in"]["pcchReaderLen"] == "SCARD_AUTOALLOCATE");
         CHECK(c["in"]["pcbAtrLen"] == "SCARD_AUTOALLOCATE");
         CHECK(c["out"]["szReaderName"] == kName0);
         CHECK(c["out"]["pbAtr"] == kAtr);
         CHECK(c["out"]["pcchReaderLen"] == 20);
         CHECK(c["out"]["pcbAtrLen"] == 11);
         CHECK(c["out"]["pdwState"] == 0x40);  // SCARD_SPECIFIC
         CHECK(c["out"]["pdwProtocol"] == 2);
         s.alloc["name"] = c["out"]["szReaderName_alloc"];
         s.alloc["atr"] = c["out"]["pbAtr_alloc"];
     }},
    {"free-name", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["name"]); }},
    {"free-atr", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["atr"]); }},
    {"status-buffers", "SCardStatus", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pcchReaderLen"] == 512);
         CHECK(c["in"]["pcbAtrLen"] == 33);
         CHECK(c["out"]["szReaderName"] == kName0);
         CHECK(c["out"]["pbAtr"] == kAtr);
         CHECK_FALSE(has(c["out"], "pbAtr_alloc"));
     }},
    {"status-small-atr", "SCardStatus", "SCARD_E_INSUFFICIENT_BUFFER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pcbAtrLen"] == 4);
         CHECK(c["out"]["pcbAtrLen"] == 11);
         CHECK_FALSE(has(c["out"], "pbAtr"));
         CHECK_FALSE(has(c["out"], "szReaderName"));
     }},
    {"begin", "SCardBeginTransaction", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) { CHECK(c["reader"] == kName0); }},
    {"end", "SCardEndTransaction", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) { CHECK(c["in"]["dwDisposition"] == 0); }},
    {"transmit", "SCardTransmit", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["reader"] == kName0);
         CHECK(c["in"]["pbSendBuffer"] == "0084000008");
         CHECK(c["in"]["cbSendLength"] == 5);
         CHECK(c["in"]["pioSendPci"] == json::parse(R"({"dwProtocol":2,"cbPciLength":16})"));
         CHECK(c["in"]["pcbRecvLength"] == 300);
         CHECK(c["out"]["pbRecvBuffer"] == "00010203040506079000");
         CHECK(c["out"]["pcbRecvLength"] == 10);
         CHECK(c["out"]["pioRecvPci"] == json::parse(R"({"dwProtocol":2,"cbPciLength":16})"));
     }},
    {"transmit-same-buffer", "SCardTransmit", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pbSendBuffer"] == "0084000004");  // captured before the answer overwrote it
         CHECK(c["in"]["pioRecvPci"].is_null());
         CHECK(c["out"]["pbRecvBuffer"] == "000102039000");
     }},
    {"transmit-extended", "SCardTransmit", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         std::string sent = c["in"]["pbSendBuffer"], got = c["out"]["pbRecvBuffer"];
         // pcsc-lite's MAX_BUFFER_SIZE_EXTENDED: 4 + 3 + 65536 + 3 + 2 bytes.
         CHECK(sent.size() == 2 * 65548);
         CHECK(sent.substr(0, 8) == "00070E15");
         CHECK(got.size() == 2 * 65538);
         CHECK(got.substr(got.size() - 4) == "9000");
         CHECK_FALSE(has(c, "truncated"));
     }},
    {"transmit-null-send", "SCardTransmit", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pbSendBuffer"].is_null());
         CHECK(c["in"]["cbSendLength"] == 5);
     }},
    {"transmit-huge-len", "SCardTransmit", "SCARD_E_INVALID_PARAMETER",
     [](const json& c, Seen&) {
         CHECK(c["in"]["cbSendLength"] == 0x7FFFFFFF);
         CHECK(c["in"]["pbSendBuffer"] == "");
         CHECK(noted(c, "clamped", "in.pbSendBuffer"));
     }},
    {"transmit-small-recv", "SCardTransmit", "SCARD_E_INSUFFICIENT_BUFFER",
     [](const json& c, Seen&) { CHECK(c["out"] == json::parse(R"({"pcbRecvLength":10})")); }},
    {"transmit-lie", "SCardTransmit", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["out"]["pcbRecvLength"] == 120);
         CHECK(c["out"]["pbRecvBuffer"].get<std::string>().size() == 2 * 20);
         CHECK(noted(c, "clamped", "out.pbRecvBuffer"));
     }},
    {"control-lie", "SCardControl", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pbSendBuffer"] == "01020304");
         CHECK(c["out"]["lpBytesReturned"] == 58);
         CHECK(c["out"]["pbRecvBuffer"].get<std::string>().substr(0, 8) == "01020304");
         CHECK(c["out"]["pbRecvBuffer"].get<std::string>().size() == 2 * 8);
         CHECK(noted(c, "clamped", "out.pbRecvBuffer"));
     }},
    {"readers-lie", "SCardListReaders", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["out"]["pcchReaders"] == 110);
         REQUIRE(c["out"]["mszReaders"].size() == 2);
         CHECK(c["out"]["mszReaders"][0] == "Double Reader 00");
         CHECK(c["out"]["mszReaders"][1] == "Double Reader 01" + std::string(67, 'x'));
         CHECK(noted(c, "clamped", "out.mszReaders"));
     }},
    {"status-change-lie", "SCardGetStatusChange", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         const json& r = c["out"]["rgReaderStates"][0];
         CHECK(r["cbAtr"] == 40);
         CHECK(r["rgbAtr"].get<std::string>().size() == 2 * 33);
         CHECK(noted(c, "clamped", "out.rgReaderStates"));
     }},
    {"control-features", "SCardControl", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["dwControlCode"] == 0x42000D48);
         CHECK(c["in"]["pbSendBuffer"].is_null());
         CHECK(c["in"]["cbRecvLength"] == 256);
         CHECK(c["out"]["pbRecvBuffer"] == "060442330006120442330012");
         CHECK(c["out"]["lpBytesReturned"] == 12);
     }},
    {"control-null-returned", "SCardControl", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["lpBytesReturned"].is_null());
         CHECK(c["out"].empty());  // the size of the answer is unknown: nothing is read
     }},
    {"getattrib-len", "SCardGetAttrib", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pbAttr"].is_null());
         CHECK(c["in"]["dwAttrId"] == 0x10100);
         CHECK(c["out"] == json::parse(R"({"pcbAttrLen":14})"));
     }},
    {"getattrib-auto", "SCardGetAttrib", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         CHECK(c["in"]["pcbAttrLen"] == "SCARD_AUTOALLOCATE");
         CHECK(c["out"]["pbAttr"] == "446F75626C652056656E646F7200");
         s.alloc["attr"] = c["out"]["pbAttr_alloc"];
     }},
    {"free-attr", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["attr"]); }},
    {"getattrib-unsupported", "SCardGetAttrib", "SCARD_E_UNSUPPORTED_FEATURE",
     [](const json& c, Seen&) { CHECK_FALSE(has(c["out"], "pbAttr")); }},
    {"setattrib", "SCardSetAttrib", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) {
         CHECK(c["in"]["pbAttr"] == "0102");
         CHECK(c["in"]["cbAttrLen"] == 2);
     }},
    {"cancel-unknown-rv", "SCardCancel", "0x80100099", [](const json& c, Seen&) { CHECK(c["rv"] == 0x80100099); }},
    {"readers-big", "SCardListReaders", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) {
         // 65000 bytes that each need a six-byte escape do not fit an event:
         // written as a prefix and said so.
         CHECK(noted(c, "truncated", "out.mszReaders"));
         REQUIRE(c["out"]["mszReaders"].size() == 1);
         CHECK(c["out"]["mszReaders"][0].get<std::string>().size() > 10000);
         s.alloc["big"] = c["out"]["mszReaders_alloc"];
     }},
    {"free-big", "SCardFreeMemory", "SCARD_S_SUCCESS",
     [](const json& c, Seen& s) { CHECK(c["in"]["pvMem"] == s.alloc["big"]); }},
    {"disconnect", "SCardDisconnect", "SCARD_S_SUCCESS", [](const json& c, Seen&) { CHECK(c["reader"] == kName0); }},
    {"after-disconnect", "SCardBeginTransaction", "SCARD_S_SUCCESS",
     [](const json& c, Seen&) { CHECK_FALSE(has(c, "reader")); }},
    {"release", "SCardReleaseContext", "SCARD_S_SUCCESS", [](const json& c, Seen& s) { CHECK(c["ctx"] == s.ctx); }},
};

}  // namespace

TEST_CASE("every function with every odd argument is reported as called without reading outside a buffer") {
    Monitored m;
    ChildResult r = m.run_host({"odd"});
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());

    std::vector<std::string> labels;
    std::istringstream out(r.out);
    for (std::string line; std::getline(out, line);)
        if (line.rfind("step ", 0) == 0) labels.push_back(line.substr(5));
    REQUIRE(labels.size() == std::size(kExpectations));

    std::vector<json> events = m.events();
    CHECK(m.parse_errors.empty());
    CHECK(check_stream(events, true).empty());
    std::vector<json> calls = of_type(events, "call");
    REQUIRE(calls.size() == labels.size());
    for (const std::string& line : m.listener.lines()) CHECK(line.size() < 320 * 1024);

    Seen seen;
    for (size_t i = 0; i < calls.size(); ++i) {
        const Expectation& e = kExpectations[i];
        const std::string label = e.label;
        CAPTURE(label);
        REQUIRE(labels[i] == e.label);
        CHECK(calls[i]["seq"] == i + 1);
        CHECK(calls[i]["fn"] == e.fn);
        CHECK(calls[i]["rv_name"] == e.rv_name);
        e.check(calls[i], seen);
    }
    // The non-UTF-8 bytes of the reader names stay escaped on the wire.
    bool escaped = false;
    for (const std::string& line : m.listener.lines()) escaped |= line.find("Double \\u00ff\\u00fe Reader") != std::string::npos;
    CHECK(escaped);

    std::vector<json> byes = of_type(events, "bye");
    REQUIRE(byes.size() == 1);
    CHECK(byes[0]["calls"] == calls.size());
    CHECK(byes[0]["lost"] == 0);
}
