#include "protocol/call_encoder.hpp"

#include <cstring>

#include <winscard.h>

#include "protocol/capture_limits.hpp"
#include "protocol/pcsc_names.hpp"

namespace pcscspy {

namespace {

// Room kept for what follows "in" (small out fields, result, notes, closing) and
// for what follows "out" (result, notes, closing). Each function has at most
// seven arguments, so the small fields fit many times over.
constexpr size_t kInReserve = 4096;
constexpr size_t kOutReserve = 1536;

constexpr std::string_view kAutoallocate = "SCARD_AUTOALLOCATE";

// The call event's fields (protocol/event_format.def), written here in two halves.
namespace keys = event_keys::call;

template <class T>
const T* as_ptr(uint64_t bits) {
    return reinterpret_cast<const T*>(static_cast<uintptr_t>(bits));
}

// Where the interposer may show APDU command data masked (PCSCSPY_REDACT=1).
struct ApduArg {
    PcscFunction fn;
    std::string_view name;
};
constexpr ApduArg kApduCommandArgs[] = {{PcscFunction::SCardTransmit, "pbSendBuffer"}};

bool is_apdu_command(PcscFunction fn, std::string_view name) {
    for (const ApduArg& a : kApduCommandArgs)
        if (a.fn == fn && a.name == name) return true;
    return false;
}

bool written_on(ArgKind kind, int64_t rv) {
    // Lengths also carry the needed size when the buffer was too small.
    const bool length_like = kind == ArgKind::LengthInOut || kind == ArgKind::BytesReturned;
    return rv == SCARD_S_SUCCESS || (length_like && rv == static_cast<int64_t>(SCARD_E_INSUFFICIENT_BUFFER));
}

}  // namespace

CallEncoder::CallEncoder(char* buffer, size_t capacity)
    : w_(buffer, capacity - 1), buf_(buffer), cap_(capacity - 1), reserve_(kInReserve) {}

size_t CallEncoder::room() const {
    size_t used = w_.size() + reserve_;
    return used >= cap_ ? 0 : cap_ - used;
}

void CallEncoder::note(Note kind, Phase phase, std::string_view name) {
    for (size_t i = 0; i < note_count_; ++i)
        if (notes_[i].kind == kind && notes_[i].phase == phase && notes_[i].name == name) return;
    if (note_count_ < kMaxNotes) notes_[note_count_++] = NoteEntry{kind, phase, name};
}

void CallEncoder::write_notes(Note kind, FieldKey<FieldKind::StringList> key) {
    bool any = false;
    for (size_t i = 0; i < note_count_; ++i) any |= notes_[i].kind == kind;
    if (!any) return;
    w_.key(key.name);
    w_.begin_array();
    for (size_t i = 0; i < note_count_; ++i) {
        if (notes_[i].kind != kind) continue;
        char text[64];
        std::string_view prefix = notes_[i].phase == Phase::In ? "in." : "out.";
        size_t n = 0;
        for (char c : prefix) text[n++] = c;
        for (char c : notes_[i].name)
            if (n < sizeof text) text[n++] = c;
        w_.string(text, n);
    }
    w_.end_array();
}

void CallEncoder::suffixed_key(std::string_view name, std::string_view suffix) {
    char text[64];
    size_t n = 0;
    for (char c : name)
        if (n < sizeof text) text[n++] = c;
    for (char c : suffix)
        if (n < sizeof text) text[n++] = c;
    w_.key(std::string_view(text, n));
}

void CallEncoder::pointer_value(uint64_t p) {
    if (p == 0) w_.null();
    else w_.unsigned_integer(p);
}

void CallEncoder::hex_value(std::string_view name, const uint8_t* p, size_t n) {
    size_t fit = room();
    if (JsonWriter::hex_bytes(n) + 1 > fit) {
        n = fit > 3 ? (fit - 3) / 2 : 0;
        note(Note::Truncated, phase_, name);
    }
    w_.hex(p, n);
}

bool CallEncoder::string_value(const char* s, size_t n) {
    size_t fit = room();
    if (JsonWriter::max_string_bytes(n) + 1 <= fit) {
        w_.string(s, n);
        return true;
    }
    // Escapes make the worst case six bytes per input byte: measure exactly by
    // writing into the free space first (the real write then overwrites it).
    if (fit > 1) {
        JsonWriter probe(buf_ + w_.size() + 1, fit - 1);
        probe.string(s, n);
        if (!probe.overflowed()) {
            w_.string(s, n);
            return true;
        }
    }
    size_t keep = fit > 3 ? (fit - 3) / 6 : 0;
    w_.string(s, keep < n ? keep : n);
    return false;
}

void CallEncoder::c_string_value(std::string_view name, const char* s) {
    if (s == nullptr) {
        w_.null();
        return;
    }
    size_t n = strnlen(s, kMaxStringRead);
    if (n == kMaxStringRead) note(Note::Clamped, phase_, name);
    if (!string_value(s, n)) note(Note::Truncated, phase_, name);
}

// A multi-string of at most n bytes: strings separated by NUL, ended by an empty
// one. A last string without its NUL is still shown (up to n).
void CallEncoder::multi_string_value(std::string_view name, const char* p, size_t n) {
    w_.begin_array();
    size_t i = 0;
    while (i < n) {
        const char* s = p + i;
        const void* nul = memchr(s, '\0', n - i);
        size_t len = nul ? static_cast<size_t>(static_cast<const char*>(nul) - s) : n - i;
        if (len == 0) break;
        if (!string_value(s, len)) {
            note(Note::Truncated, phase_, name);
            break;
        }
        i += len + 1;
    }
    w_.end_array();
}

void CallEncoder::io_request_value(const void* p) {
    if (p == nullptr) {
        w_.null();
        return;
    }
    const auto* io = static_cast<const SCARD_IO_REQUEST*>(p);
    w_.begin_object();
    w_.key("dwProtocol");
    w_.unsigned_integer(io->dwProtocol);
    w_.key("cbPciLength");
    w_.unsigned_integer(io->cbPciLength);
    w_.end_object();
}

void CallEncoder::reader_states_value(std::string_view name, const void* states, uint64_t count) {
    if (states == nullptr) {
        w_.null();
        return;
    }
    const auto* rs = static_cast<const SCARD_READERSTATE*>(states);
    size_t shown = count;
    if (count > kMaxReaderStates) {
        shown = 0;
        note(Note::Clamped, phase_, name);
    }
    w_.begin_array();
    for (size_t i = 0; i < shown; ++i) {
        // An entry's fixed fields take well under 256 bytes; its name is checked
        // on its own.
        if (room() < 256) {
            note(Note::Truncated, phase_, name);
            break;
        }
        w_.begin_object();
        w_.key("szReader");
        c_string_value(name, rs[i].szReader);
        w_.key("dwCurrentState");
        w_.unsigned_integer(rs[i].dwCurrentState);
        w_.key("dwEventState");
        w_.unsigned_integer(rs[i].dwEventState);
        w_.key("cbAtr");
        w_.unsigned_integer(rs[i].cbAtr);
        size_t atr = rs[i].cbAtr;
        if (atr > kAtrSize) {
            atr = kAtrSize;
            note(Note::Clamped, phase_, name);
        }
        w_.key("rgbAtr");
        hex_value(name, rs[i].rgbAtr, atr);
        w_.end_object();
    }
    w_.end_array();
}

void CallEncoder::header(const EventHeader& h, uint64_t seq, PcscFunction fn) {
    write_header(w_, h, EventType::Call);
    put(w_, keys::seq, seq);
    put(w_, keys::fn, function_name(fn));
}

void CallEncoder::context(int64_t hContext) { put(w_, keys::ctx, hContext); }

void CallEncoder::reader(const char* name, size_t n) {
    w_.key(keys::reader.name);
    string_value(name, n);
}

// An output pointer before the call: only a NULL one is worth saying (null);
// what it points to is written after the call.
void CallEncoder::null_if_absent(std::string_view name, uint64_t pointer) {
    if (pointer != 0) return;
    w_.key(name);
    w_.null();
}

// A length passed by pointer: its value before the call is the buffer's
// capacity, unless it asks the library to allocate the buffer.
void CallEncoder::length_in_out_value(const void* length, ArgCapture& capture) {
    const auto* p = static_cast<const DWORD*>(length);
    if (p == nullptr) {
        w_.null();
    } else if (*p == SCARD_AUTOALLOCATE) {
        capture.autoalloc = true;
        w_.string(kAutoallocate);
    } else {
        capture.before = *p;
        w_.unsigned_integer(*p);
    }
}

// A multi-string passed in: no length comes with it, it ends at the first empty string.
void CallEncoder::multi_string_in_value(std::string_view name, const char* p) {
    if (p == nullptr) {
        w_.null();
        return;
    }
    size_t n = 0;
    while (n + 1 < kMaxStringRead && !(p[n] == '\0' && (n == 0 || p[n - 1] == '\0'))) ++n;
    multi_string_value(name, p, n);
}

// A buffer passed in, within its real bounds; an APDU command masked when the
// policy says so (then <name>_redacted follows).
void CallEncoder::buffer_in_value(PcscFunction fn, std::string_view name, const uint8_t* p, uint64_t length,
                                  const RedactPolicy& redact) {
    if (p == nullptr) {
        w_.null();
        return;
    }
    size_t n = length;
    if (n > kMaxBufferRead) {
        n = 0;
        note(Note::Clamped, Phase::In, name);
    }
    if (redact.redact && is_apdu_command(fn, name) && redact.redact(p, n, redact.scratch)) {
        hex_value(name, redact.scratch, n);
        suffixed_key(name, "_redacted");
        w_.boolean(true);
        return;
    }
    hex_value(name, p, n);
}

void CallEncoder::in_arg(PcscFunction fn, const ArgSpec& a, size_t i, const uint64_t* values,
                         ArgCapture* captures, const RedactPolicy& redact) {
    const uint64_t v = values[i];
    switch (a.kind) {
        case ArgKind::Dword:
        case ArgKind::Length:
            w_.key(a.name);
            w_.unsigned_integer(v);
            return;
        case ArgKind::Context:
        case ArgKind::Card:
            w_.key(a.name);
            w_.integer(static_cast<int64_t>(v));
            return;
        case ArgKind::Reserved:
        case ArgKind::Memory:
            w_.key(a.name);
            pointer_value(v);
            return;
        case ArgKind::ContextOut:
        case ArgKind::CardOut:
        case ArgKind::DwordOut:
        case ArgKind::BytesReturned:
        case ArgKind::BufferOutCap:
            null_if_absent(a.name, v);
            return;
        case ArgKind::StringOut:
        case ArgKind::MultiStringOut:
        case ArgKind::BufferOut: {
            // Autoallocation is asked through the length that goes with the buffer.
            const auto* len = as_ptr<DWORD>(values[a.related]);
            captures[i].autoalloc = len != nullptr && *len == SCARD_AUTOALLOCATE;
            null_if_absent(a.name, v);
            return;
        }
        case ArgKind::LengthInOut:
            w_.key(a.name);
            length_in_out_value(as_ptr<DWORD>(v), captures[i]);
            return;
        case ArgKind::String:
            w_.key(a.name);
            c_string_value(a.name, as_ptr<char>(v));
            return;
        case ArgKind::MultiStringIn:
            w_.key(a.name);
            multi_string_in_value(a.name, as_ptr<char>(v));
            return;
        case ArgKind::BufferIn:
            w_.key(a.name);
            buffer_in_value(fn, a.name, as_ptr<uint8_t>(v), values[a.related], redact);
            return;
        case ArgKind::IoRequest:
        case ArgKind::IoRequestOut:
            w_.key(a.name);
            io_request_value(as_ptr<void>(v));
            return;
        case ArgKind::ReaderStates:
            w_.key(a.name);
            reader_states_value(a.name, as_ptr<void>(v), values[a.related]);
            return;
    }
}

void CallEncoder::in(PcscFunction fn, const uint64_t* values, ArgCapture* captures, const RedactPolicy& redact) {
    phase_ = Phase::In;
    reserve_ = kInReserve;
    w_.key(keys::in.name);
    w_.begin_object();
    std::span<const ArgSpec> args = function_args(fn);
    for (size_t i = 0; i < args.size(); ++i) in_arg(fn, args[i], i, values, captures, redact);
    w_.end_object();
}

// Data returned in a StringOut, MultiStringOut or BufferOut argument: in the
// caller's buffer (at most the capacity it passed) or, autoallocated, in memory
// the library allocated (whose address is also shown as <name>_alloc).
void CallEncoder::out_buffer(const ArgSpec& a, size_t i, const uint64_t* values, const ArgCapture* captures) {
    const auto* len = as_ptr<DWORD>(values[a.related]);
    if (values[i] == 0 || len == nullptr) return;
    size_t n = *len;
    const uint8_t* data;
    size_t capacity = kMaxBufferRead;
    if (captures[i].autoalloc) {
        data = *as_ptr<const uint8_t*>(values[i]);
        suffixed_key(a.name, "_alloc");
        pointer_value(reinterpret_cast<uintptr_t>(data));
        if (data != nullptr && captures[i].alloc_copy != nullptr) data = captures[i].alloc_copy;
    } else {
        data = as_ptr<uint8_t>(values[i]);
        if (captures[a.related].before < capacity) capacity = captures[a.related].before;
    }
    if (data == nullptr) return;
    if (n > capacity) {
        n = capacity;
        note(Note::Clamped, Phase::Out, a.name);
    }
    w_.key(a.name);
    if (a.kind == ArgKind::BufferOut) {
        hex_value(a.name, data, n);
    } else if (a.kind == ArgKind::MultiStringOut) {
        multi_string_value(a.name, reinterpret_cast<const char*>(data), n);
    } else {
        // A string's length counts its NUL; show the text before the first NUL.
        const char* s = reinterpret_cast<const char*>(data);
        const void* nul = memchr(s, '\0', n);
        size_t shown = nul ? static_cast<size_t>(static_cast<const char*>(nul) - s) : n;
        if (!string_value(s, shown)) note(Note::Truncated, Phase::Out, a.name);
    }
}

void CallEncoder::out_arg(const ArgSpec& a, size_t i, const uint64_t* values, const ArgCapture* captures,
                          int64_t rv) {
    const uint64_t v = values[i];
    switch (a.kind) {
        case ArgKind::Dword:
        case ArgKind::Length:
        case ArgKind::Context:
        case ArgKind::Card:
        case ArgKind::Reserved:
        case ArgKind::Memory:
        case ArgKind::String:
        case ArgKind::MultiStringIn:
        case ArgKind::BufferIn:
        case ArgKind::IoRequest:
            return;  // inputs only
        case ArgKind::ContextOut:
        case ArgKind::CardOut:
            if (v != 0 && written_on(a.kind, rv)) {
                w_.key(a.name);
                w_.integer(*as_ptr<LONG>(v));
            }
            return;
        case ArgKind::DwordOut:
        case ArgKind::LengthInOut:
        case ArgKind::BytesReturned:
            if (v != 0 && written_on(a.kind, rv)) {
                w_.key(a.name);
                w_.unsigned_integer(*as_ptr<DWORD>(v));
            }
            return;
        case ArgKind::StringOut:
        case ArgKind::MultiStringOut:
        case ArgKind::BufferOut:
            if (rv == SCARD_S_SUCCESS) out_buffer(a, i, values, captures);
            return;
        case ArgKind::BufferOutCap: {
            const auto* returned = as_ptr<DWORD>(values[a.returned]);
            if (rv != SCARD_S_SUCCESS || v == 0 || returned == nullptr) return;
            size_t n = *returned;
            size_t capacity = values[a.related] < kMaxBufferRead ? values[a.related] : kMaxBufferRead;
            if (n > capacity) {
                n = capacity;
                note(Note::Clamped, Phase::Out, a.name);
            }
            w_.key(a.name);
            hex_value(a.name, as_ptr<uint8_t>(v), n);
            return;
        }
        case ArgKind::IoRequestOut:
            if (v != 0 && rv == SCARD_S_SUCCESS) {
                w_.key(a.name);
                io_request_value(as_ptr<void>(v));
            }
            return;
        case ArgKind::ReaderStates:
            // In/out array: shown whatever the result (timeouts update it too).
            if (v != 0) {
                w_.key(a.name);
                reader_states_value(a.name, as_ptr<void>(v), values[a.related]);
            }
            return;
    }
}

void CallEncoder::out(PcscFunction fn, const uint64_t* values, const ArgCapture* captures, int64_t rv) {
    phase_ = Phase::Out;
    reserve_ = kOutReserve;
    std::span<const ArgSpec> args = function_args(fn);
    w_.key(keys::out.name);
    w_.begin_object();
    for (size_t i = 0; i < args.size(); ++i) out_arg(args[i], i, values, captures, rv);
    w_.end_object();
}

std::string_view return_code_name(int64_t rv, char (&buf)[kReturnCodeNameBytes]) {
    if (const Named* n = find_return_code(rv)) return n->name;
    static constexpr char kHex[] = "0123456789ABCDEF";
    buf[0] = '0';
    buf[1] = 'x';
    auto u = static_cast<uint32_t>(rv);
    for (int d = 0; d < 8; ++d) buf[2 + d] = kHex[(u >> (28 - 4 * d)) & 0xF];
    return std::string_view(buf, kReturnCodeNameBytes);
}

void CallEncoder::unreadable(std::string_view name, bool after_call) {
    note(Note::Unreadable, after_call ? Phase::Out : Phase::In, name);
}

size_t CallEncoder::finish(int64_t dur_ns, int64_t rv) {
    char rv_name[kReturnCodeNameBytes];
    put(w_, keys::dur_ns, dur_ns);
    put(w_, keys::rv, rv);
    put(w_, keys::rv_name, return_code_name(rv, rv_name));
    write_notes(Note::Truncated, keys::truncated);
    write_notes(Note::Clamped, keys::clamped);
    write_notes(Note::Unreadable, keys::unreadable);
    w_.end_object();
    if (w_.overflowed() || w_.size() >= cap_ + 1) return 0;
    buf_[w_.size()] = '\n';
    return w_.size() + 1;
}

}  // namespace pcscspy
