// The session decoder on traces of real clients, recorded on the test bed by
// tests/data/record_traces.sh (opensc-tool -n, pkcs11-tool -L, openpgp-tool,
// piv-tool -n, gpg --card-status): every application they select by DF name
// is named. The share is printed so that a run shows it.
#include <doctest/doctest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocol/apdu_decoder.hpp"

using namespace pcscspy;

namespace {

struct SelectShare {
    size_t selects = 0;      // SELECT by DF name with an AID
    size_t named = 0;        // ... that name their application
    size_t exchanges = 0;
    std::set<std::string> unnamed;
};

// Feeds every SCardTransmit of the trace, in order, to one decoder per card
// handle (as the monitor does); a (re)connect starts that handle afresh.
SelectShare replay_trace(const std::string& name) {
    const std::string path = std::string(PCSCSPY_SOURCE_DIR) + "/tests/data/traces/" + name + ".ndjson";
    std::ifstream in(path);
    REQUIRE_MESSAGE(in, "cannot read " << path);
    std::map<std::pair<int64_t, int64_t>, ApduDecoder> decoders;  // (pid, hCard)
    SelectShare share;
    std::string line;
    while (std::getline(in, line)) {
        const nlohmann::json e = nlohmann::json::parse(line);
        if (e.value("type", "") != "call") continue;
        const std::string fn = e.value("fn", "");
        const int64_t pid = e.value("pid", int64_t{0});
        if (fn == "SCardConnect" && e.contains("out") && e["out"].contains("phCard"))
            decoders[{pid, e["out"]["phCard"].get<int64_t>()}].reset();
        if (fn == "SCardReconnect") decoders[{pid, e["in"]["hCard"].get<int64_t>()}].reset();
        if (fn != "SCardTransmit") continue;
        const HexParse command = parse_hex(e["in"].value("pbSendBuffer", ""));
        std::string response_hex;
        if (e.contains("out") && e["out"].contains("pbRecvBuffer") && e["out"]["pbRecvBuffer"].is_string())
            response_hex = e["out"]["pbRecvBuffer"].get<std::string>();
        const HexParse response = parse_hex(response_hex);
        REQUIRE(command.ok());
        REQUIRE(response.ok());
        ApduDecoder& decoder = decoders[{pid, e["in"]["hCard"].get<int64_t>()}];
        const DecodedExchange d = decoder.feed(command.bytes, response.bytes, e.value("seq", uint64_t{0}));
        ++share.exchanges;
        if (!d.parse.ok() || d.ins_name != "SELECT" || d.parse.apdu->p1 != 0x04 || d.parse.apdu->nc == 0) continue;
        ++share.selects;
        if (d.application) ++share.named;
        else share.unnamed.insert(to_hex(d.parse.apdu->data(command.bytes)));
    }
    return share;
}

}  // namespace

TEST_CASE("traces of real clients: every SELECT by DF name names its application") {
    // name, and the least number of SELECTs by name the trace holds (so that an
    // empty or cut trace cannot pass).
    const std::pair<const char*, size_t> traces[] = {
        {"opensc_tool_name", 40},  {"pkcs11_tool_list", 120}, {"openpgp_tool", 2},
        {"piv_tool_name", 3},      {"gpg_card_status", 6},
    };
    for (const auto& [name, least] : traces) {
        CAPTURE(name);
        const SelectShare s = replay_trace(name);
        std::cout << "trace " << name << ": " << s.named << " of " << s.selects
                  << " SELECTs by DF name name their application ("
                  << (s.selects ? 100.0 * static_cast<double>(s.named) / static_cast<double>(s.selects) : 0.0)
                  << " %), " << s.exchanges << " exchanges\n";
        for (const std::string& aid : s.unnamed) std::cout << "  unnamed: " << aid << "\n";
        CHECK(s.selects >= least);
        CHECK(s.unnamed.empty());
        CHECK(s.named == s.selects);
    }
}
