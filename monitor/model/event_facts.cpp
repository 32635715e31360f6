#include "monitor/model/event_facts.hpp"

#include <algorithm>
#include <string_view>

namespace pcscspy {

using nlohmann::json;

void CallArgumentFacts::clear() { *this = CallArgumentFacts{}; }

void EventFacts::clear() {
    // Keeps the capacity of the strings and vectors that are reused line after line.
    type = EventType::Call;
    h = EventHeader{};
    seq = 0;
    fn.clear();
    ctx.reset();
    card.reset();
    dur_ns = 0;
    rv = 0;
    reader.reset();
    args.hContext.reset();
    args.hCard.reset();
    args.dwTimeout.reset();
    args.dwControlCode.reset();
    args.dwDisposition.reset();
    args.pvMem.reset();
    args.dwShareMode.reset();
    args.szReader.reset();
    args.send_hex.reset();
    args.out_context.reset();
    args.out_card.reset();
    args.out_protocol.reset();
    args.out_state.reset();
    args.recv_hex.reset();
    args.atr_hex.reset();
    args.reader_name_out.reset();
    args.readers_listed.clear();
    args.allocations.clear();
    args.reader_states.clear();
    ppid = 0;
    uid = -1;
    exe.clear();
    via.clear();
    backend.clear();
    spy.clear();
    argv.clear();
    calls = 0;
    lost = 0;
}

bool EventFacts::operator==(const EventFacts& o) const {
    return type == o.type && h.v == o.h.v && h.pid == o.h.pid && h.tid == o.h.tid && h.ts_us == o.h.ts_us &&
           seq == o.seq && fn == o.fn && ctx == o.ctx && card == o.card && dur_ns == o.dur_ns && rv == o.rv &&
           reader == o.reader && args == o.args && ppid == o.ppid && uid == o.uid && exe == o.exe && via == o.via &&
           backend == o.backend && spy == o.spy && argv == o.argv && calls == o.calls && lost == o.lost;
}

namespace {

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

void facts_from_event(const Event& event, EventFacts& f) {
    f.clear();
    f.h = header_of(event);
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, HelloEvent>) {
                f.type = EventType::Hello;
                f.ppid = e.ppid;
                f.uid = e.uid;
                f.exe = e.exe;
                f.argv = e.argv;
                f.via = e.via;
                f.backend = e.backend;
                f.spy = e.spy;
            } else if constexpr (std::is_same_v<T, BeginEvent>) {
                f.type = EventType::Begin;
                f.seq = e.seq;
                f.fn = e.fn;
                f.ctx = e.ctx;
                f.card = e.card;
            } else if constexpr (std::is_same_v<T, CallEvent>) {
                f.type = EventType::Call;
                f.seq = e.seq;
                f.fn = e.fn;
                f.dur_ns = e.dur_ns;
                f.rv = e.rv;
                f.reader = e.reader;
                f.ctx = e.ctx;
                call_arguments_from(e.in, e.out, f.args);
            } else if constexpr (std::is_same_v<T, ByeEvent>) {
                f.type = EventType::Bye;
                f.calls = e.calls;
                f.lost = e.lost;
            } else {
                f.type = EventType::Lost;
                f.lost = e.count;
            }
        },
        event);
}

}  // namespace pcscspy
