// read_event_facts: the model's line reader on the live path. protocol's
// decode_event builds a nlohmann DOM of every line (every argument, every
// string), which measured ~270 000 lines/s on the benchmark session, below the
// monitor's target. This reader keeps only what EventFacts needs, for the two
// event types that make the stream: begin and call, from SAX events. It accepts
// a line only when it is sure the line is a valid event; anything else goes to
// the reference path, so both always agree (tests/monitor/test_event_facts.cpp
// checks it line by line):
// - hello, bye and lost (a few per process), and unknown types;
// - a field of the type before "type" itself (producers write "v" and "type" first);
// - a missing or mistyped field, a repeated member (at the top, or an argument
//   the facts are made of), malformed JSON;
// - list fields (a call's "truncated", "clamped": rare);
// - a line nested deeper than kMaxEventNesting (the reference refuses it
//   before building any tree of it).
// Its key table is protocol/event_format.def's.
//
// The SAX events come from simdjson (Debian libsimdjson-dev): nlohmann's lexer,
// one character at a time, was half of the monitor's CPU time on a steady stream
// (perf), and with simdjson the synthetic session of bench/monitor is ingested at
// 330 000 events/s instead of 200 000 (`monitor_bench ingest`, which also prints
// this reader alone: about 0.7 us a line). simdjson validates
// the whole line (UTF-8, escapes, control characters, structure) before anything
// is replayed; a line it refuses, or one holding a number that is not an integer
// (nlohmann may read 1e3 or -0.0 otherwise; events never hold one), is lexed by
// nlohmann as before, so that the outcome never depends on which lexer ran.
#include <algorithm>
#include <cstring>

#include <simdjson.h>

#include "monitor/model/event_facts.hpp"

namespace pcscspy {

namespace {

using nlohmann::json;

// A top-level scalar as the SAX parser hands it over.
struct Scalar {
    enum class Shape : uint8_t { Null, Integer, Float, String, Bool } shape = Shape::Null;
    bool fits = false;   // Integer: fits int64
    int64_t value = 0;   // Integer
    std::string* text = nullptr;  // String
    bool boolean = false;
};

// A scalar into a field's member, as the reference reads it; false: the
// reference must decide (wrong kind, out of range, a list or object kind).
bool assign(int64_t& m, Scalar& v) {
    if (v.shape != Scalar::Shape::Integer || !v.fits) return false;
    m = v.value;
    return true;
}
bool assign(uint64_t& m, Scalar& v) {
    if (v.shape != Scalar::Shape::Integer || !v.fits || v.value < 0) return false;  // past 2^63: rare, exact there
    m = static_cast<uint64_t>(v.value);
    return true;
}
bool assign(std::string& m, Scalar& v) {
    if (v.shape != Scalar::Shape::String) return false;
    m = *v.text;  // a copy reuses the member's capacity line after line (fn, rv_name)
    return true;
}
bool assign(bool& m, Scalar& v) {
    if (v.shape != Scalar::Shape::Bool) return false;
    m = v.boolean;
    return true;
}
bool assign(std::vector<std::string>&, Scalar&) { return false; }
bool assign(json&, Scalar&) { return false; }
template <class T>
bool assign(std::optional<T>& m, Scalar& v) {
    T value{};
    if (!assign(value, v)) return false;
    m = std::move(value);
    return true;
}

template <class Fields>
struct TopField {
    std::string_view key;
    FieldKind kind;
    Presence presence;
    bool (*set)(Fields&, Scalar&);
};

template <class Fields, size_t N>
const TopField<Fields>* find_field(const TopField<Fields> (&table)[N], std::string_view key, size_t& index) {
    for (size_t i = 0; i < N; ++i)
        if (table[i].key == key) {
            index = i;
            return &table[i];
        }
    return nullptr;
}

// The tables: the header's fields, and each event type's.
#define PCSCSPY_FIELD(name, kind, presence, dflt)                  \
    TopField<Fields>{#name, FieldKind::kind, Presence::presence,   \
                     [](Fields& f, Scalar& v) { return assign(f.name, v); }},
struct HeaderTable {
    using Fields = EventHeader;
    static constexpr TopField<Fields> fields[] = {
#define PCSCSPY_HEADER(fields) fields
#include "protocol/event_format.def"
    };
};
#define PCSCSPY_FIELD(name, kind, presence, dflt)                  \
    TopField<Fields>{#name, FieldKind::kind, Presence::presence,   \
                     [](Fields& f, Scalar& v) { return assign(f.name, v); }},
#define PCSCSPY_EVENT(Name, type, fields)                         \
    struct Name##Table {                                          \
        using Fields = Name##Fields;                              \
        static constexpr TopField<Fields> fields_[] = {fields};   \
    };
#include "protocol/event_format.def"

// Whether a key is a field of a type read here (begin or call).
bool fast_type_key(std::string_view key) {
    size_t i = 0;
    return find_field(BeginTable::fields_, key, i) || find_field(CallTable::fields_, key, i);
}

// The argument members (and reader-state members) the facts are made of, named
// once per key rather than compared at every value.
enum class Arg : uint8_t {
    Other, hContext, hCard, dwTimeout, dwControlCode, dwDisposition, pvMem, dwShareMode, szReader, pbSendBuffer,
    pbRecvBuffer, pbAtr, szReaderName, phContext, phCard, pdwActiveProtocol, pdwProtocol, pdwState, rgReaderStates,
    mszReaders, rgbAtr, dwCurrentState, dwEventState, Alloc
};
static_assert(static_cast<unsigned>(Arg::Alloc) < 32, "FactsSax keeps the Args met in an object in 32 bits");

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

// Where the parser is at the top level.
enum class Top : uint8_t { Other, V, Type, Header, Field };

class FactsSax {
public:
    explicit FactsSax(EventFacts& f) : f_(f) {}

    bool fallback = false;  // the reference must decide
    bool too_deep = false;  // nested past kMaxEventNesting: refused here, no tree built
    std::optional<int64_t> v;
    bool type_seen = false;
    std::vector<ReaderStateFacts> in_states, out_states;
    bool out_states_seen = false;
    std::optional<int64_t> active_protocol, protocol;

    // All that a type's table requires was there.
    bool complete() const {
        if (!v || *v != kSchemaVersion || !type_seen) return false;
        for (size_t i = 0; i < std::size(HeaderTable::fields); ++i)
            if (HeaderTable::fields[i].presence == Presence::Required && !(header_seen_ & bit(i))) return false;
        return f_.type == EventType::Begin ? required_seen(BeginTable::fields_) : required_seen(CallTable::fields_);
    }
    bool tid_seen() const {
        size_t i = 0;
        find_field(HeaderTable::fields, "tid", i);
        return header_set_ & bit(i);
    }

    // --- SAX interface
    bool null() { return depth_ == 1 ? top_null() : inner_scalar(); }
    bool boolean(bool b) {
        Scalar s{Scalar::Shape::Bool};
        s.boolean = b;
        return depth_ == 1 ? top_scalar(s) : inner_scalar();
    }
    bool number_integer(json::number_integer_t n) { return number(true, n); }
    bool number_unsigned(json::number_unsigned_t n) {
        return number(n <= static_cast<uint64_t>(INT64_MAX), static_cast<int64_t>(n));
    }
    bool number_float(json::number_float_t, const json::string_t&) {
        if (depth_ == 1) return top_scalar(Scalar{Scalar::Shape::Float});
        return inner_scalar();
    }
    bool string(json::string_t& s) {  // may take s (the lexer's copy)
        if (depth_ == 1) {
            Scalar v{Scalar::Shape::String};
            v.text = &s;
            return top_scalar(v);
        }
        return arg_text(s);
    }
    bool binary(json::binary_t&) { return depth_ == 1 ? bad() : inner_scalar(); }
    bool start_object(std::size_t) {
        if (++depth_ > kMaxEventNesting) return deep();
        if (depth_ == 1) return true;
        if (depth_ == 2) {
            if (top_ == Top::Other) return true;
            if (top_ != Top::Field || field_kind_ != FieldKind::Object) return bad();  // e.g. "pid":{...}
            section_ = field_section_;
            section_keys_ = 0;
            section_allocs_.clear();
            return true;
        }
        if (depth_ == 4 && in_states_array_) {
            (section_ == Section::Out ? out_states : in_states).emplace_back();
            in_state_ = true;
            state_keys_ = 0;
        }
        return true;
    }
    bool end_object() {
        if (depth_ == 4) in_state_ = false;
        if (depth_ == 2) section_ = Section::None;
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        if (++depth_ > kMaxEventNesting) return deep();
        if (depth_ == 2) return top_ == Top::Other || bad();  // lists (and wrong types): the reference
        if (depth_ == 3 && (section_ == Section::In || section_ == Section::Out)) {
            if (arg_ == Arg::rgReaderStates) {
                in_states_array_ = true;
                if (section_ == Section::Out) {
                    out_states_seen = true;
                    out_states.clear();
                } else {
                    in_states.clear();
                }
            } else if (section_ == Section::Out && arg_ == Arg::mszReaders) {
                readers_array_ = true;
                f_.args.readers_listed.clear();
            }
        }
        return true;
    }
    bool end_array() {
        if (depth_ == 3) in_states_array_ = readers_array_ = false;
        --depth_;
        return true;
    }
    bool key(json::string_t& k) {
        if (depth_ == 1) return top_key(k);
        if (depth_ == 2) {
            arg_ = arg_key(k);
            if (section_ != Section::In && section_ != Section::Out) return true;
            if (arg_ == Arg::Alloc) return first_alloc(k);
            return first(arg_, section_keys_);
        }
        if (depth_ == 4) {
            state_key_ = arg_key(k);
            return !in_state_ || first(state_key_, state_keys_);
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return bad(); }

private:
    enum class Section : uint8_t { None, In, Out, Other };
    static constexpr uint64_t bit(size_t i) { return uint64_t{1} << i; }

    static Section section_of(std::string_view key) {
        return key == "in" ? Section::In : key == "out" ? Section::Out : Section::Other;
    }
    template <class Fields, size_t N>
    bool required_seen(const TopField<Fields> (&table)[N]) const {
        for (size_t i = 0; i < N; ++i)
            if (table[i].presence == Presence::Required && !(type_seen_ & bit(i))) return false;
        return true;
    }

    bool bad() {
        fallback = true;
        return false;  // stops the parse
    }
    bool deep() {
        too_deep = true;
        return false;
    }

    // A top-level member: which one, seen once only (the DOM keeps the last).
    bool top_key(std::string_view k) {
        size_t i = 0;
        if (k == "v") return once(Top::V, framing_seen_, 0);
        if (k == "type") return once(Top::Type, framing_seen_, 1);
        if (const auto* h = find_field(HeaderTable::fields, k, i)) {
            header_field_ = h;
            return once(Top::Header, header_seen_, i);
        }
        if (type_seen) {
            bool found = f_.type == EventType::Begin ? pick(BeginTable::fields_, k, i) : pick(CallTable::fields_, k, i);
            if (found) {
                field_section_ = section_of(k);
                return once(Top::Field, type_seen_, i);
            }
        } else if (fast_type_key(k)) {
            return bad();  // a field before the type: which one is it?
        }
        top_ = Top::Other;
        return true;
    }
    // An argument (or reader-state member) the facts are made of, repeated in
    // its object: the DOM keeps the last value, whatever its type, where this
    // reader would keep the last integer or string; the reference decides.
    bool first(Arg a, uint32_t& seen) {
        if (a == Arg::Other) return true;
        const uint32_t b = uint32_t{1} << static_cast<unsigned>(a);
        if (seen & b) return bad();
        seen |= b;
        return true;
    }
    bool first_alloc(const std::string& k) {  // rare: SCARD_AUTOALLOCATE outputs
        if (std::find(section_allocs_.begin(), section_allocs_.end(), k) != section_allocs_.end()) return bad();
        section_allocs_.push_back(k);
        return true;
    }
    bool once(Top top, uint64_t& seen, size_t i) {
        if (seen & bit(i)) return bad();
        seen |= bit(i);
        top_ = top;
        return true;
    }
    template <class Fields, size_t N>
    bool pick(const TopField<Fields> (&table)[N], std::string_view k, size_t& i) {
        const TopField<Fields>* f = find_field(table, k, i);
        if (!f) return false;
        field_kind_ = f->kind;
        field_presence_ = f->presence;
        field_index_ = i;
        return true;
    }

    bool top_null() {
        switch (top_) {
            case Top::Other: return true;
            case Top::V: case Top::Type: return bad();
            case Top::Header: return header_field_->presence != Presence::Required || bad();
            case Top::Field: return field_presence_ != Presence::Required || bad();
        }
        return bad();
    }
    bool top_scalar(Scalar& s) {
        switch (top_) {
            case Top::Other: return true;
            case Top::V:
                if (s.shape != Scalar::Shape::Integer || !s.fits) return bad();
                v = s.value;
                return true;
            case Top::Type: return type(s);
            case Top::Header: {
                size_t i = static_cast<size_t>(header_field_ - HeaderTable::fields);
                header_set_ |= bit(i);
                return header_field_->set(f_.h, s) || bad();
            }
            case Top::Field:
                if (f_.type == EventType::Begin) return BeginTable::fields_[field_index_].set(f_.begin, s) || bad();
                return CallTable::fields_[field_index_].set(f_.call, s) || bad();
        }
        return bad();
    }
    bool top_scalar(Scalar&& s) { return top_scalar(s); }
    // Only begin and call are read here.
    bool type(Scalar& s) {
        if (s.shape != Scalar::Shape::String) return bad();
        if (*s.text == "call") f_.type = EventType::Call;
        else if (*s.text == "begin") f_.type = EventType::Begin;
        else return bad();
        type_seen = true;
        return true;
    }
    bool number(bool fits, int64_t n) {
        if (depth_ == 1) {
            Scalar s{Scalar::Shape::Integer};
            s.fits = fits;
            s.value = n;
            return top_scalar(s);
        }
        if (!fits) return true;  // the reference treats it as absent
        if (depth_ == 2 && section_ == Section::In) in_number(n);
        else if (depth_ == 2 && section_ == Section::Out) out_number(n);
        else if (depth_ == 4 && in_state_) state_number(n);
        return true;
    }
    bool inner_scalar() { return true; }

    bool arg_text(std::string& s) {
        if (depth_ == 2 && section_ == Section::In) {
            if (arg_ == Arg::szReader) f_.args.szReader = std::move(s);
            else if (arg_ == Arg::pbSendBuffer) f_.args.send_hex = std::move(s);
        } else if (depth_ == 2 && section_ == Section::Out) {
            if (arg_ == Arg::pbRecvBuffer) f_.args.recv_hex = std::move(s);
            else if (arg_ == Arg::pbAtr) f_.args.atr_hex = std::move(s);
            else if (arg_ == Arg::szReaderName) f_.args.reader_name_out = std::move(s);
        } else if (depth_ == 3 && readers_array_) {
            f_.args.readers_listed.push_back(std::move(s));
        } else if (depth_ == 4 && in_state_) {
            ReaderStateFacts& st = (section_ == Section::Out ? out_states : in_states).back();
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
            case Arg::pdwActiveProtocol: active_protocol = x; break;
            case Arg::pdwProtocol: protocol = x; break;
            case Arg::pdwState: a.out_state = x; break;
            case Arg::Alloc: a.allocations.push_back(x); break;
            default: break;
        }
    }
    void state_number(int64_t x) {
        ReaderStateFacts& st = (section_ == Section::Out ? out_states : in_states).back();
        if (state_key_ == Arg::dwCurrentState) st.current_state = x;
        else if (state_key_ == Arg::dwEventState) st.event_state = x;
    }

    EventFacts& f_;
    int depth_ = 0;
    Top top_ = Top::Other;
    const TopField<EventHeader>* header_field_ = nullptr;
    FieldKind field_kind_ = FieldKind::Int;
    Presence field_presence_ = Presence::Required;
    size_t field_index_ = 0;
    Section field_section_ = Section::None;  // of the Object field being read
    Section section_ = Section::None;
    Arg arg_ = Arg::Other, state_key_ = Arg::Other;
    bool in_states_array_ = false, readers_array_ = false, in_state_ = false;
    uint64_t framing_seen_ = 0, header_seen_ = 0, header_set_ = 0, type_seen_ = 0;
    uint32_t section_keys_ = 0, state_keys_ = 0;  // the Args met in the open in/out object and reader state
    std::vector<std::string> section_allocs_;     // the *_alloc names met in the open in/out object
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
    if (line.find('\0') != std::string_view::npos || !json_nesting_within(line, kMaxEventNesting)) {
        // Refused before json::parse: a NUL (nlohmann would stop there), or nesting
        // no tree of which may exist (see kMaxEventNesting).
        d = decode_event(line);
        if (dom) *dom = json();
    } else if (dom) {
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

// simdjson's side: a parser kept from line to line (its buffers grow to the
// longest line and stay), a padded copy of the line (simdjson reads up to
// SIMDJSON_PADDING bytes past the end), and the strings handed to the handlers.
struct SimdLexer {
    // Past this, nlohmann lexes (rare: a call with a big buffer), so that the
    // parser's buffers stay small.
    static constexpr size_t kMaxLine = 256 * 1024;

    // The depth bounds the replay's recursion; without its buffers (no memory)
    // every line goes to nlohmann.
    SimdLexer() : ready(parser.allocate(4096, kMaxEventNesting + 2) == simdjson::SUCCESS) {}

    simdjson::dom::parser parser;
    bool ready;
    std::string padded, text, key;
    LineLexerCounts counts;
};

SimdLexer& simd_lexer() {
    thread_local SimdLexer lexer;  // the monitor reads lines on one thread; tests on others
    return lexer;
}

enum class Lexed : uint8_t {
    Done,      // the whole line went through the handler
    Stopped,   // the handler stopped it (or the lexer found it malformed)
    Declined,  // simdjson did not take it: nlohmann lexes it, for fresh handlers
};

// Replays a parsed value as the SAX events nlohmann's parser would give for its
// text (a non-negative integer is "unsigned" there). Depth is the parser's,
// at most kMaxEventNesting + 2.
template <class Handler>
Lexed replay(simdjson::dom::element e, Handler& h, SimdLexer& s) {
    using Type = simdjson::dom::element_type;
    auto step = [](bool go) { return go ? Lexed::Done : Lexed::Stopped; };
    constexpr std::size_t unknown_size = static_cast<std::size_t>(-1);  // as nlohmann's parser says it
    switch (e.type()) {
        case Type::OBJECT: {
            simdjson::dom::object object = e.get_object().value_unsafe();
            if (!h.start_object(unknown_size)) return Lexed::Stopped;
            for (simdjson::dom::key_value_pair member : object) {
                s.key.assign(member.key);
                if (!h.key(s.key)) return Lexed::Stopped;
                if (Lexed r = replay(member.value, h, s); r != Lexed::Done) return r;
            }
            return step(h.end_object());
        }
        case Type::ARRAY: {
            simdjson::dom::array array = e.get_array().value_unsafe();
            if (!h.start_array(unknown_size)) return Lexed::Stopped;
            for (simdjson::dom::element item : array)
                if (Lexed r = replay(item, h, s); r != Lexed::Done) return r;
            return step(h.end_array());
        }
        case Type::STRING: s.text.assign(e.get_string().value_unsafe()); return step(h.string(s.text));
        case Type::INT64: {
            int64_t n = e.get_int64().value_unsafe();
            return step(n < 0 ? h.number_integer(n) : h.number_unsigned(static_cast<uint64_t>(n)));
        }
        case Type::UINT64: return step(h.number_unsigned(e.get_uint64().value_unsafe()));
        case Type::DOUBLE: return Lexed::Declined;  // see the top of the file
        case Type::BOOL: return step(h.boolean(e.get_bool().value_unsafe()));
        case Type::NULL_VALUE: return step(h.null());
    }
    return Lexed::Declined;
}

template <class Handler>
Lexed lex_with_simdjson(std::string_view line, Handler& h) {
    if (line.size() > SimdLexer::kMaxLine) return Lexed::Declined;
    SimdLexer& s = simd_lexer();
    if (!s.ready) return Lexed::Declined;
    s.padded.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    s.padded.assign(line);
    simdjson::dom::element root;
    if (s.parser.parse(s.padded.data(), line.size(), /*realloc_if_needed=*/false).get(root)) return Lexed::Declined;
    return replay(root, h, s);
}

template <class Handler>
Lexed lex(std::string_view line, Handler& h, bool simd) {
    if (simd) return lex_with_simdjson(line, h);  // it refuses a NUL itself
    // nlohmann's lexer takes a NUL for the end of the input and would accept the
    // text before it; JSON never holds one: the reference says so.
    if (line.find('\0') != std::string_view::npos) return Lexed::Stopped;
    return json::sax_parse(line.begin(), line.end(), &h, json::input_format_t::json, /*strict=*/true) ? Lexed::Done
                                                                                                         : Lexed::Stopped;
}

// One pass of a lexer over the line, with handlers of its own; `declined` when
// simdjson left the line to nlohmann.
std::optional<EventErrorKind> read_with(std::string_view line, EventFacts& out, std::string* message,
                                        nlohmann::json* dom, bool simd, bool& declined) {
    out.clear();
    FactsSax sax(out);
    Lexed lexed;
    if (dom) {
        *dom = json();
        DomBuilder builder(*dom);
        FactsAndDom both{sax, builder};
        lexed = lex(line, both, simd);
    } else {
        lexed = lex(line, sax, simd);
    }
    declined = lexed == Lexed::Declined;
    if (declined) return std::nullopt;
    if (sax.too_deep) {
        if (dom) *dom = json();
        return reference(line, out, message, nullptr);  // says why, without building a tree
    }
    if (lexed != Lexed::Done || sax.fallback || !sax.complete()) return reference(line, out, message, dom);
    if (!sax.tid_seen()) out.h.tid = out.h.pid;
    if (out.type == EventType::Begin) {
        out.function = function_by_name(out.begin.fn);
    } else {
        out.function = function_by_name(out.call.fn);
        out.args.out_protocol = sax.active_protocol ? sax.active_protocol : sax.protocol;
        out.args.reader_states = sax.out_states_seen ? std::move(sax.out_states) : std::move(sax.in_states);
        std::sort(out.args.allocations.begin(), out.args.allocations.end());
    }
    return std::nullopt;
}

}  // namespace

std::optional<EventErrorKind> read_event_facts(std::string_view line, EventFacts& out, std::string* message,
                                              nlohmann::json* dom) {
    LineLexerCounts& counts = simd_lexer().counts;
    bool declined = false;
    std::optional<EventErrorKind> error = read_with(line, out, message, dom, /*simd=*/true, declined);
    if (!declined) {
        ++counts.simdjson;
        return error;
    }
    ++counts.nlohmann;
    return read_with(line, out, message, dom, /*simd=*/false, declined);
}

LineLexerCounts line_lexer_counts() { return simd_lexer().counts; }

}  // namespace pcscspy
