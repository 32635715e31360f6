#include "monitor/model/event_facts.hpp"

#include <algorithm>
#include <string_view>

namespace pcscspy {

using nlohmann::json;

namespace {

// A field back to its .def default, keeping what it allocated (one per kind,
// whether or not the .def has a field of that kind today).
[[maybe_unused]] void reset_value(int64_t& v, int64_t d) { v = d; }
[[maybe_unused]] void reset_value(uint64_t& v, int64_t d) { v = static_cast<uint64_t>(d); }
[[maybe_unused]] void reset_value(bool& v, int64_t d) { v = d != 0; }
[[maybe_unused]] void reset_value(std::string& v, int64_t) { v.clear(); }
[[maybe_unused]] void reset_value(std::vector<std::string>& v, int64_t) { v.clear(); }
[[maybe_unused]] void reset_value(json& v, int64_t) {
    if (!v.is_object() || !v.empty()) v = json::object();
}
template <class T>
void reset_value(std::optional<T>& v, int64_t) {
    v.reset();
}

#define PCSCSPY_FIELD(name, kind, presence, dflt) reset_value(f.name, dflt);
#define PCSCSPY_EVENT(Name, type, fields) \
    void reset(Name##Fields& f) { fields }
#include "protocol/event_format.def"

// An event's fields but its objects (a call's in and out: their facts are args).
template <class T>
void keep_value(T& to, const T& from) {
    to = from;
}
void keep_value(json&, const json&) {}

#define PCSCSPY_FIELD(name, kind, presence, dflt) keep_value(to.name, from.name);
#define PCSCSPY_EVENT(Name, type, fields) \
    void keep_fields(Name##Fields& to, const Name##Fields& from) { fields }
#include "protocol/event_format.def"

std::optional<int64_t> integer(const json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->is_number_unsigned()) {
        uint64_t u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<int64_t>(u);
    }
    if (it->is_number_integer()) return it->get<int64_t>();
    return std::nullopt;
}

std::optional<std::string> text(const json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void reader_states_from(const json& array, std::vector<ReaderStateFacts>& out) {
    out.clear();
    for (const json& rs : array) {
        if (!rs.is_object()) continue;
        ReaderStateFacts f;
        f.reader = text(rs, "szReader").value_or("");
        f.current_state = integer(rs, "dwCurrentState").value_or(0);
        f.event_state = integer(rs, "dwEventState");
        f.atr_hex = text(rs, "rgbAtr").value_or("");
        out.push_back(std::move(f));
    }
}

void call_arguments_from(const json& in, const json& out, CallArgumentFacts& a) {
    a.hContext = integer(in, "hContext");
    a.hCard = integer(in, "hCard");
    a.dwTimeout = integer(in, "dwTimeout");
    a.dwControlCode = integer(in, "dwControlCode");
    a.dwDisposition = integer(in, "dwDisposition");
    a.pvMem = integer(in, "pvMem");
    a.dwShareMode = integer(in, "dwShareMode");
    a.szReader = text(in, "szReader");
    a.send_hex = text(in, "pbSendBuffer");
    a.out_context = integer(out, "phContext");
    a.out_card = integer(out, "phCard");
    a.out_protocol = integer(out, "pdwActiveProtocol");
    if (!a.out_protocol) a.out_protocol = integer(out, "pdwProtocol");
    a.out_state = integer(out, "pdwState");
    a.recv_hex = text(out, "pbRecvBuffer");
    a.atr_hex = text(out, "pbAtr");
    a.reader_name_out = text(out, "szReaderName");
    if (auto it = out.find("mszReaders"); it != out.end() && it->is_array())
        for (const json& r : *it)
            if (r.is_string()) a.readers_listed.push_back(r.get<std::string>());
    for (auto it = out.begin(); it != out.end(); ++it)
        if (ends_with(it.key(), "_alloc"))
            if (auto p = integer(out, it.key().c_str())) a.allocations.push_back(*p);
    std::sort(a.allocations.begin(), a.allocations.end());  // order-free, as the fast reader
    if (auto it = out.find("rgReaderStates"); it != out.end() && it->is_array())
        reader_states_from(*it, a.reader_states);
    else if (auto jt = in.find("rgReaderStates"); jt != in.end() && jt->is_array())
        reader_states_from(*jt, a.reader_states);
}

}  // namespace

void CallArgumentFacts::clear() {
    hContext.reset();
    hCard.reset();
    dwTimeout.reset();
    dwControlCode.reset();
    dwDisposition.reset();
    pvMem.reset();
    dwShareMode.reset();
    szReader.reset();
    send_hex.reset();
    out_context.reset();
    out_card.reset();
    out_protocol.reset();
    out_state.reset();
    recv_hex.reset();
    atr_hex.reset();
    reader_name_out.reset();
    readers_listed.clear();
    allocations.clear();
    reader_states.clear();
}

void EventFacts::clear() {
    // Only the part of the last line's type left its defaults.
    switch (type) {
        case EventType::Hello: reset(hello); break;
        case EventType::Begin: reset(begin); break;
        case EventType::Call: reset(call); args.clear(); break;
        case EventType::Bye: reset(bye); break;
        case EventType::Lost: reset(lost); break;
    }
    type = EventType::Call;
    h = EventHeader{};
    function.reset();
}

void facts_from_event(const Event& event, EventFacts& f) {
    f.clear();
    f.type = event_type(event);
    f.h = header_of(event);
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, HelloEvent>) {
                keep_fields(f.hello, e);
            } else if constexpr (std::is_same_v<T, BeginEvent>) {
                keep_fields(f.begin, e);
                f.function = function_by_name(e.fn);
            } else if constexpr (std::is_same_v<T, CallEvent>) {
                keep_fields(f.call, e);
                f.function = function_by_name(e.fn);
                call_arguments_from(e.in, e.out, f.args);
            } else if constexpr (std::is_same_v<T, ByeEvent>) {
                keep_fields(f.bye, e);
            } else {
                keep_fields(f.lost, e);
            }
        },
        event);
}

}  // namespace pcscspy
