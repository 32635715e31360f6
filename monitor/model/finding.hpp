// One finding of the correctness checker: which process, which call, what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/xlat.hpp"

namespace pcscspy {

enum class FindingKind : uint8_t {
    ContextNotReleased,
    CardNotDisconnected,
    TransactionLeftOpen,
    EndWithoutBegin,
    ReleasedHandle,
    UnknownHandle,
    FreeNotAllocated,
    BusyPolling,
    LongTransaction,
    ErrorBurst,
};

// Short names (used in reports and dumps) and what each kind means.
inline constexpr Named kFindingKinds[] = {
    {static_cast<uint64_t>(FindingKind::ContextNotReleased), "context-not-released", "a context was never released"},
    {static_cast<uint64_t>(FindingKind::CardNotDisconnected), "card-not-disconnected", "a card handle was never disconnected"},
    {static_cast<uint64_t>(FindingKind::TransactionLeftOpen), "transaction-left-open", "a transaction was never ended"},
    {static_cast<uint64_t>(FindingKind::EndWithoutBegin), "end-without-begin", "SCardEndTransaction without a transaction"},
    {static_cast<uint64_t>(FindingKind::ReleasedHandle), "released-handle", "a call on a released or disconnected handle"},
    {static_cast<uint64_t>(FindingKind::UnknownHandle), "unknown-handle", "a call on a handle the process never obtained"},
    {static_cast<uint64_t>(FindingKind::FreeNotAllocated), "free-not-allocated", "SCardFreeMemory on memory the library did not allocate"},
    {static_cast<uint64_t>(FindingKind::BusyPolling), "busy-polling", "SCardGetStatusChange polled with timeout 0 in a tight loop"},
    {static_cast<uint64_t>(FindingKind::LongTransaction), "long-transaction", "a transaction held for a long time"},
    {static_cast<uint64_t>(FindingKind::ErrorBurst), "error-burst", "many failing calls in a short time"},
};

inline std::string_view finding_kind_name(FindingKind k) {
    const Named* n = find_value(kFindingKinds, static_cast<uint64_t>(k));
    return n ? n->name : "?";
}

struct Finding {
    FindingKind kind;
    size_t process = 0;  // index into SessionModel::processes()
    int64_t pid = 0;
    uint64_t seq = 0;    // the call the finding is about (0: none)
    int64_t ts_us = 0;
    std::string explanation;  // one line, plain text (may hold names from the stream: sanitise to print)
    bool operator==(const Finding&) const = default;
};

}  // namespace pcscspy
