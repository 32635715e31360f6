// read_event_facts: the model's line reader on the live path. protocol's
// decode_event builds a nlohmann DOM of every line (every argument, every
// string), which measured ~270 000 lines/s on the benchmark session, below the
// monitor's target. This reader uses nlohmann's SAX interface instead and keeps
// only what EventFacts needs. It accepts a line only when it is sure the line is
// a valid event; anything unusual (a missing or mistyped field, an unknown type,
// a repeated member, malformed JSON) goes to the reference path, so both always
// agree (tests/monitor/test_event_facts.cpp checks it line by line).
#include <algorithm>
#include <cstring>

#include "monitor/model/event_facts.hpp"

namespace pcscspy {

namespace {

using nlohmann::json;

enum class Top : uint8_t {
    Other, V, Type, Pid, Tid, Ts, Seq, Fn, Dur, Rv, RvName, Reader, Ctx, Card, Calls, Lost, Count,
    Ppid, Uid, Exe, Argv, Via, Backend, Spy, In, Out, kCount
};

struct TopKey {
    std::string_view name;
    Top key;
};
constexpr TopKey kTopKeys[] = {
    {"v", Top::V}, {"type", Top::Type}, {"pid", Top::Pid}, {"tid", Top::Tid}, {"ts_us", Top::Ts},
    {"seq", Top::Seq}, {"fn", Top::Fn}, {"dur_ns", Top::Dur}, {"rv", Top::Rv}, {"rv_name", Top::RvName},
    {"reader", Top::Reader}, {"ctx", Top::Ctx}, {"card", Top::Card}, {"calls", Top::Calls}, {"lost", Top::Lost},
    {"count", Top::Count}, {"ppid", Top::Ppid}, {"uid", Top::Uid}, {"exe", Top::Exe}, {"argv", Top::Argv},
    {"via", Top::Via}, {"backend", Top::Backend}, {"spy", Top::Spy}, {"in", Top::In}, {"out", Top::Out},
};

Top top_key(std::string_view k) {
    for (const TopKey& t : kTopKeys)
        if (t.name == k) return t.key;
    return Top::Other;
}

// The argument members (and reader-state members) the facts are made of, named
// once per key rather than compared at every value.
enum class Arg : uint8_t {
    Other, hContext, hCard, dwTimeout, dwControlCode, dwDisposition, pvMem, dwShareMode, szReader, pbSendBuffer,
    pbRecvBuffer, pbAtr, szReaderName, phContext, phCard, pdwActiveProtocol, pdwProtocol, pdwState, rgReaderStates,
    mszReaders, rgbAtr, dwCurrentState, dwEventState, Alloc
};

struct ArgKey {
    std::string_view name;
    Arg arg;
};
constexpr ArgKey kArgKeys[] = {
    {"hContext", Arg::hContext}, {"hCard", Arg::hCard}, {"dwTimeout", Arg::dwTimeout},
    {"dwControlCode", Arg::dwControlCode}, {"dwDisposition", Arg::dwDisposition}, {"pvMem", Arg::pvMem},
    {"dwShareMode", Arg::dwShareMode}, {"szReader", Arg::szReader}, {"pbSendBuffer", Arg::pbSendBuffer},
    {"pbRecvBuffer", Arg::pbRecvBuffer}, {"pbAtr", Arg::pbAtr}, {"szReaderName", Arg::szReaderName},
    {"phContext", Arg::phContext}, {"phCard", Arg::phCard}, {"pdwActiveProtocol", Arg::pdwActiveProtocol},
    {"pdwProtocol", Arg::pdwProtocol}, {"pdwState", Arg::pdwState}, {"rgReaderStates", Arg::rgReaderStates},
    {"mszReaders", Arg::mszReaders}, {"rgbAtr", Arg::rgbAtr}, {"dwCurrentState", Arg::dwCurrentState},
    {"dwEventState", Arg::dwEventState},
};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Arg arg_key(std::string_view k) {
    for (const ArgKey& a : kArgKeys)
        if (a.name == k) return a.arg;
    return ends_with(k, "_alloc") ? Arg::Alloc : Arg::Other;
}

// A JSON number as the reference reads integers: signed 64-bit, or absent.
struct Number {
    bool integer = false;  // an integer (not a float)
    bool fits = false;     // fits int64
    int64_t value = 0;
};


class FactsSax {
public:
    explicit FactsSax(EventFacts& f) : f_(f) {}

    bool fallback = false;  // the reference must decide
    std::string type;
    std::optional<int64_t> v, pid, ts;
    bool seq_seen = false, fn_seen = false, dur_seen = false, rv_seen = false, calls_seen = false, lost_seen = false,
         count_seen = false;
    std::vector<ReaderStateFacts> in_states, out_states;
    bool out_states_seen = false;

    // --- SAX interface
    bool null() { return scalar_null(); }
    bool boolean(bool) { return scalar_other(); }
    bool number_integer(json::number_integer_t n) { return number(Number{true, true, n}); }
    bool number_unsigned(json::number_unsigned_t n) {
        return number(Number{true, n <= static_cast<uint64_t>(INT64_MAX), static_cast<int64_t>(n)});
    }
    bool number_float(json::number_float_t, const json::string_t&) { return number(Number{}); }
    bool string(json::string_t& s) { return text(s); }  // may take s (the lexer's copy)
    bool binary(json::binary_t&) { return scalar_other(); }
    bool start_object(std::size_t) {
        if (argv_) return bad();
        ++depth_;
        if (depth_ == 1) return true;
        if (depth_ == 2 && (top_ == Top::In || top_ == Top::Out)) {
            section_ = top_;
            return true;
        }
        if (depth_ == 2) return top_ == Top::Other || bad();  // e.g. "pid":{...}: wrong type
        if (depth_ == 4 && in_states_array_) {
            (section_ == Top::Out ? out_states : in_states).emplace_back();
            in_state_ = true;
        }
        return true;
    }
    bool end_object() {
        if (depth_ == 4) in_state_ = false;
        if (depth_ == 2) section_ = Top::Other;
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        ++depth_;
        if (depth_ == 2) {
            if (top_ == Top::Argv) argv_ = true;
            else if (top_ != Top::Other) return bad();  // "in":[...], "pid":[...]
        } else if (depth_ == 3 && section_ != Top::Other) {
            if (arg_ == Arg::rgReaderStates) {
                in_states_array_ = true;
                if (section_ == Top::Out) {
                    out_states_seen = true;
                    out_states.clear();
                } else {
                    in_states.clear();
                }
            } else if (section_ == Top::Out && arg_ == Arg::mszReaders) {
                readers_array_ = true;
                f_.args.readers_listed.clear();
            }
        }
        return true;
    }
    bool end_array() {
        if (depth_ == 2) argv_ = false;
        if (depth_ == 3) in_states_array_ = readers_array_ = false;
        --depth_;
        return true;
    }
    bool key(json::string_t& k) {
        if (depth_ == 1) {
            top_ = top_key(k);
            auto bit = static_cast<size_t>(top_);
            if (top_ != Top::Other) {
                if (seen_ & (uint64_t{1} << bit)) return bad();  // repeated member: the DOM keeps the last
                seen_ |= uint64_t{1} << bit;
            }
        } else if (depth_ == 2) {
            arg_ = arg_key(k);
        } else if (depth_ == 4) {
            state_key_ = arg_key(k);
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return bad(); }

private:
    bool bad() {
        fallback = true;
        return false;  // stops the parse
    }
    bool scalar_other() {
        if (depth_ == 1 && top_ != Top::Other) return bad();
        if (argv_) return bad();
        return true;
    }
    bool scalar_null() {
        if (depth_ == 1) {
            switch (top_) {
                // Optional members that may be null.
                case Top::Tid: case Top::RvName: case Top::Reader: case Top::Ctx: case Top::Card: case Top::Ppid:
                case Top::Uid: case Top::Exe: case Top::Argv: case Top::Via: case Top::Backend: case Top::Spy:
                case Top::In: case Top::Out: case Top::Other:
                    return true;
                default:
                    return bad();
            }
        }
        if (argv_) return bad();
        return true;
    }
    bool number(Number n) {
        if (depth_ == 1) return top_number(n);
        if (argv_) return bad();
        if (!n.integer || !n.fits) return true;  // the reference treats it as absent
        if (depth_ == 2 && section_ == Top::In) in_number(n.value);
        else if (depth_ == 2 && section_ == Top::Out) out_number(n.value);
        else if (depth_ == 4 && in_state_) state_number(n.value);
        return true;
    }
    bool top_number(Number n) {
        if (!n.integer || !n.fits) {
            // Counts accept unsigned values past int64; anything else is a wrong type.
            bool count = top_ == Top::Seq || top_ == Top::Calls || top_ == Top::Lost || top_ == Top::Count;
            if (top_ == Top::Other || (count && n.integer)) {
                if (count) {
                    return bad();  // rare: let the reference read it exactly
                }
                return true;
            }
            return bad();
        }
        int64_t x = n.value;
        auto count = [&](uint64_t& field, bool& seen) {
            if (x < 0) return bad();
            field = static_cast<uint64_t>(x);
            seen = true;
            return true;
        };
        switch (top_) {
            case Top::V: v = x; return true;
            case Top::Pid: pid = x; return true;
            case Top::Tid: f_.h.tid = x; tid_ = true; return true;
            case Top::Ts: ts = x; return true;
            case Top::Seq: return count(f_.seq, seq_seen);
            case Top::Dur: f_.dur_ns = x; dur_seen = true; return true;
            case Top::Rv: f_.rv = x; rv_seen = true; return true;
            case Top::Ctx: f_.ctx = x; return true;
            case Top::Card: f_.card = x; return true;
            case Top::Calls: return count(f_.calls, calls_seen);
            case Top::Lost: return count(lost_field_, lost_seen);
            case Top::Count: return count(count_field_, count_seen);
            case Top::Ppid: f_.ppid = x; return true;
            case Top::Uid: f_.uid = x; return true;
            case Top::Other: return true;
            default: return bad();
        }
    }
    bool text(std::string& s) {
        if (depth_ == 1) {
            switch (top_) {
                case Top::Type: type = s; return true;
                case Top::Fn: f_.fn = s; fn_seen = true; return true;
                case Top::RvName: return true;  // not a fact
                case Top::Reader: f_.reader = s; return true;
                case Top::Exe: f_.exe = s; return true;
                case Top::Via: f_.via = s; return true;
                case Top::Backend: f_.backend = s; return true;
                case Top::Spy: f_.spy = s; return true;
                case Top::Other: return true;
                default: return bad();
            }
        }
        if (argv_) {
            if (depth_ != 2) return bad();
            f_.argv.push_back(s);
            return true;
        }
        if (depth_ == 2 && section_ == Top::In) {
            if (arg_ == Arg::szReader) f_.args.szReader = std::move(s);
            else if (arg_ == Arg::pbSendBuffer) f_.args.send_hex = std::move(s);
        } else if (depth_ == 2 && section_ == Top::Out) {
            if (arg_ == Arg::pbRecvBuffer) f_.args.recv_hex = std::move(s);
            else if (arg_ == Arg::pbAtr) f_.args.atr_hex = std::move(s);
            else if (arg_ == Arg::szReaderName) f_.args.reader_name_out = std::move(s);
        } else if (depth_ == 3 && readers_array_) {
            f_.args.readers_listed.push_back(std::move(s));
        } else if (depth_ == 4 && in_state_) {
            ReaderStateFacts& st = (section_ == Top::Out ? out_states : in_states).back();
            if (state_key_ == Arg::szReader) st.reader = std::move(s);
            else if (state_key_ == Arg::rgbAtr) st.atr_hex = std::move(s);
        }
        return true;
    }
    void in_number(int64_t x) {
        CallArgumentFacts& a = f_.args;
        switch (arg_) {
            case Arg::hContext: a.hContext = x; break;
            case Arg::hCard: a.hCard = x; break;
            case Arg::dwTimeout: a.dwTimeout = x; break;
            case Arg::dwControlCode: a.dwControlCode = x; break;
            case Arg::dwDisposition: a.dwDisposition = x; break;
            case Arg::pvMem: a.pvMem = x; break;
            case Arg::dwShareMode: a.dwShareMode = x; break;
            default: break;
        }
    }
    void out_number(int64_t x) {
        CallArgumentFacts& a = f_.args;
        switch (arg_) {
            case Arg::phContext: a.out_context = x; break;
            case Arg::phCard: a.out_card = x; break;
            case Arg::pdwActiveProtocol: active_protocol_ = x; break;
            case Arg::pdwProtocol: protocol_ = x; break;
            case Arg::pdwState: a.out_state = x; break;
            case Arg::Alloc: a.allocations.push_back(x); break;
            default: break;
        }
    }
    void state_number(int64_t x) {
        ReaderStateFacts& st = (section_ == Top::Out ? out_states : in_states).back();
        if (state_key_ == Arg::dwCurrentState) st.current_state = x;
        else if (state_key_ == Arg::dwEventState) st.event_state = x;
    }

public:
    uint64_t lost_field_ = 0, count_field_ = 0;
    bool tid_ = false;
    std::optional<int64_t> active_protocol_, protocol_;

private:
    EventFacts& f_;
    int depth_ = 0;
    Top top_ = Top::Other;
    Top section_ = Top::Other;
    Arg arg_ = Arg::Other, state_key_ = Arg::Other;
    bool argv_ = false, in_states_array_ = false, readers_array_ = false, in_state_ = false;
    uint64_t seen_ = 0;
};

// Builds the JSON value of what a view prints of a call (its in, out and
// rv_name members) from the SAX events of the facts pass, so that the text view
// lexes each line once. The other top-level members are facts already and are
// skipped. Containers on the stack stay put: an array only grows after its open
// child has been closed and popped.
class DomBuilder {
public:
    explicit DomBuilder(json& root) : root_(root) {}

    static bool kept(std::string_view top_key) { return top_key == "in" || top_key == "out" || top_key == "rv_name"; }

    bool null() { return skipping() || place(nullptr); }
    bool boolean(bool b) { return skipping() || place(b); }
    bool number_integer(json::number_integer_t n) { return skipping() || place(n); }
    bool number_unsigned(json::number_unsigned_t n) { return skipping() || place(n); }
    bool number_float(json::number_float_t d, const json::string_t&) { return skipping() || place(d); }
    bool string(json::string_t& s) { return skipping() || place(s); }
    bool binary(json::binary_t& b) { return skipping() || place(json::binary(b)); }
    bool start_object(std::size_t) { return enter() || open(json::object()); }
    bool start_array(std::size_t) { return enter() || open(json::array()); }
    bool end_object() { return leave() || close(); }
    bool end_array() { return leave() || close(); }
    bool key(json::string_t& k) {
        if (skip_depth_ > 0) return true;
        if (stack_.size() == 1) skip_member_ = !kept(k);
        if (!skip_member_ || stack_.size() > 1) key_ = k;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    // A skipped top-level member: its value (and everything in it) is not built.
    bool skipping() const { return skip_depth_ > 0 || (stack_.size() == 1 && skip_member_); }
    bool enter() {
        if (!skipping()) return false;
        ++skip_depth_;
        return true;
    }
    bool leave() {
        if (skip_depth_ == 0) return false;
        --skip_depth_;
        return true;
    }

    json& slot() {
        if (stack_.empty()) return root_;
        json& parent = *stack_.back();
        if (parent.is_object()) return parent[key_];  // a repeated member: the last wins, as in the DOM parser
        parent.push_back(nullptr);
        return parent.back();
    }
    bool place(json v) {
        slot() = std::move(v);
        return true;
    }
    bool open(json v) {
        json& s = slot();
        s = std::move(v);
        stack_.push_back(&s);
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }

    json& root_;
    std::vector<json*> stack_;
    std::string key_;
    bool skip_member_ = false;
    int skip_depth_ = 0;
};

// Feeds one SAX pass to the DOM builder, then to the facts reader (which may
// stop the parse to hand the line to the reference path).
struct FactsAndDom {
    FactsSax& facts;
    DomBuilder& dom;

    bool null() { return dom.null() && facts.null(); }
    bool boolean(bool b) { return dom.boolean(b) && facts.boolean(b); }
    bool number_integer(json::number_integer_t n) { return dom.number_integer(n) && facts.number_integer(n); }
    bool number_unsigned(json::number_unsigned_t n) { return dom.number_unsigned(n) && facts.number_unsigned(n); }
    bool number_float(json::number_float_t d, const json::string_t& s) {
        return dom.number_float(d, s) && facts.number_float(d, s);
    }
    bool string(json::string_t& s) { return dom.string(s) && facts.string(s); }
    bool binary(json::binary_t& b) { return dom.binary(b) && facts.binary(b); }
    bool start_object(std::size_t n) { return dom.start_object(n) && facts.start_object(n); }
    bool end_object() { return dom.end_object() && facts.end_object(); }
    bool start_array(std::size_t n) { return dom.start_array(n) && facts.start_array(n); }
    bool end_array() { return dom.end_array() && facts.end_array(); }
    bool key(json::string_t& k) { return dom.key(k) && facts.key(k); }
    bool parse_error(std::size_t p, const std::string& t, const nlohmann::detail::exception& e) {
        return facts.parse_error(p, t, e);
    }
};

std::optional<EventErrorKind> reference(std::string_view line, EventFacts& out, std::string* message, json* dom) {
    DecodedEvent d;
    if (dom) {
        *dom = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
        d = dom->is_discarded() ? decode_event(line) : decode_event_value(*dom);
        if (dom->is_object())
            for (auto it = dom->begin(); it != dom->end();) it = DomBuilder::kept(it.key()) ? std::next(it) : dom->erase(it);
    } else {
        d = decode_event(line);
    }
    if (!d.ok()) {
        if (message) *message = d.error->message;
        return d.error->kind;
    }
    facts_from_event(*d.event, out);
    return std::nullopt;
}

}  // namespace

std::optional<EventErrorKind> read_event_facts(std::string_view line, EventFacts& out, std::string* message,
                                              nlohmann::json* dom) {
    out.clear();
    FactsSax sax(out);
    bool parsed;
    if (dom) {
        *dom = json();
        DomBuilder builder(*dom);
        FactsAndDom both{sax, builder};
        parsed = json::sax_parse(line.begin(), line.end(), &both, json::input_format_t::json, /*strict=*/true);
    } else {
        parsed = json::sax_parse(line.begin(), line.end(), &sax, json::input_format_t::json, /*strict=*/true);
    }
    if (!parsed || sax.fallback || !sax.v || *sax.v != kSchemaVersion || !sax.pid || !sax.ts)
        return reference(line, out, message, dom);
    out.h.v = kSchemaVersion;
    out.h.pid = *sax.pid;
    out.h.ts_us = *sax.ts;
    if (!sax.tid_) out.h.tid = out.h.pid;
    bool complete = false;
    if (sax.type == "call") {
        out.type = EventType::Call;
        complete = sax.seq_seen && sax.fn_seen && sax.dur_seen && sax.rv_seen;
        out.args.out_protocol = sax.active_protocol_ ? sax.active_protocol_ : sax.protocol_;
        out.args.reader_states = sax.out_states_seen ? std::move(sax.out_states) : std::move(sax.in_states);
        std::sort(out.args.allocations.begin(), out.args.allocations.end());
    } else if (sax.type == "begin") {
        out.type = EventType::Begin;
        complete = sax.seq_seen && sax.fn_seen;
        out.args.clear();  // a begin has no arguments
    } else if (sax.type == "hello") {
        out.type = EventType::Hello;
        complete = true;
    } else if (sax.type == "bye") {
        out.type = EventType::Bye;
        out.lost = sax.lost_field_;
        complete = sax.calls_seen && sax.lost_seen;
    } else if (sax.type == "lost") {
        out.type = EventType::Lost;
        out.lost = sax.count_field_;
        complete = sax.count_seen;
    }
    if (!complete) return reference(line, out, message, dom);
    // Members of other event types are not facts of this one.
    if (out.type != EventType::Call) {
        out.dur_ns = 0;
        out.rv = 0;
        out.reader.reset();
        out.args.clear();
        if (out.type != EventType::Begin) {
            out.seq = 0;
            out.fn.clear();
            out.ctx.reset();
        }
    }
    if (out.type == EventType::Call) out.card.reset();
    if (out.type != EventType::Hello) {
        out.ppid = 0;
        out.uid = -1;
        out.exe.clear();
        out.via.clear();
        out.backend.clear();
        out.spy.clear();
        out.argv.clear();
    }
    if (out.type != EventType::Bye) out.calls = 0;
    if (out.type != EventType::Bye && out.type != EventType::Lost) out.lost = 0;
    return std::nullopt;
}

}  // namespace pcscspy
