#include "monitor/metrics/session_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "protocol/card_list.hpp"
#include "protocol/ins_names.hpp"
#include "protocol/pcsc_functions.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Indexes into kMetricDocs, in its order.
enum Metric : size_t {
    kBuildInfo,
    kEvents,
    kCalls,
    kCallErrors,
    kCallDuration,
    kProcessCalls,
    kApdus,
    kPinFailures,
    kCardPresent,
    kTransactionHeld,
    kProcesses,
    kCallsInFlight,
    kLostEvents,
    kBadLines,
    kFindings,
    kRecordRotations,
    kRecordUnwritten,
    kMetricCount,
};

const MetricDoc kMetricDocs[] = {
    {"pcscspy_build_info", "gauge", "version", "Always 1; the version of pcscspy-top that exports these metrics."},
    {"pcscspy_events_total", "counter", "", "Events read, from every source (socket, system-wide capture, replay)."},
    {"pcscspy_calls_total", "counter", "function,result",
     "PC/SC calls that returned, by function and return code name (unknown codes: other)."},
    {"pcscspy_call_errors_total", "counter", "function",
     "Calls that failed (any return code but SCARD_S_SUCCESS, except SCardGetStatusChange's timeout and cancel)."},
    {"pcscspy_call_duration_seconds", "histogram", "function", "How long calls took, by function."},
    {"pcscspy_process_calls_total", "counter", "process", "Calls by executable name (not by pid)."},
    {"pcscspy_apdus_total", "counter", "reader,ins,sw_class",
     "APDUs exchanged (successful SCardTransmit), by reader, instruction name and status word class."},
    {"pcscspy_pin_verify_failures_total", "counter", "reader,process",
     "VERIFY commands carrying a PIN that the card refused (status word not of the success class)."},
    {"pcscspy_card_present", "gauge", "reader", "1 when a card is in the reader, 0 when it is empty (absent: not known yet)."},
    {"pcscspy_reader_transaction_held_seconds", "histogram", "reader",
     "How long a process held a reader's transaction (SCardBeginTransaction to its end)."},
    {"pcscspy_processes", "gauge", "state", "Traced processes seen in this session, by state (running, exited, disconnected)."},
    {"pcscspy_calls_in_flight", "gauge", "", "Calls started and not returned yet (what programs are waiting for)."},
    {"pcscspy_lost_events_total", "counter", "",
     "Calls whose event was lost: reported by the traced programs, or found missing by the monitor (seq numbers that never arrived)."},
    {"pcscspy_bad_lines_total", "counter", "kind", "Input lines that were not events, by reason."},
    {"pcscspy_findings_total", "counter", "kind", "Correctness findings (API misuse), by kind."},
    {"pcscspy_record_rotations_total", "counter", "", "Rotations of the --record file."},
    {"pcscspy_record_unwritten_lines_total", "counter", "",
     "Event lines that could not be written to the --record file (disk full, folder unwritable)."},
};
const size_t kMetricDocCount = std::size(kMetricDocs);
static_assert(std::size(kMetricDocs) == kMetricCount);

namespace {

// Seconds, from 50 µs (a call answered by the library alone) to a minute
// (SCardGetStatusChange waiting for a card).
const Histogram::BucketBoundaries kCallBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
const Histogram::BucketBoundaries kHeldBuckets = {0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

constexpr std::string_view kOther = "other";
constexpr std::string_view kNone = "none";

std::string label_value(std::string_view text) {
    std::string s = printable_utf8(text);
    return s.empty() ? std::string("unknown") : s;
}

// "malformed JSON" -> "malformed_json": the model's own names of the reasons.
std::string snake(std::string_view text) {
    std::string s;
    for (char c : text) s += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

struct SessionMetrics::Families {
    explicit Families(prometheus::Registry& r)
        : build_info(gauge(r, kBuildInfo)), events(counter(r, kEvents)), calls(counter(r, kCalls)),
          call_errors(counter(r, kCallErrors)), call_duration(histogram(r, kCallDuration)),
          process_calls(counter(r, kProcessCalls)), apdus(counter(r, kApdus)), pin_failures(counter(r, kPinFailures)),
          card_present(gauge(r, kCardPresent)), transaction_held(histogram(r, kTransactionHeld)),
          processes(gauge(r, kProcesses)), calls_in_flight(gauge(r, kCallsInFlight)),
          lost_events(counter(r, kLostEvents)), bad_lines(counter(r, kBadLines)), findings(counter(r, kFindings)),
          record_rotations(counter(r, kRecordRotations)), record_unwritten(counter(r, kRecordUnwritten)) {}

    static Family<Counter>& counter(prometheus::Registry& r, Metric m) {
        return prometheus::BuildCounter().Name(std::string(kMetricDocs[m].name)).Help(std::string(kMetricDocs[m].help)).Register(r);
    }
    static Family<Gauge>& gauge(prometheus::Registry& r, Metric m) {
        return prometheus::BuildGauge().Name(std::string(kMetricDocs[m].name)).Help(std::string(kMetricDocs[m].help)).Register(r);
    }
    static Family<Histogram>& histogram(prometheus::Registry& r, Metric m) {
        return prometheus::BuildHistogram()
            .Name(std::string(kMetricDocs[m].name))
            .Help(std::string(kMetricDocs[m].help))
            .Register(r);
    }

    Family<Gauge>& build_info;
    Family<Counter>& events;
    Family<Counter>& calls;
    Family<Counter>& call_errors;
    Family<Histogram>& call_duration;
    Family<Counter>& process_calls;
    Family<Counter>& apdus;
    Family<Counter>& pin_failures;
    Family<Gauge>& card_present;
    Family<Histogram>& transaction_held;
    Family<Gauge>& processes;
    Family<Gauge>& calls_in_flight;
    Family<Counter>& lost_events;
    Family<Counter>& bad_lines;
    Family<Counter>& findings;
    Family<Counter>& record_rotations;
    Family<Counter>& record_unwritten;

    // Label-less and fixed-label series, made once.
    Counter* events_total = nullptr;
    Counter* lost_total = nullptr;
    Counter* rotations_total = nullptr;
    Counter* unwritten_total = nullptr;
    Gauge* in_flight = nullptr;
    Gauge* running = nullptr;
    Gauge* exited = nullptr;
    Gauge* disconnected = nullptr;
    Counter* bad_by_kind[kEventErrorKinds] = {};
    std::vector<Counter*> findings_by_kind;  // by FindingKind value
};

size_t SessionMetrics::ApduKeyHash::operator()(const ApduKey& k) const {
    return std::hash<const void*>{}(k.ins) ^ (static_cast<size_t>(k.reader) << 8) ^ k.sw_class;
}

SessionMetrics::SessionMetrics(prometheus::Registry& registry, std::string_view version)
    : f_(std::make_unique<Families>(registry)) {
    f_->build_info.Add({{"version", std::string(version)}}).Set(1);
    f_->events_total = &f_->events.Add({});
    f_->lost_total = &f_->lost_events.Add({});
    f_->rotations_total = &f_->record_rotations.Add({});
    f_->unwritten_total = &f_->record_unwritten.Add({});
    f_->in_flight = &f_->calls_in_flight.Add({});
    f_->running = &f_->processes.Add({{"state", "running"}});
    f_->exited = &f_->processes.Add({{"state", "exited"}});
    f_->disconnected = &f_->processes.Add({{"state", "disconnected"}});
    for (size_t k = 0; k < kEventErrorKinds; ++k)
        f_->bad_by_kind[k] = &f_->bad_lines.Add({{"kind", snake(to_string(static_cast<EventErrorKind>(k)))}});
    // Every kind from the start at 0, so that rate() and alerts see the first one.
    for (const Named& k : kFindingKinds) {
        if (f_->findings_by_kind.size() <= k.value) f_->findings_by_kind.resize(k.value + 1, nullptr);
        f_->findings_by_kind[k.value] = &f_->findings.Add({{"kind", std::string(k.name)}});
    }
}

SessionMetrics::~SessionMetrics() = default;

int SessionMetrics::reader_slot(const SessionModel& model, int reader) {
    if (reader < 0) return -1;
    auto r = static_cast<size_t>(reader);
    if (reader_slot_of_.size() <= r) reader_slot_of_.resize(r + 1, -2);
    int& slot = reader_slot_of_[r];
    if (slot != -2) return slot;
    std::string label = label_value(model.readers()[r].name);
    if (reader_labels_.size() >= kMaxReaderLabels) label = kOther;
    auto [it, fresh] = reader_label_index_.emplace(label, static_cast<int>(reader_labels_.size()));
    if (fresh) reader_labels_.push_back(label);
    slot = it->second;
    return slot;
}

int SessionMetrics::process_slot(const SessionModel& model, size_t process) {
    if (auto known = process_slot_of_.find(process); known != process_slot_of_.end()) return known->second;
    const ProcessInfo* found = model.process_at(process);
    if (!found) return other_process_slot();  // folded into totals before its call was counted
    const ProcessInfo& p = *found;
    std::string label = label_value(p.exe_name());
    if (process_labels_.size() >= kMaxProcessLabels && !process_label_index_.count(label)) label = kOther;
    auto [it, fresh] = process_label_index_.emplace(label, static_cast<int>(process_labels_.size()));
    if (fresh) {
        process_labels_.push_back(label);
        calls_by_process_.push_back(&f_->process_calls.Add({{"process", label}}));
    }
    // Named for good once the hello told the executable; before it, asked again.
    if (p.hello_seen) process_slot_of_[process] = it->second;
    return it->second;
}

int SessionMetrics::other_process_slot() {
    auto [it, fresh] = process_label_index_.emplace(kOther, static_cast<int>(process_labels_.size()));
    if (fresh) {
        process_labels_.push_back(std::string(kOther));
        calls_by_process_.push_back(&f_->process_calls.Add({{"process", std::string(kOther)}}));
    }
    return it->second;
}

Counter& SessionMetrics::call_counter(size_t fn, std::string_view fn_name, int64_t rv) {
    if (calls_by_fn_rv_.size() <= fn) calls_by_fn_rv_.resize(fn + 1);
    auto& by_rv = calls_by_fn_rv_[fn];
    auto it = by_rv.find(rv);
    if (it != by_rv.end()) return *it->second;
    const Named* code = find_return_code(rv);
    // Return codes outside pcsc-lite's table share one series per function; the
    // cache may grow by one entry per distinct odd rv, all pointing to it.
    Counter& c = f_->calls.Add({{"function", std::string(fn_name)}, {"result", std::string(code ? code->name : kOther)}});
    if (code || by_rv.size() < 256) by_rv.emplace(rv, &c);
    return c;
}

void SessionMetrics::on_call(const SessionModel& model, const CallRecord& c) {
    std::string_view fn_name = c.fn < kFunctionCount ? model.function_name(c) : kOther;
    size_t fn = std::min<size_t>(c.fn, kFunctionCount);  // every unknown function in one slot
    call_counter(fn, fn_name, c.rv).Increment();
    if (duration_by_fn_.size() <= fn) {
        duration_by_fn_.resize(fn + 1, nullptr);
        errors_by_fn_.resize(fn + 1, nullptr);
    }
    if (!duration_by_fn_[fn]) {
        duration_by_fn_[fn] = &f_->call_duration.Add({{"function", std::string(fn_name)}}, kCallBuckets);
        errors_by_fn_[fn] = &f_->call_errors.Add({{"function", std::string(fn_name)}});
    }
    duration_by_fn_[fn]->Observe(static_cast<double>(c.dur_ns) / 1e9);
    if (c.error()) errors_by_fn_[fn]->Increment();
    int process = process_slot(model, c.process);
    calls_by_process_[static_cast<size_t>(process)]->Increment();

    int reader = reader_slot(model, c.reader);
    if (fn_name == "SCardTransmit" && !c.error()) {
        // Counted as the model counts a reader's APDUs: every successful transmit.
        const Named* ins = nullptr;
        if (c.has_apdu()) ins = name_instruction(static_cast<AppletKind>(c.applet_kind), c.cla, c.ins, c.p1).entry;
        auto sw_class = static_cast<uint8_t>(c.has_sw() ? static_cast<uint8_t>(describe_sw(c.sw).cls) : kSwClassCount);
        ApduKey key{reader, c.has_apdu() ? (ins ? static_cast<const void*>(ins) : &kOther) : &kNone, sw_class};
        auto it = apdus_.find(key);
        if (it == apdus_.end()) {
            std::string reader_label = reader >= 0 ? reader_labels_[static_cast<size_t>(reader)] : "unknown";
            std::string ins_label(!c.has_apdu() ? kNone : ins ? ins->name : kOther);
            std::string sw_label(sw_class < kSwClassCount ? kSwClasses[sw_class].name : kNone);
            it = apdus_.emplace(key, &f_->apdus.Add({{"reader", reader_label}, {"ins", ins_label}, {"sw_class", sw_label}}))
                     .first;
        }
        it->second->Increment();
        // VERIFY (ISO 7816-4, even and odd INS) with a PIN in it; an empty VERIFY
        // only asks for the retry counter and is no attempt.
        bool verify = c.has_apdu() && !(c.cla & 0x80) && (c.ins == 0x20 || c.ins == 0x21) && c.sent > 5;
        if (verify && c.has_sw() && describe_sw(c.sw).cls != SwClass::Success) {
            uint64_t k = static_cast<uint64_t>(static_cast<uint32_t>(reader)) << 32 | static_cast<uint32_t>(process);
            auto pit = pin_failures_.find(k);
            if (pit == pin_failures_.end()) {
                std::string reader_label = reader >= 0 ? reader_labels_[static_cast<size_t>(reader)] : "unknown";
                pit = pin_failures_
                          .emplace(k, &f_->pin_failures.Add(
                                          {{"reader", reader_label}, {"process", process_labels_[static_cast<size_t>(process)]}}))
                          .first;
            }
            pit->second->Increment();
        }
    }
    if (c.reader >= 0) {
        // A transaction may have begun or ended with this call: its end time is the hold's end.
        auto r = static_cast<size_t>(c.reader);
        if (held_.size() <= r) held_.resize(r + 1);
        const ReaderInfo& info = model.readers()[r];
        Held& h = held_[r];
        bool active = info.transaction_pid.has_value();
        if (h.active && (!active || *info.transaction_pid != h.pid || info.transaction_since_us != h.since_us)) {
            if (held_by_reader_.size() <= r) held_by_reader_.resize(r + 1, nullptr);
            if (!held_by_reader_[r] && reader >= 0)
                held_by_reader_[r] = &f_->transaction_held.Add({{"reader", reader_labels_[static_cast<size_t>(reader)]}}, kHeldBuckets);
            if (held_by_reader_[r]) held_by_reader_[r]->Observe(static_cast<double>(std::max<int64_t>(0, c.end_us() - h.since_us)) / 1e6);
            h.active = false;
        }
        if (active && !h.active) h = Held{true, *info.transaction_pid, info.transaction_since_us};
    }
}

void SessionMetrics::add_delta(Counter& c, uint64_t now, uint64_t& seen) {
    if (now > seen) c.Increment(static_cast<double>(now - seen));
    seen = std::max(seen, now);
}

void SessionMetrics::refresh(const SessionModel& model) {
    const ModelCounters& k = model.counters();
    add_delta(*f_->events_total, k.events, events_seen_);
    add_delta(*f_->lost_total, k.lost(), lost_seen_);
    for (size_t i = 0; i < kEventErrorKinds; ++i) add_delta(*f_->bad_by_kind[i], k.bad_by_kind[i], bad_seen_[i]);

    const auto& findings = model.findings();
    for (size_t i = findings_seen_; i < findings.size(); ++i) {
        auto kind = static_cast<size_t>(findings[i].kind);
        if (kind < f_->findings_by_kind.size() && f_->findings_by_kind[kind]) f_->findings_by_kind[kind]->Increment();
    }
    findings_seen_ = findings.size();

    // Processes: only the new ones (indexes are serials) and those that were running
    // are looked at; the ended ones as the model counts them (folded ones included).
    const auto& procs = model.processes();
    auto fresh = std::lower_bound(procs.begin(), procs.end(), processes_seen_,
                                  [](const ProcessInfo& p, size_t i) { return p.index < i; });
    for (; fresh != procs.end(); ++fresh) {
        running_.insert(fresh->index);
        processes_seen_ = fresh->index + 1;
    }
    size_t in_flight = 0;
    for (auto it = running_.begin(); it != running_.end();) {
        const ProcessInfo* p = model.process_at(*it);
        if (p && p->state == ProcessState::Running) {
            in_flight += p->in_flight.size();
            ++it;
            continue;
        }
        process_slot_of_.erase(*it);
        it = running_.erase(it);
    }
    // A cache (the model names every process again): bounded, whatever was folded between two refreshes.
    if (process_slot_of_.size() > 4096) process_slot_of_.clear();
    f_->running->Set(static_cast<double>(running_.size()));
    f_->exited->Set(static_cast<double>(k.processes_exited));
    f_->disconnected->Set(static_cast<double>(k.processes_disconnected));
    f_->in_flight->Set(static_cast<double>(in_flight));

    const auto& readers = model.readers();
    if (card_present_by_reader_.size() < readers.size()) card_present_by_reader_.resize(readers.size(), nullptr);
    if (held_.size() < readers.size()) held_.resize(readers.size());
    for (size_t r = 0; r < readers.size(); ++r) {
        int slot = reader_slot(model, static_cast<int>(r));
        if (readers[r].card_present && reader_labels_[static_cast<size_t>(slot)] != kOther) {
            if (!card_present_by_reader_[r])
                card_present_by_reader_[r] = &f_->card_present.Add({{"reader", reader_labels_[static_cast<size_t>(slot)]}});
            card_present_by_reader_[r]->Set(*readers[r].card_present ? 1 : 0);
        }
        // A holder that ended without ending its transaction (exited, killed).
        Held& h = held_[r];
        if (h.active && !readers[r].transaction_pid) {
            if (held_by_reader_.size() <= r) held_by_reader_.resize(r + 1, nullptr);
            if (!held_by_reader_[r])
                held_by_reader_[r] = &f_->transaction_held.Add({{"reader", reader_labels_[static_cast<size_t>(slot)]}}, kHeldBuckets);
            held_by_reader_[r]->Observe(static_cast<double>(std::max<int64_t>(0, model.latest_ts_us() - h.since_us)) / 1e6);
            h.active = false;
        }
    }
}

void SessionMetrics::set_recording(uint64_t rotations, uint64_t unwritten_lines) {
    add_delta(*f_->rotations_total, rotations, rotations_seen_);
    add_delta(*f_->unwritten_total, unwritten_lines, unwritten_seen_);
}

}  // namespace pcscspy
