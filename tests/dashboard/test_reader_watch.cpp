// The reader pane as the monitor's own reader watcher reports readers and
// cards, with nothing traced: pcscd absent, readers, cards coming and going.
#include <doctest/doctest.h>

#include <PCSC/pcsclite.h>

#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("readers: as the reader watcher reports them, with nothing traced") {
    Dashboard d;
    auto pane = [&] { return text_of(reader_pane(d.now(), d.ui, 120, 5).rows); };
    CHECK(pane().find("no reader seen yet") != std::string::npos);
    d.model.apply_reader_report({ReaderService::NoService, "", 1'000'000, {}});
    CHECK(pane().find("pcscd is not running: readers appear when it starts") != std::string::npos);
    d.model.apply_reader_report({ReaderService::Running, "", 2'000'000, {}});
    CHECK(pane().find("no reader connected") != std::string::npos);
    d.model.apply_reader_report(
        {ReaderService::Running, "", 3'000'000, {{"Virtual PCD 00 00", SCARD_STATE_PRESENT, "3B951381018073FF01000B"}}});
    Pane p = reader_pane(d.at(3'100'000), d.ui, 120, 5);
    const StyledLine* row = row_with(p.rows, "Virtual PCD 00 00");
    REQUIRE(row);
    CHECK(row->text().find("present") != std::string::npos);
    CHECK(row->text().find("3B95") != std::string::npos);
    // Its light says a card just came (and fades).
    REQUIRE(row->spans[0].light);
    CHECK(row->spans[0].light->kind == LightKind::Card);
    CHECK(row->spans[0].text == "o");
    CHECK(p.animated);
    p = reader_pane(d.at(3'000'000 + kLightFadeUs), d.ui, 120, 5);
    CHECK(row_with(p.rows, "Virtual PCD 00 00")->spans[0].light->kind == LightKind::Idle);
    d.model.apply_reader_report({ReaderService::Running, "", 4'000'000, {{"Virtual PCD 00 00", SCARD_STATE_EMPTY, ""}}});
    CHECK(line_with(pane(), "Virtual PCD 00 00").find("empty") != std::string::npos);
    d.model.apply_reader_report({ReaderService::Running, "", 5'000'000, {}});
    CHECK(line_with(pane(), "Virtual PCD 00 00").find("gone") != std::string::npos);
    d.model.apply_reader_report({ReaderService::NoLibrary, "libpcsclite.so.1 not found", 6'000'000, {}});
    CHECK(pane().find("no libpcsclite (libpcsclite.so.1 not found)") != std::string::npos);
}
