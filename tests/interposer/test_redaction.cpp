// PCSCSPY_REDACT=1: a PIN never leaves the traced process; the program itself
// still sends it to the card unchanged.
#include <doctest/doctest.h>

#include "support/harness.hpp"

using namespace pcscspy::test;

TEST_CASE("with PCSCSPY_REDACT=1 the PIN of a VERIFY is masked before it leaves the process") {
    struct Case {
        const char* redact;
        const char* shown;
        bool flagged;
    };
    const Case cases[] = {
        {"1", "00200081042A2A2A2A", true},
        {"0", "002000810431323334", false},
        {"", "002000810431323334", false},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.redact));
        Monitored m;
        std::map<std::string, std::string> env;
        if (*c.redact) env["PCSCSPY_REDACT"] = c.redact;
        ChildResult r = m.run_host({"verify"}, env);
        REQUIRE(r.status == 0);
        // The program's own buffer and what reached the card are untouched.
        CHECK(r.out == "verify 0x00000000 pin 31323334\n");
        std::vector<json> transmits = calls_of(m.events(), "SCardTransmit");
        REQUIRE(transmits.size() == 2);
        CHECK(transmits[0]["in"]["pbSendBuffer"] == c.shown);
        CHECK(transmits[0]["in"]["cbSendLength"] == 9);
        CHECK(transmits[0]["in"].contains("pbSendBuffer_redacted") == c.flagged);
        // Commands without secrets are shown as they are.
        CHECK(transmits[1]["in"]["pbSendBuffer"] == "0084000008");
        CHECK_FALSE(transmits[1]["in"].contains("pbSendBuffer_redacted"));
        bool pin_on_the_wire = false;
        for (const std::string& line : m.listener.lines()) pin_on_the_wire |= line.find("31323334") != std::string::npos;
        CHECK(pin_on_the_wire == !c.flagged);
    }
}
