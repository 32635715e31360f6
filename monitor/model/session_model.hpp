// SessionModel: everything pcscspy-top knows about a tracing session, fed one
// event line at a time (live socket, recording or dump) and read by the views.
// It knows nothing of screens or terminals.
//
// - processes (pid, exe, argv, via, state, threads, calls in flight, counters,
//   activity times, rate), their contexts and card handles;
// - readers (card present, ATR and card name, last SW, APDU and byte counts, SW
//   classes, who holds a transaction), learnt from SCardGetStatusChange,
//   SCardStatus, SCardConnect and card errors;
// - the calls, joined begin/call by pid+seq: a bounded history of compact
//   records with their raw lines (--history), while the statistics per function,
//   reader and process stay exact for the whole session;
// - the correctness checker's findings; counters of bad lines and lost events;
// - a memory budget (ModelOptions::memory_budget, estimated: memory_estimate.hpp):
//   past it, the oldest exited processes are folded into totals (folded());
//   readers, threads, handles, calls in flight and allocations have caps of
//   their own. Every statistic stays exact, and every fold is counted;
// - a generation number that changes whenever anything does (views redraw only
//   when it moved).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "monitor/model/call_record.hpp"
#include "monitor/model/call_stats.hpp"
#include "monitor/model/correctness_checker.hpp"
#include "monitor/model/entities.hpp"
#include "monitor/model/event_facts.hpp"
#include "monitor/model/finding.hpp"
#include "monitor/model/reader_report.hpp"

namespace pcscspy {

inline constexpr size_t kDefaultHistory = 100'000;
// The raw lines of the kept calls are bounded in bytes too: 100,000 calls of
// 1 MiB lines would otherwise keep 100 GB. The oldest go first, whichever bound
// is reached (the newest call is always kept).
inline constexpr size_t kDefaultHistoryBytes = 256u << 20;
inline constexpr size_t kEventErrorKinds = 8;  // EventErrorKind values

// All the model may hold, history included (an estimate, see memory_estimate.hpp).
// The history takes at most half of it (and at most history_bytes); past the
// budget, exited processes are folded into totals, oldest exit first, down to
// 90 % of it. A running process is never folded.
inline constexpr size_t kDefaultMemoryBudget = 512u << 20;
inline constexpr size_t kMinMemoryBudget = 1u << 20;  // below, the fixed parts alone would pass it
// Bounds on what one peer can make the model keep, whatever the budget. Beyond
// them the oldest go (counted in FoldedTotals; statistics stay exact):
inline constexpr size_t kMaxReaders = 256;                // distinct reader names, then one shared row
inline constexpr std::string_view kOtherReaders = "(other readers)";
inline constexpr size_t kMaxThreadsPerProcess = 1024;     // least recently active go first
inline constexpr size_t kMaxClosedHandlesPerProcess = 256;  // released contexts, disconnected cards (each)
inline constexpr size_t kMaxHandlesPerProcess = 4096;     // open ones too (a real program has a few)
inline constexpr size_t kMaxInFlightPerProcess = 1024;    // begins without call: the oldest count as unmatched
inline constexpr size_t kMaxAllocationsPerProcess = 4096; // autoallocated buffers not yet freed
inline constexpr size_t kMaxOrphanLines = 256;            // kept bye lines of pids never seen

class CardList;

struct ModelOptions {
    size_t history = kDefaultHistory;  // calls kept (0: none, statistics only)
    size_t history_bytes = kDefaultHistoryBytes;  // bytes the kept calls may take (at most half the budget)
    size_t memory_budget = kDefaultMemoryBudget;  // all the model holds (estimate)
    CheckerThresholds checker;
    // pcsc-tools' list of ATRs, to name the cards in the readers (none: no names).
    std::shared_ptr<const CardList> card_list;
};

struct ModelCounters {
    uint64_t lines = 0;      // lines offered (good and bad)
    uint64_t events = 0;     // lines that were events
    uint64_t calls = 0;
    uint64_t begins = 0;
    uint64_t bad_lines = 0;  // lines that were not events (all kinds below)
    uint64_t bad_by_kind[kEventErrorKinds] = {};
    uint64_t lost_events = 0;        // reported by the interposers (lost + bye)
    // Lost calls the monitor's own count found beyond what the processes
    // reported: the sum over processes of lost() - lost_events.
    uint64_t lost_missing = 0;
    // Begins and calls whose seq went backwards in their thread, or repeated a
    // call's already seen in their process (still applied, counted here).
    uint64_t seq_disorder = 0;
    uint64_t unknown_functions = 0;  // calls whose fn is not one of the 18
    uint64_t evicted_calls = 0;      // dropped from the history (still in the statistics)
    uint64_t unmatched_begins = 0;   // begins still waiting when their process ended
    uint64_t orphan_byes = 0;        // byes for a pid never seen (no process made up for them)
    uint64_t processes_exited = 0;        // processes that said bye
    uint64_t processes_disconnected = 0;  // processes whose connection closed without bye (or exec'd)

    // Every lost call: reported, and found missing by the monitor.
    uint64_t lost() const { return lost_events > UINT64_MAX - lost_missing ? UINT64_MAX : lost_events + lost_missing; }
};

// What the budget and the caps folded away. The statistics per function, reader
// and the counters above include all of it; these say what no longer has a row.
struct FoldedTotals {
    // Exited processes removed from processes() with everything they held.
    uint64_t processes = 0;
    uint64_t exited = 0, disconnected = 0;
    CallStats stats;  // their calls
    uint64_t apdus = 0;
    uint64_t lost_events = 0;  // ProcessInfo::lost(): reported, or found missing by the monitor
    // Entries beyond the caps above (within processes still listed, or not).
    uint64_t threads = 0;
    uint64_t contexts = 0;
    uint64_t cards = 0;
    uint64_t allocations = 0;
    uint64_t begins = 0;        // also counted in unmatched_begins
    uint64_t reader_names = 0;  // events that named a reader beyond kMaxReaders (shared row)
    uint64_t lines = 0;         // orphan bye lines not kept for dumps
    uint64_t entries() const { return threads + contexts + cards + allocations + begins + reader_names + lines; }
    bool operator==(const FoldedTotals&) const = default;
};

// What one line did to the model.
struct IngestResult {
    std::optional<EventErrorKind> error;  // the line was not an event
    std::optional<EventType> type;
    const CallRecord* call = nullptr;     // the call it added (valid until the next ingest)
    int64_t pid = 0;                      // the event's pid
    size_t process = SIZE_MAX;            // ProcessInfo::index of the process it applied to
    bool ok() const { return !error; }
};

class SessionModel {
public:
    explicit SessionModel(ModelOptions options = {});

    // ---- input
    // Reads one line (without '\n') and applies it; the line is kept as the call's raw text.
    // With `event`, it also receives the JSON of the event's in, out and rv_name
    // members (what a view prints), parsed in the same pass.
    // connection_pid (not 0): the line came on the connection of that process,
    // which speaks for no other: an event of another pid is a bad line
    // (EventErrorKind::OtherProcess), so that one peer cannot make processes
    // that never end.
    IngestResult ingest_line(std::string_view line, nlohmann::json* event = nullptr, int64_t connection_pid = 0);
    // Applies an event already read (raw: its line, kept for calls and dumps).
    IngestResult apply(const EventFacts& facts, std::string_view raw);
    // A line that could not be read as an event (counted).
    void count_bad_line(EventErrorKind kind);
    // A traced process's connection closed. `process` is the IngestResult::process
    // (ProcessInfo::index; nothing happens when that process was folded)
    // of its events: after an exec the same pid has a new connection and a new
    // process, and the old connection closing must not end the new one.
    void connection_closed(size_t process, int64_t ts_us);
    // End of the session: the checker reports what running processes left open.
    void finish();
    // What the monitor's own reader watcher sees (not a traced call: no call,
    // no event count): readers appear (and show as gone once pcscd no longer
    // lists them), cards come and go with their ATR and name.
    void apply_reader_report(const ReaderReport& report);

    // ---- state
    uint64_t generation() const { return generation_; }
    const ModelCounters& counters() const { return counters_; }
    const ModelOptions& options() const { return options_; }
    int64_t first_ts_us() const { return first_ts_us_; }
    int64_t latest_ts_us() const { return latest_ts_us_; }

    // The processes not folded, by ProcessInfo::index (a serial: never reused).
    const std::vector<ProcessInfo>& processes() const { return processes_; }
    // The process with that index; nullptr when folded (or never seen).
    const ProcessInfo* process_at(size_t index) const;
    const ProcessInfo* process_by_pid(int64_t pid) const;  // the latest process with that pid
    // What was folded away (processes past the budget, entries past the caps).
    const FoldedTotals& folded() const { return folded_; }
    // The model's memory, estimated (memory_estimate.hpp), and what it may take.
    size_t memory_bytes() const;
    size_t memory_budget() const { return options_.memory_budget; }
    // The bytes the history may take: history_bytes, and at most half the budget.
    size_t history_bytes_bound() const { return std::min(options_.history_bytes, options_.memory_budget / 2); }
    const std::vector<ReaderInfo>& readers() const { return readers_; }
    const ReaderInfo* reader_by_name(std::string_view name) const;
    // Whether pcscd answers the reader watcher (NotWatched without one).
    const ReaderServiceInfo& reader_service() const { return reader_service_; }

    // Per function, exact for the whole session.
    const FunctionStatsTable& function_stats() const { return function_stats_; }
    std::string_view function_name(const CallRecord& c) const { return function_stats_.rows()[c.fn].name; }
    // The traced function a call was, nullopt for a name that is not one of them.
    static std::optional<PcscFunction> function(const CallRecord& c) {
        return c.fn < kFunctionCount ? std::optional(static_cast<PcscFunction>(c.fn)) : std::nullopt;
    }

    // The kept calls, oldest first; ordinals are 1-based and never reused, so a
    // selection survives eviction (call_at returns nullptr once it is gone).
    const std::deque<CallRecord>& calls() const { return calls_; }
    const CallRecord* call_at(uint64_t ordinal) const;
    uint64_t first_kept_ordinal() const { return calls_.empty() ? counters_.calls + 1 : calls_.front().ordinal; }

    // Labels of applets selected on card handles (CallRecord::applet indexes them; 0 = none).
    const std::vector<std::string>& applet_names() const { return applet_names_; }

    const std::vector<Finding>& findings() const { return checker_.findings(); }
    uint64_t findings_dropped() const { return checker_.findings_dropped(); }  // past kMaxFindings

    // The full decoding of a transmit, for detail views and the text mode: the
    // call just applied is known as it was decoded (also with history 0); an
    // older kept one is decoded again from the kept exchanges of its handle, so
    // its applet context is exact as long as its SELECT is still in the history.
    std::optional<DecodedExchange> decode_exchange(uint64_t ordinal) const;

    // Calls per second of a process (ProcessInfo::index) over the last seconds of event time.
    double call_rate(size_t process, int64_t now_us) const;
    // Calls in flight in all processes (begin without call), oldest first.
    std::vector<const InFlightCall*> in_flight() const;

    // hello/bye/lost lines (few), in arrival order with their position among all
    // events, so that a dump can interleave them with the kept calls.
    struct KeptEvent {
        uint64_t position;
        std::string raw;
        size_t process = SIZE_MAX;  // ProcessInfo::index (folded with it), SIZE_MAX: none
    };
    const std::vector<KeptEvent>& kept_events() const { return kept_events_; }

    // Whether a call's result counts as an error: any rv but SCARD_S_SUCCESS,
    // except SCARD_E_TIMEOUT and SCARD_E_CANCELLED of a function that waits for
    // a change (SCardGetStatusChange: the expected "nothing changed" and
    // "cancelled by SCardCancel" answers).
    static bool is_error(std::optional<PcscFunction> fn, int64_t rv);
    static bool is_error(std::string_view fn, int64_t rv);

    // ---- restoring a session document (statistics exact beyond its kept events)
    void restore_function_stats(FunctionStatsTable table);
    void restore_findings(std::vector<Finding> findings, std::set<size_t> ended_processes);
    const std::set<size_t>& checked_processes() const { return checker_.ended_processes(); }
    void restore_counters(const ModelCounters& c);
    ProcessInfo* mutable_process(size_t index) { return const_cast<ProcessInfo*>(process_at(index)); }
    void restore_folded(const FoldedTotals& f);
    void restore_findings_dropped(uint64_t n) { checker_.restore_dropped(n); }
    // Removes replayed processes a document no longer listed (folded in the
    // session it was written from: its folded totals already count them).
    void drop_processes(const std::vector<size_t>& indexes);
    ReaderInfo* mutable_reader(size_t index) { return index < readers_.size() ? &readers_[index] : nullptr; }
    void touch() { ++generation_; }

private:
    ProcessInfo& process_for(int64_t pid, int64_t ts_us);
    std::string card_name_of(ByteView atr) const;
    int reader_index(std::string_view name);
    uint16_t applet_index(std::string_view label);
    void apply_hello(const EventFacts& f, std::string_view raw);
    void apply_begin(const EventFacts& f);
    const CallRecord* apply_call(const EventFacts& f, std::string_view raw);
    void apply_bye(const EventFacts& f, std::string_view raw);
    void apply_lost(const EventFacts& f, std::string_view raw);
    int call_reader(const ProcessInfo& p, const EventFacts& f);
    const CallRecord* keep_call(CallRecord rec, std::string_view raw);
    void update_handles(ProcessInfo& p, const EventFacts& f, bool ok, int reader);
    void update_card_handle(ProcessInfo& p, const EventFacts& f, bool ok, int reader);
    void update_readers(ProcessInfo& p, const EventFacts& f, bool ok, int reader, CallRecord& rec);
    void card_gone(int reader);
    void card_present(int reader, std::string_view atr_hex);
    void apply_transmit(ProcessInfo& p, const EventFacts& f, bool ok, int reader, CallRecord& rec);
    static void record_apdu(const CallArgumentFacts& a, bool ok, CallRecord& rec);
    void apply_control(const EventFacts& f, bool ok, int reader, CallRecord& rec);
    void apply_reader_states(const std::vector<ReaderStateFacts>& states);
    void apply_status(const CallArgumentFacts& a, bool ok, int reader);
    void end_process(ProcessInfo& p, ProcessState state, int64_t ts_us);
    void recount_lost(ProcessInfo& p, uint64_t beyond_before);
    ProcessInfo* find_process(size_t index);
    void keep_event(std::string_view raw, size_t process);
    // Memory accounting: a process's heap estimate brought up to date.
    void refresh_bytes(ProcessInfo& p);
    size_t history_bytes_of(const CallRecord& c) const;
    // Caps within a process (the oldest entries beyond them go, counted).
    void cap_threads(ProcessInfo& p);
    void cap_handles(ProcessInfo& p);
    void cap_in_flight(ProcessInfo& p);
    void cap_allocations(ProcessInfo& p);
    // Past the budget: exited processes folded into folded_, oldest exit first.
    void enforce_budget();
    void fold_processes(const std::vector<size_t>& positions, bool count);

    ModelOptions options_;
    uint64_t generation_ = 0;
    ModelCounters counters_;
    int64_t first_ts_us_ = 0;
    int64_t latest_ts_us_ = 0;
    uint64_t event_count_ = 0;  // events applied, for KeptEvent::position

    std::vector<ProcessInfo> processes_;  // sorted by index
    size_t next_process_index_ = 0;
    std::unordered_map<int64_t, size_t> process_of_pid_;  // pid -> ProcessInfo::index
    FoldedTotals folded_;
    size_t process_bytes_ = 0;     // sum of ProcessInfo::heap_bytes
    size_t kept_event_bytes_ = 0;  // of kept_events_' lines
    size_t reader_bytes_ = 0;      // heap of readers_
    size_t orphan_lines_ = 0;      // kept lines of orphan byes
    size_t fold_again_above_ = 0;  // a fold that freed too little waits for this many bytes
    int shared_reader_ = -1;       // the kOtherReaders row, once made
    std::vector<ReaderInfo> readers_;
    ReaderServiceInfo reader_service_;
    struct NameHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> reader_of_name_;
    std::vector<std::string> applet_names_{""};
    FunctionStatsTable function_stats_;
    std::deque<CallRecord> calls_;
    size_t kept_bytes_ = 0;  // of calls_ (history_bytes_of each)
    CallRecord last_call_;  // with history 0: the call just applied (for the text view)
    // The latest transmit's decoding, as its handle's decoder gave it.
    std::optional<DecodedExchange> last_exchange_;
    uint64_t last_exchange_ordinal_ = 0;
    std::vector<KeptEvent> kept_events_;
    CorrectnessChecker checker_;
    EventFacts scratch_;  // reused by ingest_line
};

// Receives each call as it is applied, with the JSON of its in, out and rv_name
// members when the reader had them at hand (saves a second parse of the raw
// line; the sink may take them apart), else nullptr.
using CallSink = std::function<void(const SessionModel&, const CallRecord&, nlohmann::json* event)>;

// Reads one line into the model and hands the call it added, if any, to `sink`,
// its arguments parsed in the same pass (the live socket and replays alike).
IngestResult ingest_and_notify(SessionModel& model, std::string_view line, const CallSink& sink,
                               int64_t connection_pid = 0);

}  // namespace pcscspy
