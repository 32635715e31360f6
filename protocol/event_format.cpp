#include "protocol/event_format.hpp"

#include <cstring>

namespace pcscspy {

void put(JsonWriter& w, FieldKey<FieldKind::StringList> k, StringListView v) {
    w.key(k.name);
    w.begin_array();
    for (size_t i = 0; i < v.size;) {
        const void* nul = memchr(v.data + i, '\0', v.size - i);
        size_t end = nul ? static_cast<size_t>(static_cast<const char*>(nul) - v.data) : v.size;
        w.string(v.data + i, end - i);
        i = end + 1;
    }
    w.end_array();
}

void put(JsonWriter& w, FieldKey<FieldKind::Object> k, ObjectView v) {
    w.key(k.name);
    w.begin_object();
    if (v.write) v.write(w, v.context);
    w.end_object();
}

void write_header(JsonWriter& w, const EventHeader& h, EventType type) {
    w.begin_object();
    w.member_int("v", h.v);
    w.member_string("type", event_type_name(type));
#define PCSCSPY_FIELD(name, kind, presence, dflt) put(w, event_keys::header::name, h.name);
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
}

#define PCSCSPY_FIELD(name, kind, presence, dflt) put(w, keys::name, v.name);
#define PCSCSPY_EVENT(Name, type, fields)                     \
    void write_fields(JsonWriter& w, const Name##View& v) {   \
        namespace keys = event_keys::type;                    \
        fields                                                \
    }
#include "protocol/event_format.def"

size_t finish_line(JsonWriter& w, char* out, size_t cap) {
    w.end_object();
    if (w.overflowed() || w.size() + 1 > cap) return 0;
    out[w.size()] = '\n';
    return w.size() + 1;
}

}  // namespace pcscspy
