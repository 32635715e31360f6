// Reading what the interposer sent: every line must be an event protocol/'s
// decode_event accepts; helpers pick events by type and check the stream rules
// (seq strictly increasing per process and thread, every begin has its call).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pcscspy::test {

using nlohmann::json;

// Parses every line; problems (line number + reason) are returned in errors.
std::vector<json> parse_events(const std::vector<std::string>& lines, std::vector<std::string>& errors);

std::vector<json> of_type(const std::vector<json>& events, const std::string& type);
std::vector<json> calls_of(const std::vector<json>& events, const std::string& fn);

// Problems with the begin/call pairing and seq order, empty when all is well.
// in_order: seq also strictly increases in arrival order per process (true for
// single-threaded programs; per thread in any case).
std::vector<std::string> check_stream(const std::vector<json>& events, bool in_order);

// Paths of the built artifacts (from CMake).
struct Artifacts {
    static std::string interposer();
    static std::string run();
    static std::string host();
    static std::string double_library();
    static std::string redirector();
};

}  // namespace pcscspy::test
