// SessionMetrics: the session as Prometheus metrics (--metrics), an observer of
// the model: fed each call after the model applied it, and refreshed after each
// batch of events for what the model counts itself (processes by state, cards,
// lost events, bad lines, findings). Every metric is a prometheus-cpp object,
// safe to read from the exposer's scrape thread while the event loop (the only
// writer, single-threaded like the model) updates it: a scrape never touches
// the model. The names, types and labels are listed in kMetricDocs and
// documented in pcscspy-top(1).
//
// Label sets stay bounded whatever the traffic: no pid; processes are named by
// executable (the first kMaxProcessLabels names, then "other"); readers likewise
// (kMaxReaderLabels; pcsc-lite serves at most 16); functions outside the 18
// traced ones, unknown return codes and INS bytes no table names collapse into
// "other"; status words into their class.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace pcscspy {

struct MetricDoc {
    std::string_view name;
    std::string_view type;  // counter, gauge, histogram
    std::string_view labels;
    std::string_view help;
};

// One description of every metric: registered from it, documented from it.
extern const MetricDoc kMetricDocs[];
extern const size_t kMetricDocCount;

class SessionMetrics {
public:
    static constexpr size_t kMaxProcessLabels = 64;
    static constexpr size_t kMaxReaderLabels = 32;

    SessionMetrics(prometheus::Registry& registry, std::string_view version);
    ~SessionMetrics();
    SessionMetrics(const SessionMetrics&) = delete;
    SessionMetrics& operator=(const SessionMetrics&) = delete;

    // A call the model has just applied.
    void on_call(const SessionModel& model, const CallRecord& call);
    // After a batch of events: brings up to date what the model counts itself.
    // Costs O(running processes + readers + new processes and findings).
    void refresh(const SessionModel& model);
    // The recording's own counters (totals so far).
    void set_recording(uint64_t rotations, uint64_t unwritten_lines);

private:
    struct Families;
    struct ApduKey {
        int reader;
        const void* ins;
        uint8_t sw_class;
        bool operator==(const ApduKey&) const = default;
    };
    struct ApduKeyHash {
        size_t operator()(const ApduKey& k) const;
    };

    int reader_slot(const SessionModel& model, int reader);
    int process_slot(const SessionModel& model, size_t process);
    int other_process_slot();
    prometheus::Counter& call_counter(size_t fn, std::string_view fn_name, int64_t rv);
    void track_transaction(const SessionModel& model, size_t reader);
    void add_delta(prometheus::Counter& c, uint64_t now, uint64_t& seen);

    std::unique_ptr<Families> f_;

    // Label slots: reader index / process index -> label string index (-1 unknown yet).
    std::vector<int> reader_slot_of_;
    std::vector<std::string> reader_labels_;
    std::unordered_map<size_t, int> process_slot_of_;  // by ProcessInfo::index, while it runs
    std::vector<std::string> process_labels_;
    std::unordered_map<std::string, int> process_label_index_;
    std::unordered_map<std::string, int> reader_label_index_;

    // Cached metric objects (Family::Add takes a lock and a map lookup per call).
    std::vector<std::unordered_map<int64_t, prometheus::Counter*>> calls_by_fn_rv_;
    std::vector<prometheus::Histogram*> duration_by_fn_;
    std::vector<prometheus::Counter*> errors_by_fn_;
    std::vector<prometheus::Counter*> calls_by_process_;
    std::unordered_map<ApduKey, prometheus::Counter*, ApduKeyHash> apdus_;
    std::unordered_map<uint64_t, prometheus::Counter*> pin_failures_;  // reader slot << 32 | process slot
    std::vector<prometheus::Histogram*> held_by_reader_;
    std::vector<prometheus::Gauge*> card_present_by_reader_;

    // What refresh() has already accounted for.
    struct Held {
        bool active = false;
        int64_t pid = 0;
        int64_t since_us = 0;
    };
    std::vector<Held> held_;  // by reader index
    size_t processes_seen_ = 0;
    std::unordered_set<size_t> running_;  // process indexes last seen running
    size_t findings_seen_ = 0;
    uint64_t events_seen_ = 0, lost_seen_ = 0, rotations_seen_ = 0, unwritten_seen_ = 0;
    uint64_t bad_seen_[kEventErrorKinds] = {};
};

}  // namespace pcscspy
