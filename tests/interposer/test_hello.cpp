// What a traced process says of itself when it connects (hello), beyond what
// the mode tests check: when it started.
#include <doctest/doctest.h>

#include <chrono>

#include "support/harness.hpp"

using namespace pcscspy::test;

namespace {
int64_t wall_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

TEST_CASE("hello says when the process started, to a clock tick") {
    Monitored m;
    const int64_t before_us = wall_us();  // the host is started after this
    ChildResult r = m.run_host({"basic"});
    REQUIRE(r.status == 0);
    std::vector<json> hello = of_type(m.events(), "hello");
    REQUIRE(hello.size() == 1);
    const int64_t started_us = hello[0]["started_us"].get<int64_t>();
    // /proc's start time is whole clock ticks (10 ms), rounded down.
    CHECK(started_us >= before_us - 20'000);
    // It started before it connected, and before it said hello.
    CHECK(started_us <= hello[0]["ts_us"].get<int64_t>());
}
