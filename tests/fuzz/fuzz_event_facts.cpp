// libFuzzer target: the monitor's line reader (simdjson, nlohmann for what
// simdjson leaves to it) agrees with the reference, protocol's decode_event
// (nlohmann's DOM), on any input: the same error kind, or the same facts; and
// what it hands a view is exactly nlohmann's parse of the line's in, out and
// rv_name. Any difference aborts.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "monitor/model/event_facts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pcscspy;
    std::string_view line(reinterpret_cast<const char*>(data), size);
    EventFacts fast, ref;
    std::optional<EventErrorKind> error = read_event_facts(line, fast);
    DecodedEvent d = decode_event(line);
    if (error.has_value() != !d.ok()) std::abort();
    if (error) {
        if (*error != d.error->kind) std::abort();
        return 0;
    }
    facts_from_event(*d.event, ref);
    if (!(fast == ref)) std::abort();

    EventFacts with_value;
    nlohmann::json value;
    if (read_event_facts(line, with_value, nullptr, &value) || !(with_value == fast)) std::abort();
    nlohmann::json full = nlohmann::json::parse(line.begin(), line.end());
    nlohmann::json printed = nlohmann::json::object();
    for (const char* member : {"in", "out", "rv_name"})
        if (full.contains(member)) printed[member] = full[member];
    if (value != printed) std::abort();
    return 0;
}
