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
// - a generation number that changes whenever anything does (views redraw only
//   when it moved).
#pragma once

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
inline constexpr size_t kEventErrorKinds = 7;  // EventErrorKind values

class CardList;

struct ModelOptions {
    size_t history = kDefaultHistory;  // calls kept (0: none, statistics only)
    size_t history_bytes = kDefaultHistoryBytes;  // bytes of their raw lines kept
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

    // Every lost call: reported, and found missing by the monitor.
    uint64_t lost() const { return lost_events > UINT64_MAX - lost_missing ? UINT64_MAX : lost_events + lost_missing; }
};

// What one line did to the model.
struct IngestResult {
    std::optional<EventErrorKind> error;  // the line was not an event
    std::optional<EventType> type;
    const CallRecord* call = nullptr;     // the call it added (valid until the next ingest)
    int64_t pid = 0;                      // the event's pid
    size_t process = SIZE_MAX;            // index in processes() of the process it applied to
    bool ok() const { return !error; }
};

class SessionModel {
public:
    explicit SessionModel(ModelOptions options = {});

    // ---- input
    // Reads one line (without '\n') and applies it; the line is kept as the call's raw text.
    // With `event`, it also receives the JSON of the event's in, out and rv_name
    // members (what a view prints), parsed in the same pass.
    IngestResult ingest_line(std::string_view line, nlohmann::json* event = nullptr);
    // Applies an event already read (raw: its line, kept for calls and dumps).
    IngestResult apply(const EventFacts& facts, std::string_view raw);
    // A line that could not be read as an event (counted).
    void count_bad_line(EventErrorKind kind);
    // A traced process's connection closed. `process` is the IngestResult::process
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

    const std::vector<ProcessInfo>& processes() const { return processes_; }
    const ProcessInfo* process_by_pid(int64_t pid) const;  // the latest process with that pid
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

    // The full decoding of a transmit, for detail views and the text mode: the
    // call just applied is known as it was decoded (also with history 0); an
    // older kept one is decoded again from the kept exchanges of its handle, so
    // its applet context is exact as long as its SELECT is still in the history.
    std::optional<DecodedExchange> decode_exchange(uint64_t ordinal) const;

    // Calls per second of a process over the last seconds of event time.
    double call_rate(size_t process, int64_t now_us) const;
    // Calls in flight in all processes (begin without call), oldest first.
    std::vector<const InFlightCall*> in_flight() const;

    // hello/bye/lost lines (few), in arrival order with their position among all
    // events, so that a dump can interleave them with the kept calls.
    struct KeptEvent {
        uint64_t position;
        std::string raw;
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
    ProcessInfo* mutable_process(size_t index) { return index < processes_.size() ? &processes_[index] : nullptr; }
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

    ModelOptions options_;
    uint64_t generation_ = 0;
    ModelCounters counters_;
    int64_t first_ts_us_ = 0;
    int64_t latest_ts_us_ = 0;
    uint64_t event_count_ = 0;  // events applied, for KeptEvent::position

    std::vector<ProcessInfo> processes_;
    std::unordered_map<int64_t, size_t> process_of_pid_;
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
    size_t kept_bytes_ = 0;  // of calls_' raw lines
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
IngestResult ingest_and_notify(SessionModel& model, std::string_view line, const CallSink& sink);

}  // namespace pcscspy
