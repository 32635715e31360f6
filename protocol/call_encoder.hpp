// Encodes one `call` event into a caller-owned buffer, in two halves: the header
// and "in" before the real call (the program may reuse its send buffer for the
// answer, and lengths are in/out), then "out", the result and the timing after it.
//
// Every value is read within the bounds its arguments allow (see capture_limits.hpp) and
// every potentially large value is checked against the room left: what does not
// fit is written as a prefix and named in "truncated"; lengths that claim more
// than a buffer can hold are clamped and named in "clamped". Allocation-free,
// without exceptions: the interposer compiles it in (see interposer/CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/arg_spec.hpp"
#include "protocol/event_format.hpp"
#include "protocol/event_header.hpp"
#include "protocol/json_writer.hpp"

namespace pcscspy {

// What the "in" half remembers for the "out" half, per argument.
struct ArgCapture {
    uint64_t before = 0;     // LengthInOut: *p before the call (a buffer's capacity)
    bool autoalloc = false;  // LengthInOut and its buffer: SCARD_AUTOALLOCATE was passed
    // A producer that encodes outside the traced process (the eBPF source) has
    // the autoallocated data as a copy: out() reads it there and still shows the
    // program's own pointer (read through the argument) as <name>_alloc.
    const uint8_t* alloc_copy = nullptr;
};

// rv's name (SCARD_E_TIMEOUT, ...), or when unknown its hex text (0x8010002E),
// written into `buf`.
inline constexpr size_t kReturnCodeNameBytes = 10;
std::string_view return_code_name(int64_t rv, char (&buf)[kReturnCodeNameBytes]);

// Masks secret-bearing bytes of a command APDU: writes the bytes to show into
// `out` (same length) and returns true when anything was masked.
using RedactFn = bool (*)(const uint8_t* apdu, size_t n, uint8_t* out);

struct RedactPolicy {
    RedactFn redact = nullptr;   // nullptr: no redaction
    uint8_t* scratch = nullptr;  // kScratchBytes for the masked copy
};

class CallEncoder {
public:
    // `capacity` includes the final newline.
    CallEncoder(char* buffer, size_t capacity);

    // Before the real call.
    void header(const EventHeader& h, uint64_t seq, PcscFunction fn);
    void context(int64_t hContext);
    void reader(const char* name, size_t n);
    void in(PcscFunction fn, const uint64_t* values, ArgCapture* captures, const RedactPolicy& redact);

    // After it.
    void out(PcscFunction fn, const uint64_t* values, const ArgCapture* captures, int64_t rv);
    // An argument whose memory could not be read (by a producer outside the
    // traced process): listed in "unreadable", as in.NAME or out.NAME.
    void unreadable(std::string_view name, bool after_call);
    // Closes the event and returns its length including '\n' (0 if it could not
    // be completed, which the size reserves make impossible in practice).
    size_t finish(int64_t dur_ns, int64_t rv);

private:
    enum class Note : uint8_t { Truncated, Clamped, Unreadable };
    enum class Phase : uint8_t { In, Out };

    size_t room() const;
    void note(Note kind, Phase phase, std::string_view name);
    void write_notes(Note kind, FieldKey<FieldKind::StringList> key);

    void hex_value(std::string_view name, const uint8_t* p, size_t n);
    bool string_value(const char* s, size_t n);
    void c_string_value(std::string_view name, const char* s);
    void multi_string_value(std::string_view name, const char* p, size_t n);
    void io_request_value(const void* p);
    void reader_states_value(std::string_view name, const void* states, uint64_t count);
    void pointer_value(uint64_t p);
    void suffixed_key(std::string_view name, std::string_view suffix);

    void null_if_absent(std::string_view name, uint64_t pointer);
    void length_in_out_value(const void* length, ArgCapture& capture);  // a DWORD*
    void multi_string_in_value(std::string_view name, const char* p);
    void buffer_in_value(PcscFunction fn, std::string_view name, const uint8_t* p, uint64_t length,
                         const RedactPolicy& redact);
    void in_arg(PcscFunction fn, const ArgSpec& a, size_t i, const uint64_t* values, ArgCapture* captures,
                const RedactPolicy& redact);
    void out_arg(const ArgSpec& a, size_t i, const uint64_t* values, const ArgCapture* captures, int64_t rv);
    void out_buffer(const ArgSpec& a, size_t i, const uint64_t* values, const ArgCapture* captures);

    static constexpr size_t kMaxNotes = 8;
    struct NoteEntry {
        Note kind;
        Phase phase;
        std::string_view name;
    };

    JsonWriter w_;
    char* buf_;
    size_t cap_;
    size_t reserve_;  // kept free for the fields still to come
    Phase phase_ = Phase::In;
    NoteEntry notes_[kMaxNotes];
    size_t note_count_ = 0;
};

}  // namespace pcscspy
