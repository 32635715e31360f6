// The correctness checker: each kind of misuse in a small session, named with
// its process and call; nothing in a clean session.
#include <doctest/doctest.h>

#include "monitor/model/session_model.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

std::vector<Finding> findings_of(const std::string& text) {
    SessionModel m;
    feed_text(m, text);
    m.finish();
    return m.findings();
}

bool has(const std::vector<Finding>& f, FindingKind kind, uint64_t seq) {
    for (const Finding& x : f)
        if (x.kind == kind && x.seq == seq) return true;
    return false;
}

}  // namespace

TEST_CASE("a clean session has no findings") {
    SessionModel m;
    feed_file(m, "opensc_tool_session.ndjson");
    m.finish();
    CHECK(m.findings().empty());
    SessionWriter s;
    s.hello().establish().connect().card_call("SCardBeginTransaction").transmit("00A4040000", "9000");
    s.card_call("SCardEndTransaction", 200, 0, R"(,"dwDisposition":0)").disconnect().release().bye();
    CHECK(findings_of(s.text).empty());
}

TEST_CASE("each misuse is found, with its process, call and explanation") {
    struct Case {
        const char* what;
        std::function<void(SessionWriter&)> write;
        FindingKind kind;
        uint64_t seq;
    };
    const Case cases[] = {
        {"context never released", [](SessionWriter& s) { s.hello().establish().bye(); },
         FindingKind::ContextNotReleased, 1},
        {"card never disconnected", [](SessionWriter& s) { s.hello().establish().connect().release().bye(); },
         FindingKind::CardNotDisconnected, 2},
        {"transaction left open",
         [](SessionWriter& s) { s.hello().establish().connect().card_call("SCardBeginTransaction").bye(); },
         FindingKind::TransactionLeftOpen, 3},
        {"end without begin",
         [](SessionWriter& s) {
             s.hello().establish().connect().card_call("SCardEndTransaction", 200, 0, R"(,"dwDisposition":0)");
         },
         FindingKind::EndWithoutBegin, 3},
        {"call on a released context",
         [](SessionWriter& s) { s.hello().establish().release().call("SCardIsValidContext", R"({"hContext":100})"); },
         FindingKind::ReleasedHandle, 3},
        {"call on a disconnected card",
         [](SessionWriter& s) { s.hello().establish().connect().disconnect().transmit("00A4040000", "9000"); },
         FindingKind::ReleasedHandle, 4},
        {"call on an unknown handle",
         [](SessionWriter& s) { s.hello().establish().transmit("00A4040000", "9000", 999); },
         FindingKind::UnknownHandle, 2},
        {"free of memory not autoallocated",
         [](SessionWriter& s) { s.hello().establish().call("SCardFreeMemory", R"({"hContext":100,"pvMem":4096})"); },
         FindingKind::FreeNotAllocated, 2},
        {"busy polling",
         [](SessionWriter& s) {
             s.hello().establish();
             for (int i = 0; i < 30; ++i)
                 s.call("SCardGetStatusChange", R"({"hContext":100,"dwTimeout":0})", "{}", 0x8010000A, 50);
         },
         FindingKind::BusyPolling, 2},
        {"long transaction",
         [](SessionWriter& s) {
             s.hello().establish().connect().card_call("SCardBeginTransaction").wait_us(8'000'000);
             s.card_call("SCardEndTransaction", 200, 0, R"(,"dwDisposition":0)");
         },
         FindingKind::LongTransaction, 3},
        {"error burst",
         [](SessionWriter& s) {
             s.hello().establish().connect();
             for (int i = 0; i < 12; ++i) s.card_call("SCardTransmit", 200, 0x80100016);
         },
         FindingKind::ErrorBurst, 3},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        SessionWriter s(31337);
        c.write(s);
        std::vector<Finding> f = findings_of(s.text);
        CHECK(has(f, c.kind, c.seq));
        for (const Finding& x : f) {
            CHECK(x.pid == 31337);
            CHECK_FALSE(x.explanation.empty());
            CHECK(x.explanation.find('\n') == std::string::npos);
        }
    }
}

TEST_CASE("what a running process still holds at the end is reported as such") {
    SessionWriter s;
    s.hello().establish();
    auto f = findings_of(s.text);
    REQUIRE(f.size() == 1);
    CHECK(f[0].explanation.find("still open when the session ended") != std::string::npos);
    SessionWriter gone;
    gone.hello().establish().bye();
    auto g = findings_of(gone.text);
    REQUIRE(g.size() == 1);
    CHECK(g[0].explanation.find("exited") != std::string::npos);
}

TEST_CASE("freeing an autoallocated buffer twice is found, once is not") {
    SessionWriter s;
    s.hello().establish();
    s.call("SCardListReaders", R"({"hContext":100,"pcchReaders":"SCARD_AUTOALLOCATE"})",
           R"({"mszReaders":["R"],"mszReaders_alloc":5000,"pcchReaders":3})");
    s.call("SCardFreeMemory", R"({"hContext":100,"pvMem":5000})");
    s.call("SCardFreeMemory", R"({"hContext":100,"pvMem":5000})");
    s.release().bye();
    auto f = findings_of(s.text);
    REQUIRE(f.size() == 1);
    CHECK(f[0].kind == FindingKind::FreeNotAllocated);
    CHECK(f[0].seq == 4);
}
