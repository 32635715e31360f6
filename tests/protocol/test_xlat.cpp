#include <doctest/doctest.h>

#include "protocol/xlat.hpp"

using namespace pcscspy;

namespace {
constexpr Named kColours[] = {
    {0x0, "NONE"},
    {0x1, "RED", "warm"},
    {0x2, "GREEN"},
    {0x4, "BLUE"},
};
}

TEST_CASE("find_value and find_name look a table up both ways") {
    CHECK(find_value(kColours, 2)->name == "GREEN");
    CHECK(find_value(kColours, 8) == nullptr);
    CHECK(find_name(kColours, "RED")->meaning == "warm");
    CHECK(find_name(kColours, "PINK") == nullptr);
    static_assert(find_value(kColours, 4)->name == "BLUE", "lookups are constexpr");
}

TEST_CASE("name_or_hex falls back to hex") {
    CHECK(name_or_hex(kColours, 1) == "RED");
    CHECK(name_or_hex(kColours, 0x80100001) == "0x80100001");
    CHECK(name_or_hex(kColours, 0xAB, 2) == "0xAB");
}

TEST_CASE("flags_to_string names every set bit and keeps the unknown ones") {
    CHECK(flags_to_string(kColours, 0) == "NONE");
    CHECK(flags_to_string(kColours, 3) == "RED|GREEN");
    CHECK(flags_to_string(kColours, 0x105) == "RED|BLUE|0x00000100");
    CHECK(flags_to_string(kColours, 6, ", ") == "GREEN, BLUE");
}
