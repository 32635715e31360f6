// The events of protocol/event_format.def on the allocation-free side: their
// types, their field keys typed by kind, the events as views (string_view
// values over the producer's own memory), and one writer for all of them. The
// interposer writes its lines with it; nothing here allocates or throws (the
// owned structs, the reader and to_json are protocol/event.hpp's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "protocol/event_header.hpp"
#include "protocol/json_writer.hpp"

namespace pcscspy {

// The event types, in the .def's order (also the order of protocol's Event variant).
enum class EventType : uint8_t {
#define PCSCSPY_EVENT(Name, type, fields) Name,
#include "protocol/event_format.def"
};

inline constexpr std::string_view kEventTypeNames[] = {
#define PCSCSPY_EVENT(Name, type, fields) #type,
#include "protocol/event_format.def"
};
inline constexpr size_t kEventTypeCount = std::size(kEventTypeNames);

constexpr std::string_view event_type_name(EventType t) { return kEventTypeNames[static_cast<size_t>(t)]; }
constexpr std::optional<EventType> event_type_by_name(std::string_view name) {
    for (size_t i = 0; i < kEventTypeCount; ++i)
        if (kEventTypeNames[i] == name) return static_cast<EventType>(i);
    return std::nullopt;
}

// A field's JSON key, typed by its kind: what a writer may put there.
template <FieldKind K>
struct FieldKey {
    std::string_view name;
    Presence presence;
};

// event_keys::header::pid, event_keys::call::seq, ...
namespace event_keys {
#define PCSCSPY_FIELD(name, kind, presence, dflt) \
    inline constexpr FieldKey<FieldKind::kind> name{#name, Presence::presence};
namespace header {
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
}  // namespace header
#define PCSCSPY_FIELD(name, kind, presence, dflt) \
    inline constexpr FieldKey<FieldKind::kind> name{#name, Presence::presence};
#define PCSCSPY_EVENT(Name, type, fields) namespace type { fields }
#include "protocol/event_format.def"
}  // namespace event_keys

// A list of strings as the producer holds it: each string ends with a NUL (a
// last one without it still counts), as /proc/PID/cmdline. Empty strings are
// kept (argv may hold some).
struct StringListView {
    const char* data = nullptr;
    size_t size = 0;
};

// An object written by the producer's own code (a call's arguments); none: {}.
struct ObjectView {
    void (*write)(JsonWriter& w, const void* context) = nullptr;
    const void* context = nullptr;
};

namespace detail {
template <FieldKind K> struct ViewValue;
template <> struct ViewValue<FieldKind::Int> { using type = int64_t; };
template <> struct ViewValue<FieldKind::Count> { using type = uint64_t; };
template <> struct ViewValue<FieldKind::String> { using type = std::string_view; };
template <> struct ViewValue<FieldKind::StringList> { using type = StringListView; };
template <> struct ViewValue<FieldKind::Object> { using type = ObjectView; };
template <> struct ViewValue<FieldKind::Bool> { using type = bool; };

// Maybe fields hold "no value" as std::optional, in every representation.
template <class T, Presence P>
using WithPresence = std::conditional_t<P == Presence::Maybe, std::optional<T>, T>;

// The .def's default: the value of numbers and booleans, empty for the rest.
template <class T>
constexpr T initial(int64_t d) {
    if constexpr (std::is_arithmetic_v<T>) return static_cast<T>(d);
    else return T{};
}
}  // namespace detail

template <FieldKind K, Presence P>
using ViewField = detail::WithPresence<typename detail::ViewValue<K>::type, P>;

// HelloView, BeginView, CallView, ByeView, LostView: an event's fields (its
// header apart) as views.
#define PCSCSPY_FIELD(name, kind, presence, dflt)                          \
    ViewField<FieldKind::kind, Presence::presence> name =                  \
        detail::initial<ViewField<FieldKind::kind, Presence::presence>>(dflt);
#define PCSCSPY_EVENT(Name, type, fields) \
    struct Name##View {                   \
        static constexpr EventType kType = EventType::Name; \
        fields                            \
    };
#include "protocol/event_format.def"

// ---- writing

inline void put(JsonWriter& w, FieldKey<FieldKind::Int> k, int64_t v) { w.key(k.name); w.integer(v); }
inline void put(JsonWriter& w, FieldKey<FieldKind::Count> k, uint64_t v) { w.key(k.name); w.unsigned_integer(v); }
inline void put(JsonWriter& w, FieldKey<FieldKind::String> k, std::string_view v) { w.key(k.name); w.string(v); }
inline void put(JsonWriter& w, FieldKey<FieldKind::Bool> k, bool v) { w.key(k.name); w.boolean(v); }
void put(JsonWriter& w, FieldKey<FieldKind::StringList> k, StringListView v);
void put(JsonWriter& w, FieldKey<FieldKind::Object> k, ObjectView v);
// A Maybe field: written only when it has a value.
template <FieldKind K, class T>
void put(JsonWriter& w, FieldKey<K> k, const std::optional<T>& v) {
    if (v) put(w, k, *v);
}

// Opens the event's object and writes its framing ("v", "type") and header.
void write_header(JsonWriter& w, const EventHeader& h, EventType type);

// An event's own fields, in the .def's order.
#define PCSCSPY_EVENT(Name, type, fields) void write_fields(JsonWriter& w, const Name##View& v);
#include "protocol/event_format.def"

// Ends the line: closes the event's object and appends '\n' to the `cap` bytes
// at `out` the writer was given `cap - 1` of. Returns the line's length with its
// '\n', 0 when it did not fit.
size_t finish_line(JsonWriter& w, char* out, size_t cap);

// A whole event as one line with its '\n' into `out` (`cap` bytes); returns the
// length, 0 if it did not fit.
template <class View>
size_t write_event_line(char* out, size_t cap, const EventHeader& h, const View& v) {
    JsonWriter w(out, cap - 1);
    write_header(w, h, View::kType);
    write_fields(w, v);
    return finish_line(w, out, cap);
}

}  // namespace pcscspy
