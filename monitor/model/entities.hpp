// What the session model knows about the traced world: processes with their
// threads, contexts, card handles and calls in flight; readers with their card.
// Plain data, read by the views; only SessionModel writes it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "monitor/model/call_stats.hpp"
#include "monitor/model/rate_window.hpp"
#include "monitor/model/seq_ledger.hpp"
#include "protocol/apdu_decoder.hpp"
#include "protocol/event.hpp"
#include "protocol/hex.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy {

// Event times (µs since the epoch) of what last happened, for activity lights.
struct Activity {
    int64_t last_begin_us = 0;    // a call started
    int64_t last_success_us = 0;  // a call returned successfully (its end time)
    int64_t last_error_us = 0;    // a call returned an error (its end time)
    int64_t last_card_us = 0;     // readers: a card was inserted or removed (seen by the reader watcher)
};

// A `begin` whose `call` has not arrived: what the program is waiting for.
struct InFlightCall {
    uint64_t seq = 0;
    std::string fn;
    int64_t tid = 0;
    int64_t since_us = 0;
    std::optional<int64_t> ctx, card;
};

struct ThreadInfo {
    uint64_t calls = 0;
    int64_t last_ts_us = 0;
    // A thread makes its calls one after another: each one's seq is above the
    // previous one's, its begin's and call's alike.
    uint64_t last_seq = 0;   // of its latest begin or call
    bool last_begun = false;  // that was a begin, whose call may carry the same seq
};

struct ContextInfo {
    uint64_t established_seq = 0;  // 0: seen in use, not established while traced
    bool released = false;
    uint64_t released_seq = 0;
};

struct TransactionInfo {
    uint64_t seq = 0;       // the SCardBeginTransaction
    int64_t since_us = 0;   // when it returned
};

struct CardInfo {
    int64_t context = 0;
    int reader = -1;  // index into SessionModel::readers(), -1 unknown
    uint64_t connected_seq = 0;
    int64_t protocol = 0;
    bool disconnected = false;
    uint64_t disconnected_seq = 0;
    std::optional<TransactionInfo> transaction;
    // The applet context of this handle (which application each channel selected).
    std::shared_ptr<ApduDecoder> decoder;
};

enum class ProcessState : uint8_t {
    Running,
    Exited,        // said bye
    Disconnected,  // its connection closed without bye (killed, crashed)
};

// A traced process: what its hello said (ppid, uid, exe, argv, via, ... as
// protocol/event_format.def lists them), and what its calls did.
struct ProcessInfo : HelloFields {
    // A serial, never reused (pids are): what calls, findings and views hold to
    // name the process; SessionModel::process_at(index) finds it, or nullptr
    // once it was folded into totals.
    size_t index = 0;
    int64_t pid = 0;
    bool hello_seen = false;
    ProcessState state = ProcessState::Running;
    int64_t start_us = 0;  // hello, else the first event
    int64_t last_us = 0;   // the latest event
    int64_t exit_us = 0;   // bye / disconnection
    uint64_t bye_calls = 0;
    uint64_t lost_events = 0;  // from lost events and bye's total
    // The monitor's own count, once the process ended: the calls of the span of
    // seq numbers it saw (up to bye.calls) that never arrived (see SeqLedger).
    uint64_t missing_calls = 0;
    SeqLedger seqs;
    // Lost calls: the process's own count and the monitor's are of the same
    // calls, one may miss some: the larger.
    uint64_t lost() const { return std::max(lost_events, missing_calls); }

    CallStats stats;
    uint64_t apdus = 0;
    Activity activity;
    RateWindow rate;
    std::map<int64_t, ThreadInfo> threads;
    std::map<uint64_t, InFlightCall> in_flight;  // by seq
    uint64_t last_seq = 0;

    std::unordered_map<int64_t, ContextInfo> contexts;
    std::unordered_map<int64_t, CardInfo> cards;
    std::unordered_set<int64_t> allocations;  // pointers returned as <buffer>_alloc, not yet freed

    // Entries dropped past the model's caps (threads, handles, begins,
    // allocations): the checker no longer takes the process's handles as complete.
    uint64_t folded_entries = 0;
    // The model's memory accounting (memory_estimate.hpp): heap held, and the
    // parts it keeps up to date itself.
    size_t heap_bytes = 0;
    size_t hello_bytes = 0;
    size_t in_flight_bytes = 0;
    size_t kept_bytes = 0;  // its kept hello/bye/lost lines
    size_t contexts_checked_at = 0, cards_checked_at = 0;  // sizes at the last cap check

    std::string exe_name() const;  // basename of exe, or argv[0], or "?"
};

// Status word classes (protocol/status_word.hpp), counted per reader.
inline constexpr size_t kSwClassCount = std::size(kSwClasses);

struct ReaderInfo {
    size_t index = 0;
    std::string name;
    // The row shared by reader names beyond SessionModel's cap (kOtherReaders):
    // statistics only, no card state.
    bool shared = false;
    // Known to pcscd now, as the monitor's own reader watcher sees it (unknown
    // without a watcher); false once the reader was unplugged or pcscd stopped.
    std::optional<bool> attached;
    std::optional<bool> card_present;  // unknown until an event tells
    Bytes atr;
    std::string card_name;  // from the ATR, when known
    int64_t event_state = 0;  // last dwEventState seen (SCardGetStatusChange)
    std::optional<uint16_t> last_sw;
    uint64_t apdus = 0;
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t sw_classes[kSwClassCount] = {};  // by SwClass
    std::vector<Feature> features;  // part 10 features (answer to CM_IOCTL_GET_FEATURE_REQUEST)
    CallStats stats;  // calls on this reader's handles
    Activity activity;
    std::optional<int64_t> transaction_pid;  // who holds a transaction now
    size_t transaction_process = 0;
    int64_t transaction_since_us = 0;
};

}  // namespace pcscspy
