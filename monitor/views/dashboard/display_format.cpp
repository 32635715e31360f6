#include "monitor/views/dashboard/display_format.hpp"

#include <cstdio>
#include <ctime>

namespace pcscspy::dashboard {

std::string format_duration(int64_t ns, const Glyphs& glyphs) {
    char buf[32];
    if (ns < 0) ns = 0;
    const double ms = static_cast<double>(ns) / 1e6;
    if (ns < 1'000'000) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(ns / 1000));
        return buf + std::string(glyphs.micro) + "s";
    }
    if (ms < 9.995) std::snprintf(buf, sizeof buf, "%.2fms", ms);
    else if (ms < 99.95) std::snprintf(buf, sizeof buf, "%.1fms", ms);
    else if (ms < 999.5) std::snprintf(buf, sizeof buf, "%.0fms", ms);
    else if (ms < 9'995) std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000);
    else if (ms < 59'950) std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000);
    else {
        long long s = ns / 1'000'000'000;
        if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
        else std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
    }
    return buf;
}

std::string clock_time(int64_t ts_us) {
    std::time_t t = static_cast<std::time_t>(ts_us / 1'000'000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string clock_time_ms(int64_t ts_us) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ts_us % 1'000'000 / 1000));
    return clock_time(ts_us) + buf;
}

std::string format_uptime(int64_t us) {
    long long s = us < 0 ? 0 : us / 1'000'000;
    char buf[32];
    if (s < 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    else if (s < 86400) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lldd %02lld:%02lld", s / 86400, s / 3600 % 24, s / 60 % 60);
    return buf;
}

std::string format_rate(double per_second) {
    if (per_second <= 0) return {};
    char buf[32];
    if (per_second < 10) std::snprintf(buf, sizeof buf, "%.1f/s", per_second);
    else if (per_second < 1000) std::snprintf(buf, sizeof buf, "%.0f/s", per_second);
    else std::snprintf(buf, sizeof buf, "%.1fk/s", per_second / 1000);
    return buf;
}

std::string sw_hex(uint16_t sw) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", sw);
    return buf;
}

std::string format_percent(double part, double whole) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
    return buf;
}

}  // namespace pcscspy::dashboard
