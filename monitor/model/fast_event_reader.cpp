// read_event_facts: the model's line reader. For now the reference path
// (decode_event + facts_from_event); see event_facts.hpp.
#include "monitor/model/event_facts.hpp"

namespace pcscspy {

std::optional<EventErrorKind> read_event_facts(std::string_view line, EventFacts& out, std::string* message) {
    DecodedEvent d = decode_event(line);
    if (!d.ok()) {
        if (message) *message = d.error->message;
        return d.error->kind;
    }
    facts_from_event(*d.event, out);
    return std::nullopt;
}

}  // namespace pcscspy
