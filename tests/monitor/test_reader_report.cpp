// The reader watcher's reports in the session model (apply_reader_report):
// readers appear and go, cards come and go with their ATR and name, pcscd's
// absence is known; none of it is a call.
#include <doctest/doctest.h>

#include <PCSC/pcsclite.h>

#include "monitor/model/session_model.hpp"
#include "protocol/card_list.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

constexpr const char* kAtr = "3B951381018073FF01000B";

ReaderReport running(int64_t ts, std::vector<WatchedReader> readers) {
    return ReaderReport{ReaderService::Running, "", ts, std::move(readers)};
}

WatchedReader with_card(const std::string& name, const std::string& atr = kAtr) {
    return {name, SCARD_STATE_PRESENT | 0x10000, atr};
}
WatchedReader empty(const std::string& name) { return {name, SCARD_STATE_EMPTY, ""}; }

}  // namespace

TEST_CASE("reader reports: readers and cards come and go, and none of it is a call") {
    ModelOptions o;
    o.card_list = std::make_shared<const CardList>(CardList::parse("3B 95 13 81 01 80 73 FF 01 00 0B\n\tvsmartcard\n"));
    SessionModel m(o);
    CHECK(m.reader_service().state == ReaderService::NotWatched);

    m.apply_reader_report({ReaderService::NoService, "", 100, {}});
    CHECK(m.reader_service().state == ReaderService::NoService);
    CHECK(m.reader_service().since_us == 100);
    CHECK(m.readers().empty());

    const uint64_t before = m.generation();
    m.apply_reader_report(running(200, {with_card("Virtual PCD 00 00"), empty("Virtual PCD 00 01")}));
    CHECK(m.generation() != before);
    CHECK(m.reader_service().state == ReaderService::Running);
    REQUIRE(m.readers().size() == 2);
    const ReaderInfo* a = m.reader_by_name("Virtual PCD 00 00");
    const ReaderInfo* b = m.reader_by_name("Virtual PCD 00 01");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->attached == true);
    CHECK(a->card_present == true);
    CHECK(to_hex(a->atr) == kAtr);
    CHECK(a->card_name == "vsmartcard");
    CHECK(a->activity.last_card_us == 200);
    CHECK(b->card_present == false);
    CHECK(b->activity.last_card_us == 0);  // it was never known to have a card

    // The same state again: no card change.
    m.apply_reader_report(running(300, {with_card("Virtual PCD 00 00"), empty("Virtual PCD 00 01")}));
    CHECK(m.reader_by_name("Virtual PCD 00 00")->activity.last_card_us == 200);

    // The card is removed, then inserted again.
    m.apply_reader_report(running(400, {empty("Virtual PCD 00 00"), empty("Virtual PCD 00 01")}));
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == false);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->atr.empty());
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_name.empty());
    CHECK(m.reader_by_name("Virtual PCD 00 00")->activity.last_card_us == 400);
    m.apply_reader_report(running(500, {with_card("Virtual PCD 00 00"), empty("Virtual PCD 00 01")}));
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == true);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->activity.last_card_us == 500);

    // A reader unplugged: gone, its card too; one plugged in appears.
    m.apply_reader_report(running(600, {empty("Virtual PCD 00 01"), with_card("USB Reader 01 00", "3B00")}));
    CHECK(m.reader_by_name("Virtual PCD 00 00")->attached == false);
    CHECK(m.reader_by_name("Virtual PCD 00 00")->card_present == false);
    CHECK(m.reader_by_name("USB Reader 01 00")->attached == true);
    CHECK(m.readers().size() == 3);

    // pcscd stops: every reader is gone.
    m.apply_reader_report({ReaderService::NoService, "", 700, {}});
    for (const ReaderInfo& r : m.readers()) CHECK(r.attached == false);
    CHECK(m.reader_service().since_us == 700);

    // None of it counted as calls or events.
    CHECK(m.counters().calls == 0);
    CHECK(m.counters().events == 0);
    CHECK(m.calls().empty());
    CHECK(m.processes().empty());
}

TEST_CASE("reader reports: the PnP pseudo reader and unknown states are not readers") {
    SessionModel m;
    m.apply_reader_report(running(1, {{"\\\\?PnP?\\Notification", 0x20000, ""},
                                       {"Flaky Reader", SCARD_STATE_UNAVAILABLE, ""}}));
    REQUIRE(m.readers().size() == 1);
    CHECK(m.readers()[0].name == "Flaky Reader");
    CHECK(m.readers()[0].attached == true);
    CHECK_FALSE(m.readers()[0].card_present);  // unknown
}

TEST_CASE("reader reports: a traced program's reader and the watcher's are the same reader") {
    SessionModel m;
    feed_file(m, "opensc_tool_session.ndjson");
    const size_t readers = m.readers().size();
    m.apply_reader_report(running(1, {empty("Virtual PCD 00 00")}));
    CHECK(m.readers().size() == readers);
    const ReaderInfo* r = m.reader_by_name("Virtual PCD 00 00");
    CHECK(r->apdus == 4);  // the traced calls' counts are kept
    CHECK(r->card_present == false);
    CHECK(m.reader_by_name("Virtual PCD 00 01")->attached == std::nullopt);  // listed by the program only
}
