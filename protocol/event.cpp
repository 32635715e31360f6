#include "protocol/event.hpp"

#include "protocol/json_writer.hpp"

namespace pcscspy {

using nlohmann::json;

const EventHeader& header_of(const Event& e) {
    return std::visit([](const auto& ev) -> const EventHeader& { return ev.h; }, e);
}

std::string_view type_name(const Event& e) {
    static constexpr std::string_view kNames[] = {"hello", "begin", "call", "bye", "lost"};
    return kNames[e.index()];
}

std::string_view to_string(EventErrorKind kind) {
    switch (kind) {
        case EventErrorKind::MalformedJson: return "malformed JSON";
        case EventErrorKind::NotAnObject: return "not a JSON object";
        case EventErrorKind::MissingField: return "missing field";
        case EventErrorKind::WrongType: return "wrong field type";
        case EventErrorKind::UnknownType: return "unknown event type";
        case EventErrorKind::UnsupportedVersion: return "unsupported schema version";
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
const json& required(const json& o, const char* name) {
    auto it = o.find(name);
    if (it == o.end()) throw FieldError{EventErrorKind::MissingField, std::string("missing field \"") + name + "\""};
    return *it;
}

[[noreturn]] void wrong_type(const char* name, const char* expected, const json& v) {
    throw FieldError{EventErrorKind::WrongType,
                     std::string("field \"") + name + "\" must be " + expected + ", not " + v.type_name()};
}

int64_t as_int(const json& v, const char* name) {
    if (v.is_number_unsigned()) {  // nlohmann counts unsigned as integer too
        if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) wrong_type(name, "an integer below 2^63", v);
        return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    wrong_type(name, "an integer", v);
}

uint64_t as_count(const json& v, const char* name) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    wrong_type(name, "a non-negative integer", v);
}

std::string as_string(const json& v, const char* name) {
    if (!v.is_string()) wrong_type(name, "a string", v);
    return v.get<std::string>();
}

int64_t req_int(const json& o, const char* name) { return as_int(required(o, name), name); }
uint64_t req_count(const json& o, const char* name) { return as_count(required(o, name), name); }
std::string req_string(const json& o, const char* name) { return as_string(required(o, name), name); }

std::optional<int64_t> opt_int(const json& o, const char* name) {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return std::nullopt;
    return as_int(*it, name);
}
std::optional<std::string> opt_string(const json& o, const char* name) {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return std::nullopt;
    return as_string(*it, name);
}
std::string opt_string_or_empty(const json& o, const char* name) { return opt_string(o, name).value_or(""); }

json opt_object(const json& o, const char* name) {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return json::object();
    if (!it->is_object()) wrong_type(name, "an object", *it);
    return *it;
}

EventHeader read_header(const json& o) {
    EventHeader h;
    h.v = static_cast<int>(req_int(o, "v"));
    h.pid = req_int(o, "pid");
    h.tid = opt_int(o, "tid").value_or(h.pid);
    h.ts_us = req_int(o, "ts_us");
    return h;
}

Event read_event(const json& o) {
    if (!o.is_object()) throw FieldError{EventErrorKind::NotAnObject, std::string("event is a JSON ") + o.type_name() + ", not an object"};
    const json& vfield = required(o, "v");
    if (!vfield.is_number_integer()) wrong_type("v", "an integer", vfield);
    if (vfield.get<int64_t>() != kSchemaVersion)
        throw FieldError{EventErrorKind::UnsupportedVersion,
                         "schema version " + std::to_string(vfield.get<int64_t>()) + " is not supported (this reader knows 1)"};
    std::string type = req_string(o, "type");
    EventHeader h = read_header(o);
    if (type == "call") {
        CallEvent e;
        e.h = h;
        e.seq = req_count(o, "seq");
        e.fn = req_string(o, "fn");
        e.dur_ns = req_int(o, "dur_ns");
        e.rv = req_int(o, "rv");
        e.rv_name = opt_string_or_empty(o, "rv_name");
        e.in = opt_object(o, "in");
        e.out = opt_object(o, "out");
        e.reader = opt_string(o, "reader");
        e.ctx = opt_int(o, "ctx");
        return e;
    }
    if (type == "begin") {
        BeginEvent e;
        e.h = h;
        e.seq = req_count(o, "seq");
        e.fn = req_string(o, "fn");
        e.ctx = opt_int(o, "ctx");
        e.card = opt_int(o, "card");
        return e;
    }
    if (type == "hello") {
        HelloEvent e;
        e.h = h;
        e.ppid = opt_int(o, "ppid").value_or(0);
        e.uid = opt_int(o, "uid").value_or(-1);
        e.exe = opt_string_or_empty(o, "exe");
        if (auto it = o.find("argv"); it != o.end() && !it->is_null()) {
            if (!it->is_array()) wrong_type("argv", "an array of strings", *it);
            for (const json& a : *it) e.argv.push_back(as_string(a, "argv"));
        }
        e.via = opt_string_or_empty(o, "via");
        e.backend = opt_string_or_empty(o, "backend");
        e.spy = opt_string_or_empty(o, "spy");
        return e;
    }
    if (type == "bye") {
        ByeEvent e;
        e.h = h;
        e.calls = req_count(o, "calls");
        e.lost = req_count(o, "lost");
        return e;
    }
    if (type == "lost") {
        LostEvent e;
        e.h = h;
        e.count = req_count(o, "count");
        return e;
    }
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

void put_header(json& j, const EventHeader& h, std::string_view type) {
    j["v"] = h.v;
    j["type"] = type;
    j["pid"] = h.pid;
    j["tid"] = h.tid;
    j["ts_us"] = h.ts_us;
}

}  // namespace

DecodedEvent decode_event_value(const json& value) {
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
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, HelloEvent>) {
                j["ppid"] = e.ppid;
                j["uid"] = e.uid;
                j["exe"] = valid_utf8(e.exe);
                json argv = json::array();
                for (const auto& a : e.argv) argv.push_back(valid_utf8(a));
                j["argv"] = std::move(argv);
                j["via"] = valid_utf8(e.via);
                j["backend"] = valid_utf8(e.backend);
                j["spy"] = valid_utf8(e.spy);
            } else if constexpr (std::is_same_v<T, BeginEvent>) {
                j["seq"] = e.seq;
                j["fn"] = valid_utf8(e.fn);
                if (e.ctx) j["ctx"] = *e.ctx;
                if (e.card) j["card"] = *e.card;
            } else if constexpr (std::is_same_v<T, CallEvent>) {
                j["seq"] = e.seq;
                j["fn"] = valid_utf8(e.fn);
                j["dur_ns"] = e.dur_ns;
                j["rv"] = e.rv;
                j["rv_name"] = valid_utf8(e.rv_name);
                j["in"] = e.in;
                j["out"] = e.out;
                if (e.reader) j["reader"] = valid_utf8(*e.reader);
                if (e.ctx) j["ctx"] = *e.ctx;
            } else if constexpr (std::is_same_v<T, ByeEvent>) {
                j["calls"] = e.calls;
                j["lost"] = e.lost;
            } else {
                j["count"] = e.count;
            }
        },
        event);
    return j;
}

std::string encode_event(const Event& e) {
    // in/out objects may hold strings set by C++ code; replace rather than throw.
    return to_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace pcscspy
