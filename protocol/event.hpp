// The event stream, schema version 1 (../shared/design/contract.md,
// man/pcscspy-events.5): the five event types of protocol/event_format.def as
// owned C++ structs, the tolerant reader and their JSON form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/event_format.hpp"
#include "protocol/event_header.hpp"

namespace pcscspy {

namespace detail {
template <FieldKind K> struct OwnedValue;
template <> struct OwnedValue<FieldKind::Int> { using type = int64_t; };
template <> struct OwnedValue<FieldKind::Count> { using type = uint64_t; };
template <> struct OwnedValue<FieldKind::String> { using type = std::string; };
template <> struct OwnedValue<FieldKind::StringList> { using type = std::vector<std::string>; };
template <> struct OwnedValue<FieldKind::Object> { using type = nlohmann::json; };
template <> struct OwnedValue<FieldKind::Bool> { using type = bool; };

// As detail::initial, and an empty object (not null) for objects.
template <class T>
T owned_initial(int64_t d) {
    if constexpr (std::is_same_v<T, nlohmann::json>) return nlohmann::json::object();
    else return initial<T>(d);
}
}  // namespace detail

template <FieldKind K, Presence P>
using OwnedField = detail::WithPresence<typename detail::OwnedValue<K>::type, P>;

// HelloFields ... LostFields: an event's own fields (a process keeps its
// HelloFields); HelloEvent ... LostEvent: the event, with its header.
#define PCSCSPY_FIELD(name, kind, presence, dflt)                             \
    OwnedField<FieldKind::kind, Presence::presence> name =                    \
        detail::owned_initial<OwnedField<FieldKind::kind, Presence::presence>>(dflt);
#define PCSCSPY_EVENT(Name, type, fields)                                    \
    struct Name##Fields {                                                    \
        fields                                                               \
        bool operator==(const Name##Fields&) const = default;                \
    };                                                                       \
    struct Name##Event : Name##Fields {                                      \
        static constexpr EventType kType = EventType::Name;                  \
        EventHeader h;                                                       \
        bool operator==(const Name##Event&) const = default;                 \
    };
#include "protocol/event_format.def"

namespace detail {
template <class Ignored, class... Events>
using VariantOfRest = std::variant<Events...>;
}  // namespace detail

// Alternatives in EventType order.
#define PCSCSPY_EVENT(Name, type, fields) , Name##Event
using Event = detail::VariantOfRest<void
#include "protocol/event_format.def"
>;

const EventHeader& header_of(const Event& e);
inline EventType event_type(const Event& e) { return static_cast<EventType>(e.index()); }
std::string_view type_name(const Event& e);

// Why a line could not be read as an event. Readers count these per kind.
enum class EventErrorKind : uint8_t {
    MalformedJson,       // not JSON at all, or truncated
    NotAnObject,         // JSON, but not an object
    MissingField,        // a required field is absent
    WrongType,           // a field has the wrong JSON type or is out of range
    UnknownType,         // "type" is not one of the five (ignored, counted)
    UnsupportedVersion,  // "v" is not 1
    TooDeep,             // arrays/objects nested deeper than kMaxEventNesting
    OtherProcess,        // on a connection, the event of another process than its first event's
};
std::string_view to_string(EventErrorKind kind);

struct EventError {
    EventErrorKind kind;
    std::string message;  // one line, names the field; safe to print (ASCII only)
};

// How deep an event's arrays and objects may nest, the event object itself
// being level 1. Events need 4 (a call's in.rgReaderStates[i]); a deeper line
// is refused before any JSON tree of it exists, so that no walk of a tree (a
// copy, a dump: nlohmann recurses there) ever goes deeper than this.
inline constexpr int kMaxEventNesting = 16;
// Whether the JSON text nests arrays/objects at most `limit` deep: one pass
// over its bytes, strings skipped (nlohmann's parser has no depth limit).
bool json_nesting_within(std::string_view text, int limit);
// The same for a JSON value already built (walked without recursion).
bool json_value_nesting_within(const nlohmann::json& value, int limit);

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
// An event's own fields into the object j (as to_json writes them), e.g. a
// process's hello fields into its entry of a session document.
#define PCSCSPY_EVENT(Name, type, fields) void put_fields(nlohmann::json& j, const Name##Fields& f);
#include "protocol/event_format.def"

}  // namespace pcscspy
