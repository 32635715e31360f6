// Numbers and times as the dashboard shows them: short, of bounded width, units
// chosen for the magnitude.
#pragma once

#include <cstdint>
#include <string>

#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

// "850µs", "4.52ms", "12.3ms", "123ms", "1.20s", "12.3s", "2m03s", "1h02m" (at most 6 columns).
std::string format_duration(int64_t ns, const Glyphs& glyphs);
// Local wall-clock time of an event: "14:03:27.123".
std::string clock_time_ms(int64_t ts_us);
// "14:03:27".
std::string clock_time(int64_t ts_us);
// A span of time as uptime: "0:07", "12:34", "1:02:03", "3d 04:05".
std::string format_uptime(int64_t us);
// Calls per second: "0.4/s", "12/s", "1.2k/s"; "" for zero.
std::string format_rate(double per_second);
// "9000".
std::string sw_hex(uint16_t sw);
// A percentage with one decimal: "42.1%".
std::string format_percent(double part, double whole);

}  // namespace pcscspy::dashboard
