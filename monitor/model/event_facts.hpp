// What the session model needs from one event line, flat and reusable: the
// header, the event's own fields (protocol/event_format.def), the PC/SC
// function a begin or call names (resolved once, here), and of a call's in and
// out objects only the few arguments that change the model's state (handles,
// reader names, APDU buffers, reader states, ATRs, autoallocated pointers).
// Everything else stays in the raw line, re-parsed on demand for display.
//
// Two readers fill it and must agree (tests/monitor/test_event_facts.cpp):
// facts_from_event (from protocol's decode_event, the reference) and
// read_event_facts (fast path for the live stream, see fast_event_reader.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/event.hpp"
#include "protocol/pcsc_functions.hpp"

namespace pcscspy {

struct ReaderStateFacts {
    std::string reader;
    int64_t current_state = 0;
    std::optional<int64_t> event_state;
    std::string atr_hex;

    bool operator==(const ReaderStateFacts&) const = default;
};

// Arguments of a call the model acts on. Values of the wrong JSON type are
// treated as absent (the line is still a valid event; the model just learns less).
struct CallArgumentFacts {
    // in
    std::optional<int64_t> hContext, hCard, dwTimeout, dwControlCode, dwDisposition, pvMem, dwShareMode;
    std::optional<std::string> szReader;
    std::optional<std::string> send_hex;  // pbSendBuffer
    // out
    std::optional<int64_t> out_context;   // phContext
    std::optional<int64_t> out_card;      // phCard
    std::optional<int64_t> out_protocol;  // pdwActiveProtocol / pdwProtocol
    std::optional<int64_t> out_state;     // pdwState
    std::optional<std::string> recv_hex;  // pbRecvBuffer
    std::optional<std::string> atr_hex;   // pbAtr
    std::optional<std::string> reader_name_out;  // szReaderName
    std::vector<std::string> readers_listed;     // mszReaders
    std::vector<int64_t> allocations;            // out "<buffer>_alloc" pointers
    std::vector<ReaderStateFacts> reader_states; // rgReaderStates (out if present, else in)

    void clear();
    bool operator==(const CallArgumentFacts&) const = default;
};

struct EventFacts {
    EventType type = EventType::Call;
    EventHeader h;
    // The part of the event's type; the others keep their defaults.
    HelloFields hello;
    BeginFields begin;
    CallFields call;  // its in and out stay empty objects: what the model needs of them is in `args`
    ByeFields bye;
    LostFields lost;
    CallArgumentFacts args;                // call
    std::optional<PcscFunction> function;  // begin, call: fn, when it is one of the traced functions

    // Back to an empty call, keeping the capacity of what the last line filled.
    void clear();
    bool operator==(const EventFacts&) const = default;
};

// The reference: facts of an event decoded by protocol's decode_event.
void facts_from_event(const Event& event, EventFacts& out);

// Reads one line into `out`. Returns nullopt on success, else the error kind that
// decode_event gives for the same line (and `message` its message).
// With `dom`, it also receives what a view prints of the event: an object with
// the line's in, out and rv_name members, built in the same pass (discarded or
// partial only when the line is not an event).
std::optional<EventErrorKind> read_event_facts(std::string_view line, EventFacts& out, std::string* message = nullptr,
                                              nlohmann::json* dom = nullptr);

// Lines read_event_facts has lexed on the calling thread, by lexer: simdjson
// first, nlohmann for what simdjson left to it (see fast_event_reader.cpp).
struct LineLexerCounts {
    uint64_t simdjson = 0;
    uint64_t nlohmann = 0;
};
LineLexerCounts line_lexer_counts();

}  // namespace pcscspy
