#include "protocol/event.hpp"

#include "protocol/json_writer.hpp"

namespace pcscspy {

using nlohmann::json;

const EventHeader& header_of(const Event& e) {
    return std::visit([](const auto& ev) -> const EventHeader& { return ev.h; }, e);
}

std::string_view type_name(const Event& e) { return event_type_name(event_type(e)); }

std::string_view to_string(EventErrorKind kind) {
    switch (kind) {
        case EventErrorKind::MalformedJson: return "malformed JSON";
        case EventErrorKind::NotAnObject: return "not a JSON object";
        case EventErrorKind::MissingField: return "missing field";
        case EventErrorKind::WrongType: return "wrong field type";
        case EventErrorKind::UnknownType: return "unknown event type";
        case EventErrorKind::UnsupportedVersion: return "unsupported schema version";
        case EventErrorKind::TooDeep: return "nested too deep";
        case EventErrorKind::OtherProcess: return "other process";
    }
    return "?";
}

namespace {

// Reading fails with a FieldError, turned into an EventError at the top; the
// reader functions below never let a nlohmann exception escape.
struct FieldError {
    EventErrorKind kind;
    std::string message;
};

// Field names come from our own code; values from outside are never echoed
// verbatim (only their JSON type), so messages stay printable ASCII.
[[noreturn]] void missing(const char* name) {
    throw FieldError{EventErrorKind::MissingField, std::string("missing field \"") + name + "\""};
}

[[noreturn]] void wrong_type(const char* name, const char* expected, const json& v) {
    throw FieldError{EventErrorKind::WrongType,
                     std::string("field \"") + name + "\" must be " + expected + ", not " + v.type_name()};
}

// One value of each kind (event_format.def), by the member's type.
void read_value(const json& v, const char* name, int64_t& out) {
    if (v.is_number_unsigned()) {  // nlohmann counts unsigned as integer too
        if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) wrong_type(name, "an integer below 2^63", v);
        out = static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
        out = v.get<int64_t>();
    } else {
        wrong_type(name, "an integer", v);
    }
}

void read_value(const json& v, const char* name, uint64_t& out) {
    if (v.is_number_unsigned()) out = v.get<uint64_t>();
    else if (v.is_number_integer() && v.get<int64_t>() >= 0) out = static_cast<uint64_t>(v.get<int64_t>());
    else wrong_type(name, "a non-negative integer", v);
}

void read_value(const json& v, const char* name, std::string& out) {
    if (!v.is_string()) wrong_type(name, "a string", v);
    out = v.get<std::string>();
}

void read_value(const json& v, const char* name, std::vector<std::string>& out) {
    if (!v.is_array()) wrong_type(name, "an array of strings", v);
    for (const json& a : v) read_value(a, name, out.emplace_back());
}

void read_value(const json& v, const char* name, json& out) {
    if (!v.is_object()) wrong_type(name, "an object", v);
    out = v;
}

void read_value(const json& v, const char* name, bool& out) {
    if (!v.is_boolean()) wrong_type(name, "true or false", v);
    out = v.get<bool>();
}

// A field by its presence: Required must be there (null is a wrong type);
// Optional and Maybe may be absent or null (the default, no value).
template <Presence P, class T>
void read_field(const json& o, const char* name, T& member) {
    auto it = o.find(name);
    if constexpr (P == Presence::Required) {
        if (it == o.end()) missing(name);
        read_value(*it, name, member);
    } else {
        if (it == o.end() || it->is_null()) return;
        if constexpr (P == Presence::Maybe) read_value(*it, name, member.emplace());
        else read_value(*it, name, member);
    }
}

EventHeader read_header(const json& o) {
    EventHeader h;  // "v" is checked already: kSchemaVersion
#define PCSCSPY_FIELD(name, kind, presence, dflt) read_field<Presence::presence>(o, #name, h.name);
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
    // A producer without threads may leave tid out.
    if (auto it = o.find("tid"); it == o.end() || it->is_null()) h.tid = h.pid;
    return h;
}

#define PCSCSPY_FIELD(name, kind, presence, dflt) read_field<Presence::presence>(o, #name, f.name);
#define PCSCSPY_EVENT(Name, type, fields) \
    void read_fields(const json& o, Name##Fields& f) { fields }
#include "protocol/event_format.def"

template <class E>
Event read_as(const json& o, const EventHeader& h) {
    E e;
    e.h = h;
    read_fields(o, e);
    return e;
}

using Reader = Event (*)(const json&, const EventHeader&);
constexpr Reader kReaders[] = {
#define PCSCSPY_EVENT(Name, type, fields) &read_as<Name##Event>,
#include "protocol/event_format.def"
};

Event read_event(const json& o) {
    if (!o.is_object()) throw FieldError{EventErrorKind::NotAnObject, std::string("event is a JSON ") + o.type_name() + ", not an object"};
    auto vfield = o.find("v");
    if (vfield == o.end()) missing("v");
    if (!vfield->is_number_integer()) wrong_type("v", "an integer", *vfield);
    if (vfield->get<int64_t>() != kSchemaVersion)
        throw FieldError{EventErrorKind::UnsupportedVersion,
                         "schema version " + std::to_string(vfield->get<int64_t>()) + " is not supported (this reader knows 1)"};
    std::string type;
    read_field<Presence::Required>(o, "type", type);
    EventHeader h = read_header(o);
    if (std::optional<EventType> t = event_type_by_name(type)) return kReaders[static_cast<size_t>(*t)](o, h);
    // Only printable ASCII of the unknown name is echoed, and only a little of it.
    std::string shown;
    for (char c : type.substr(0, 32)) shown += (c >= 0x20 && c < 0x7F) ? c : '?';
    throw FieldError{EventErrorKind::UnknownType, "unknown event type \"" + shown + "\""};
}

// Strings held by events may come from C code with arbitrary bytes; give nlohmann
// only valid UTF-8 (bad bytes become U+00XX, matching the interposer's escapes).
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i < s.size()) {
        if (size_t len = utf8_sequence_length(p + i, s.size() - i)) {
            out.append(s.data() + i, len);
            i += len;
        } else {
            out += static_cast<char>(0xC0 | (p[i] >> 6));
            out += static_cast<char>(0x80 | (p[i] & 0x3F));
            ++i;
        }
    }
    return out;
}

json value_json(int64_t v) { return v; }
json value_json(uint64_t v) { return v; }
json value_json(bool v) { return v; }
json value_json(const std::string& v) { return valid_utf8(v); }
json value_json(const json& v) { return v; }
json value_json(const std::vector<std::string>& v) {
    json a = json::array();
    for (const std::string& s : v) a.push_back(valid_utf8(s));
    return a;
}

// Required and Optional fields are written always, Maybe fields when they have a value.
template <class T>
void put_json(json& j, const char* name, const T& v) {
    j[name] = value_json(v);
}
template <class T>
void put_json(json& j, const char* name, const std::optional<T>& v) {
    if (v) j[name] = value_json(*v);
}

void put_header(json& j, const EventHeader& h, std::string_view type) {
    j["v"] = h.v;
    j["type"] = type;
#define PCSCSPY_FIELD(name, kind, presence, dflt) put_json(j, #name, h.name);
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
}

}  // namespace

#define PCSCSPY_FIELD(name, kind, presence, dflt) put_json(j, #name, f.name);
#define PCSCSPY_EVENT(Name, type, fields) \
    void put_fields(json& j, const Name##Fields& f) { fields }
#include "protocol/event_format.def"

bool json_nesting_within(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;  // the escaped character cannot end the string
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

bool json_value_nesting_within(const json& value, int limit) {
    // Depth-first with an explicit stack: the value may be as deep as its text was.
    std::vector<std::pair<const json*, int>> pending{{&value, 1}};
    while (!pending.empty()) {
        auto [v, depth] = pending.back();
        pending.pop_back();
        if (!v->is_structured()) continue;
        if (depth > limit) return false;
        for (const json& child : *v)
            if (child.is_structured()) pending.emplace_back(&child, depth + 1);
    }
    return true;
}

namespace {

DecodedEvent too_deep() {
    DecodedEvent r;
    r.error = EventError{EventErrorKind::TooDeep,
                         "arrays or objects nested deeper than " + std::to_string(kMaxEventNesting) + " levels"};
    return r;
}

}  // namespace

DecodedEvent decode_event_value(const json& value) {
    if (!json_value_nesting_within(value, kMaxEventNesting)) return too_deep();
    DecodedEvent r;
    try {
        r.event = read_event(value);
    } catch (const FieldError& e) {
        r.error = EventError{e.kind, e.message};
    } catch (const json::exception& e) {
        r.error = EventError{EventErrorKind::WrongType, e.what()};
    }
    return r;
}

DecodedEvent decode_event(std::string_view line) {
    // JSON never holds a raw NUL (a string's is escaped): nlohmann's lexer would
    // take one for the end of the input and accept the text before it, whatever
    // follows.
    if (size_t at = line.find('\0'); at != std::string_view::npos) {
        DecodedEvent r;
        r.error = EventError{EventErrorKind::MalformedJson, "malformed JSON (a NUL byte at offset " + std::to_string(at) + ")"};
        return r;
    }
    if (!json_nesting_within(line, kMaxEventNesting)) return too_deep();
    json value = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        DecodedEvent r;
        r.error = EventError{EventErrorKind::MalformedJson,
                             line.empty() ? "empty line" : "malformed JSON (" + std::to_string(line.size()) + " bytes)"};
        return r;
    }
    return decode_event_value(value);
}

json to_json(const Event& event) {
    json j;
    put_header(j, header_of(event), type_name(event));
    std::visit([&](const auto& e) { put_fields(j, e); }, event);
    return j;
}

std::string encode_event(const Event& e) {
    // in/out objects may hold strings set by C++ code; replace rather than throw.
    return to_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace pcscspy
