// What the session model needs from one event line, flat and reusable: the
// header, the call's identity and result, and the few arguments that change the
// model's state (handles, reader names, APDU buffers, reader states, ATRs,
// autoallocated pointers). Everything else stays in the raw line, re-parsed on
// demand for display.
//
// Two readers fill it and must agree (tests/monitor/test_event_facts.cpp):
// facts_from_event (from protocol's decode_event, the reference) and
// read_event_facts (fast path for the live stream, see fast_event_reader.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/event.hpp"

namespace pcscspy {

enum class EventType : uint8_t { Hello, Begin, Call, Bye, Lost };

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
    // begin / call
    uint64_t seq = 0;
    std::string fn;
    std::optional<int64_t> ctx;   // top-level ctx (begin, call)
    std::optional<int64_t> card;  // top-level card (begin)
    // call
    int64_t dur_ns = 0;
    int64_t rv = 0;
    std::optional<std::string> reader;
    CallArgumentFacts args;
    // hello
    int64_t ppid = 0;
    int64_t uid = -1;
    std::string exe, via, backend, spy;
    std::vector<std::string> argv;
    // bye (calls, lost) / lost (count in `lost`)
    uint64_t calls = 0;
    uint64_t lost = 0;

    void clear();
    bool operator==(const EventFacts&) const;
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

}  // namespace pcscspy
