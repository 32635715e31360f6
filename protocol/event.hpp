// The event stream, schema version 1 (../shared/design/contract.md,
// man/pcscspy-events.5): C++ types for the five event types and their JSON form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/event_header.hpp"

namespace pcscspy {

struct HelloEvent {
    EventHeader h;
    int64_t ppid = 0;
    int64_t uid = 0;
    std::string exe;
    std::vector<std::string> argv;
    std::string via;  // preload, dlopen, replace, delegate
    std::string backend;
    std::string spy;
};

struct BeginEvent {
    EventHeader h;
    uint64_t seq = 0;
    std::string fn;
    std::optional<int64_t> ctx;
    std::optional<int64_t> card;
};

struct CallEvent {
    EventHeader h;
    uint64_t seq = 0;
    std::string fn;
    int64_t dur_ns = 0;
    int64_t rv = 0;
    std::string rv_name;
    nlohmann::json in = nlohmann::json::object();
    nlohmann::json out = nlohmann::json::object();
    std::optional<std::string> reader;
    std::optional<int64_t> ctx;
};

struct ByeEvent {
    EventHeader h;
    uint64_t calls = 0;
    uint64_t lost = 0;
};

struct LostEvent {
    EventHeader h;
    uint64_t count = 0;
};

using Event = std::variant<HelloEvent, BeginEvent, CallEvent, ByeEvent, LostEvent>;

const EventHeader& header_of(const Event& e);
std::string_view type_name(const Event& e);

// Why a line could not be read as an event. Readers count these per kind.
enum class EventErrorKind : uint8_t {
    MalformedJson,       // not JSON at all, or truncated
    NotAnObject,         // JSON, but not an object
    MissingField,        // a required field is absent
    WrongType,           // a field has the wrong JSON type or is out of range
    UnknownType,         // "type" is not one of the five (ignored, counted)
    UnsupportedVersion,  // "v" is not 1
};
std::string_view to_string(EventErrorKind kind);

struct EventError {
    EventErrorKind kind;
    std::string message;  // one line, names the field; safe to print (ASCII only)
};

// Outcome of reading one line: exactly one of event / error is set.
struct DecodedEvent {
    std::optional<Event> event;
    std::optional<EventError> error;
    bool ok() const { return event.has_value(); }
};

// Reads one line (without its '\n'). Never throws: unknown fields are ignored,
// wrong types and malformed input become an EventError.
DecodedEvent decode_event(std::string_view line);
// Same, from an already parsed JSON value (e.g. an entry of a session dump).
DecodedEvent decode_event_value(const nlohmann::json& value);

// The JSON form of an event; encode_event gives it as one line without '\n'.
// Invalid UTF-8 in strings is escaped byte by byte (\u00XX), never rejected.
nlohmann::json to_json(const Event& e);
std::string encode_event(const Event& e);

}  // namespace pcscspy
