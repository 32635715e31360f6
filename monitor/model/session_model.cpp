#include "monitor/model/session_model.hpp"

#include <PCSC/pcsclite.h>

#include <algorithm>

#include "monitor/model/memory_estimate.hpp"
#include "protocol/card_list.hpp"
#include "protocol/status_word.hpp"
#include "protocol/hex.hpp"
#include "protocol/part10.hpp"
#include "protocol/pcsc_functions.hpp"

namespace pcscspy {

namespace {

// Return codes compared as pcsc-lite's 32-bit patterns (events carry them positive).
bool rv_is(int64_t rv, LONG code) { return static_cast<uint32_t>(rv) == static_cast<uint32_t>(code); }

// pcsc-lite's pseudo reader for reader insertion/removal notifications.
bool is_pnp_notification(std::string_view name) { return name == "\\\\?PnP?\\Notification"; }

int hex_nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Byte i of an event hex buffer (upper-case hex without separators); -1 if absent or bad.
int hex_byte(std::string_view hex, size_t i) {
    if (2 * i + 1 >= hex.size()) return -1;
    int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
    return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

Bytes bytes_of(std::string_view hex) {
    HexParse p = parse_hex(hex);
    return p.ok() ? std::move(p.bytes) : Bytes{};
}

}  // namespace

SessionModel::SessionModel(ModelOptions options) : options_(std::move(options)), checker_(options_.checker) {}

std::string SessionModel::card_name_of(ByteView atr) const {
    if (!options_.card_list || atr.empty()) return {};
    std::vector<std::string> names = options_.card_list->describe(atr);
    return names.empty() ? std::string() : names.front();
}

bool SessionModel::is_error(std::optional<PcscFunction> fn, int64_t rv) {
    if (rv == 0) return false;
    if (has_effect(fn, Effect::WaitsForChange) && (rv_is(rv, SCARD_E_TIMEOUT) || rv_is(rv, SCARD_E_CANCELLED))) return false;
    return true;
}

bool SessionModel::is_error(std::string_view fn, int64_t rv) { return is_error(function_by_name(fn), rv); }

namespace {

// Times and durations a peer sends are signed in the format; negative ones
// cannot be, and would break the statistics (totals, means, histograms).
bool times_in_range(const EventFacts& f) {
    if (f.h.ts_us < 0) return false;
    if (f.type == EventType::Call && f.call.dur_ns < 0) return false;
    return true;
}

int64_t saturating_add(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// A thread makes its calls one after another, each numbered when it starts:
// a begin's seq is above everything its thread sent before, and so is a
// call's, unless it is the call of the begin just before it.
bool seq_in_order(ThreadInfo& t, uint64_t seq, bool call) {
    const bool first = t.last_seq == 0 && !t.last_begun;
    const bool ok = first || seq > t.last_seq || (call && t.last_begun && seq == t.last_seq);
    t.last_seq = std::max(t.last_seq, seq);
    t.last_begun = !call;
    return ok;
}

// A process's share of ModelCounters::lost_missing.
uint64_t lost_beyond_reported(const ProcessInfo& p) { return p.lost() - p.lost_events; }

}  // namespace

IngestResult SessionModel::ingest_line(std::string_view line, nlohmann::json* event, int64_t connection_pid) {
    std::optional<EventErrorKind> err = read_event_facts(line, scratch_, nullptr, event);
    if (!err && !times_in_range(scratch_)) err = EventErrorKind::WrongType;
    if (!err && connection_pid != 0 && scratch_.h.pid != connection_pid) err = EventErrorKind::OtherProcess;
    if (err) {
        count_bad_line(*err);
        IngestResult r;
        r.error = err;
        return r;
    }
    ++counters_.lines;
    return apply(scratch_, line);
}

IngestResult ingest_and_notify(SessionModel& model, std::string_view line, const CallSink& sink,
                               int64_t connection_pid) {
    nlohmann::json event;  // the arguments, parsed with the facts when the sink prints calls
    IngestResult r = model.ingest_line(line, sink ? &event : nullptr, connection_pid);
    if (r.call && sink) sink(model, *r.call, &event);
    return r;
}

void SessionModel::count_bad_line(EventErrorKind kind) {
    ++counters_.lines;
    ++counters_.bad_lines;
    auto k = static_cast<size_t>(kind);
    if (k < kEventErrorKinds) ++counters_.bad_by_kind[k];
    ++generation_;
}

IngestResult SessionModel::apply(const EventFacts& f, std::string_view raw) {
    IngestResult r;
    if (!times_in_range(f)) {  // (ingest_line checked already; a document's events come here directly)
        count_bad_line(EventErrorKind::WrongType);
        r.error = EventErrorKind::WrongType;
        return r;
    }
    r.type = f.type;
    r.pid = f.h.pid;
    ++counters_.events;
    ++event_count_;
    if (first_ts_us_ == 0 || (f.h.ts_us > 0 && f.h.ts_us < first_ts_us_)) first_ts_us_ = f.h.ts_us;
    latest_ts_us_ = std::max(latest_ts_us_, f.h.ts_us);
    switch (f.type) {
        case EventType::Hello: apply_hello(f, raw); break;
        case EventType::Begin: apply_begin(f); break;
        case EventType::Call: r.call = apply_call(f, raw); break;
        case EventType::Bye: apply_bye(f, raw); break;
        case EventType::Lost: apply_lost(f, raw); break;
    }
    if (auto it = process_of_pid_.find(f.h.pid); it != process_of_pid_.end()) {
        r.process = it->second;
        if (ProcessInfo* p = find_process(it->second)) refresh_bytes(*p);
    }
    enforce_budget();
    ++generation_;
    return r;
}

ProcessInfo* SessionModel::find_process(size_t index) {
    auto it = std::lower_bound(processes_.begin(), processes_.end(), index,
                               [](const ProcessInfo& p, size_t i) { return p.index < i; });
    return it != processes_.end() && it->index == index ? &*it : nullptr;
}

const ProcessInfo* SessionModel::process_at(size_t index) const {
    return const_cast<SessionModel*>(this)->find_process(index);
}

ProcessInfo& SessionModel::process_for(int64_t pid, int64_t ts_us) {
    if (auto it = process_of_pid_.find(pid); it != process_of_pid_.end())
        if (ProcessInfo* p = find_process(it->second)) return *p;
    ProcessInfo p;
    p.index = next_process_index_++;
    p.pid = pid;
    p.start_us = ts_us;
    p.last_us = ts_us;
    processes_.push_back(std::move(p));
    process_of_pid_[pid] = processes_.back().index;
    return processes_.back();
}

const ProcessInfo* SessionModel::process_by_pid(int64_t pid) const {
    auto it = process_of_pid_.find(pid);
    return it == process_of_pid_.end() ? nullptr : process_at(it->second);
}

int SessionModel::reader_index(std::string_view name) {
    if (auto it = reader_of_name_.find(name); it != reader_of_name_.end()) return static_cast<int>(it->second);
    if (readers_.size() >= kMaxReaders) {
        // Endless new names (a hostile peer) share one row: statistics only.
        ++folded_.reader_names;
        if (shared_reader_ >= 0) return shared_reader_;
        name = kOtherReaders;
    }
    ReaderInfo r;
    r.index = readers_.size();
    r.name = std::string(name);
    r.shared = name == kOtherReaders && readers_.size() >= kMaxReaders;
    reader_bytes_ += sizeof(ReaderInfo) + 2 * memory::heap(r.name) + memory::kHashNode<std::pair<std::string, size_t>>;
    readers_.push_back(std::move(r));
    reader_of_name_.emplace(std::string(name), readers_.size() - 1);
    if (readers_.back().shared) shared_reader_ = static_cast<int>(readers_.size() - 1);
    return static_cast<int>(readers_.size() - 1);
}

const ReaderInfo* SessionModel::reader_by_name(std::string_view name) const {
    auto it = reader_of_name_.find(name);
    return it == reader_of_name_.end() ? nullptr : &readers_[it->second];
}

uint16_t SessionModel::applet_index(std::string_view label) {
    if (label.empty()) return 0;
    for (size_t i = 1; i < applet_names_.size(); ++i)
        if (applet_names_[i] == label) return static_cast<uint16_t>(i);
    if (applet_names_.size() >= UINT16_MAX) return 0;
    applet_names_.emplace_back(label);
    return static_cast<uint16_t>(applet_names_.size() - 1);
}

const CallRecord* SessionModel::call_at(uint64_t ordinal) const {
    if (calls_.empty() || ordinal < calls_.front().ordinal || ordinal > calls_.back().ordinal) return nullptr;
    return &calls_[ordinal - calls_.front().ordinal];
}

double SessionModel::call_rate(size_t process, int64_t now_us) const {
    const ProcessInfo* p = process_at(process);
    return p ? p->rate.per_second(now_us) : 0.0;
}

std::vector<const InFlightCall*> SessionModel::in_flight() const {
    std::vector<const InFlightCall*> out;
    for (const ProcessInfo& p : processes_)
        for (const auto& [seq, c] : p.in_flight) out.push_back(&c);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->since_us < b->since_us; });
    return out;
}

void SessionModel::apply_hello(const EventFacts& f, std::string_view raw) {
    // A pid seen again after its process ended (or a second hello) is a new process.
    // A second hello while the first is running means the program called exec: the
    // old image and everything it held are gone.
    if (auto it = process_of_pid_.find(f.h.pid); it != process_of_pid_.end()) {
        ProcessInfo* old = find_process(it->second);
        if (!old) {
            process_of_pid_.erase(it);
        } else if (old->hello_seen || old->state != ProcessState::Running) {
            if (old->hello_seen) end_process(*old, ProcessState::Disconnected, f.h.ts_us);
            process_of_pid_.erase(it);
        }
    }
    ProcessInfo& p = process_for(f.h.pid, f.h.ts_us);
    p.hello_seen = true;
    static_cast<HelloFields&>(p) = f.hello;
    p.hello_bytes = memory::fields_heap(static_cast<const HelloFields&>(p));
    p.start_us = f.h.ts_us;
    p.last_us = std::max(p.last_us, f.h.ts_us);
    keep_event(raw, p.index);
}

void SessionModel::keep_event(std::string_view raw, size_t process) {
    if (process == SIZE_MAX) {  // an orphan's line: a few kept, the rest counted
        if (orphan_lines_ >= kMaxOrphanLines) {
            ++folded_.lines;
            return;
        }
        ++orphan_lines_;
    }
    kept_events_.push_back({event_count_, std::string(raw), process});
    const size_t bytes = memory::heap(kept_events_.back().raw);
    kept_event_bytes_ += bytes;
    if (ProcessInfo* p = process == SIZE_MAX ? nullptr : find_process(process)) p->kept_bytes += bytes;
}

void SessionModel::apply_begin(const EventFacts& f) {
    ++counters_.begins;
    ProcessInfo& p = process_for(f.h.pid, f.h.ts_us);
    const BeginFields& b = f.begin;
    if (!seq_in_order(p.threads[f.h.tid], b.seq, false)) ++counters_.seq_disorder;
    if (p.state == ProcessState::Running) {
        p.seqs.add_begin(b.seq);
    } else {
        // Begun as the process was ending: it never returned.
        const uint64_t beyond = lost_beyond_reported(p);
        p.seqs.add_unfinished(b.seq);
        recount_lost(p, beyond);
    }
    InFlightCall& waiting = p.in_flight[b.seq];
    p.in_flight_bytes -= std::min(p.in_flight_bytes, memory::heap(waiting.fn));
    waiting = InFlightCall{b.seq, b.fn, f.h.tid, f.h.ts_us, b.ctx, b.card};
    p.in_flight_bytes += memory::heap(waiting.fn);
    cap_in_flight(p);
    p.activity.last_begin_us = std::max(p.activity.last_begin_us, f.h.ts_us);
    p.last_us = std::max(p.last_us, f.h.ts_us);
    ThreadInfo& t = p.threads[f.h.tid];
    t.last_ts_us = std::max(t.last_ts_us, f.h.ts_us);
    cap_threads(p);
    // The reader of a card handle is busy too.
    if (b.card)
        if (auto it = p.cards.find(*b.card); it != p.cards.end() && it->second.reader >= 0)
            readers_[it->second.reader].activity.last_begin_us = f.h.ts_us;
}

void SessionModel::apply_bye(const EventFacts& f, std::string_view raw) {
    if (!process_of_pid_.count(f.h.pid)) {
        // Nothing to end: a process is never made up from its bye alone.
        ++counters_.orphan_byes;
        counters_.lost_events = saturating_add(counters_.lost_events, f.bye.lost);
        keep_event(raw, SIZE_MAX);
        return;
    }
    ProcessInfo& p = process_for(f.h.pid, f.h.ts_us);
    const uint64_t beyond = lost_beyond_reported(p);
    p.bye_calls = f.bye.calls;
    // bye carries the process's total of lost events; count what lost events did not.
    if (f.bye.lost > p.lost_events) {
        counters_.lost_events = saturating_add(counters_.lost_events, f.bye.lost - p.lost_events);
        p.lost_events = f.bye.lost;
    }
    recount_lost(p, beyond);
    keep_event(raw, p.index);
    end_process(p, ProcessState::Exited, f.h.ts_us);
}

void SessionModel::apply_lost(const EventFacts& f, std::string_view raw) {
    ProcessInfo& p = process_for(f.h.pid, f.h.ts_us);
    const uint64_t beyond = lost_beyond_reported(p);
    p.lost_events = saturating_add(p.lost_events, f.lost.count);
    counters_.lost_events = saturating_add(counters_.lost_events, f.lost.count);
    recount_lost(p, beyond);
    keep_event(raw, p.index);
}

void SessionModel::connection_closed(size_t process, int64_t ts_us) {
    ProcessInfo* p = find_process(process);
    if (!p) return;
    if (p->state == ProcessState::Running) end_process(*p, ProcessState::Disconnected, ts_us);
    enforce_budget();
    ++generation_;
}

void SessionModel::end_process(ProcessInfo& p, ProcessState state, int64_t ts_us) {
    if (p.state != ProcessState::Running) return;
    const uint64_t beyond = lost_beyond_reported(p);
    p.state = state;
    p.exit_us = ts_us;
    p.last_us = std::max(p.last_us, ts_us);
    ++(state == ProcessState::Exited ? counters_.processes_exited : counters_.processes_disconnected);
    counters_.unmatched_begins += p.in_flight.size();
    // A begin without its call was a call still running as the process ended,
    // unless its thread went on to later calls: then it returned, and its call
    // was lost. (A thread's last begin may be either: it counts as running.)
    for (const auto& [seq, call] : p.in_flight) {
        auto t = p.threads.find(call.tid);
        if (t == p.threads.end() || t->second.last_seq <= seq) p.seqs.add_unfinished(seq);
    }
    p.in_flight.clear();
    recount_lost(p, beyond);  // (the checker trusts a process that lost nothing)
    p.in_flight_bytes = 0;
    checker_.on_process_end(p);
    for (ReaderInfo& r : readers_)
        if (r.transaction_pid && r.transaction_process == p.index) r.transaction_pid.reset();
    refresh_bytes(p);
}

// The monitor's own count of p's lost calls is made once p ended (a running
// process's gaps may be calls still running, or returning later on another
// thread), and again whenever a late line of it comes. `beyond_before`: p's
// share of lost_missing before the change.
void SessionModel::recount_lost(ProcessInfo& p, uint64_t beyond_before) {
    if (p.state != ProcessState::Running) p.missing_calls = p.seqs.missing(p.bye_calls);
    const uint64_t rest = counters_.lost_missing >= beyond_before ? counters_.lost_missing - beyond_before : 0;
    counters_.lost_missing = saturating_add(rest, lost_beyond_reported(p));
}

void SessionModel::finish() {
    for (ProcessInfo& p : processes_) checker_.on_process_end(p);
    ++generation_;
}

const CallRecord* SessionModel::apply_call(const EventFacts& f, std::string_view raw) {
    const CallFields& c = f.call;
    ProcessInfo& p = process_for(f.h.pid, f.h.ts_us);
    if (auto waiting = p.in_flight.find(c.seq); waiting != p.in_flight.end()) {
        p.in_flight_bytes -= std::min(p.in_flight_bytes, memory::heap(waiting->second.fn));
        p.in_flight.erase(waiting);
    }
    ThreadInfo& t = p.threads[f.h.tid];
    bool in_order = seq_in_order(t, c.seq, true);
    const uint64_t beyond = lost_beyond_reported(p);
    if (p.seqs.add_call(c.seq) == SeqLedger::Arrival::Repeated) in_order = false;
    if (!in_order) ++counters_.seq_disorder;
    if (p.state != ProcessState::Running) recount_lost(p, beyond);  // a late call of an ended process
    size_t fn_index = f.function ? static_cast<size_t>(*f.function) : function_stats_.index_of(c.fn);
    if (fn_index >= kFunctionCount) ++counters_.unknown_functions;
    const bool error = is_error(f.function, c.rv);
    const bool ok = c.rv == 0;
    const int64_t end_us = saturating_add(f.h.ts_us, c.dur_ns / 1000);
    latest_ts_us_ = std::max(latest_ts_us_, end_us);
    const int reader = call_reader(p, f);

    checker_.on_call(p, f, error);

    FunctionStats& fs = function_stats_.row(fn_index);
    fs.stats.add(c.dur_ns, error);
    fs.durations.add(c.dur_ns);
    p.stats.add(c.dur_ns, error);
    p.rate.add(f.h.ts_us);
    p.last_us = std::max(p.last_us, end_us);
    p.last_seq = std::max(p.last_seq, c.seq);
    (error ? p.activity.last_error_us : p.activity.last_success_us) = end_us;
    ++t.calls;
    t.last_ts_us = std::max(t.last_ts_us, end_us);
    cap_threads(p);

    CallRecord rec;
    rec.ordinal = ++counters_.calls;
    rec.position = event_count_;
    rec.seq = c.seq;
    rec.ts_us = f.h.ts_us;
    rec.dur_ns = c.dur_ns;
    rec.rv = c.rv;
    rec.pid = f.h.pid;
    rec.tid = f.h.tid;
    rec.process = static_cast<uint32_t>(p.index);
    rec.fn = static_cast<uint16_t>(fn_index);
    if (error) rec.flags |= CallRecord::kError;
    rec.handle = f.args.hCard.value_or(f.args.hContext.value_or(0));

    update_handles(p, f, ok, reader);
    cap_handles(p);
    cap_allocations(p);
    update_readers(p, f, ok, reader, rec);
    if (reader >= 0) {
        ReaderInfo& r = readers_[reader];
        r.stats.add(c.dur_ns, error);
        (error ? r.activity.last_error_us : r.activity.last_success_us) = end_us;
    }
    rec.reader = static_cast<int16_t>(reader < INT16_MAX ? reader : -1);
    return keep_call(std::move(rec), raw);
}

// The reader a call is on: named by the event, else its card handle's, else the
// one a call that creates a card handle connects to.
int SessionModel::call_reader(const ProcessInfo& p, const EventFacts& f) {
    if (f.call.reader && !f.call.reader->empty()) return reader_index(*f.call.reader);
    if (f.args.hCard)
        if (auto it = p.cards.find(*f.args.hCard); it != p.cards.end() && it->second.reader >= 0)
            return it->second.reader;
    if (has_effect(f.function, Effect::CreatesCard) && f.args.szReader) return reader_index(*f.args.szReader);
    return -1;
}

const CallRecord* SessionModel::keep_call(CallRecord rec, std::string_view raw) {
    if (options_.history == 0) {
        ++counters_.evicted_calls;
        std::string raw_buffer = std::move(last_call_.raw);  // reuses its capacity line after line
        raw_buffer.assign(raw);
        last_call_ = std::move(rec);
        last_call_.raw = std::move(raw_buffer);
        return &last_call_;
    }
    rec.raw.assign(raw);
    kept_bytes_ += history_bytes_of(rec);
    calls_.push_back(std::move(rec));
    const size_t bound = history_bytes_bound();
    while (calls_.size() > options_.history || (kept_bytes_ > bound && calls_.size() > 1)) {
        kept_bytes_ -= std::min(kept_bytes_, history_bytes_of(calls_.front()));
        calls_.pop_front();
        ++counters_.evicted_calls;
    }
    return &calls_.back();
}

size_t SessionModel::history_bytes_of(const CallRecord& c) const {
    return sizeof(CallRecord) + memory::heap(c.raw) + memory::heap(c.apdu);
}

// What the call's effects (protocol/pcsc_api.def) do to the process's contexts,
// card handles and autoallocated memory.
void SessionModel::update_handles(ProcessInfo& p, const EventFacts& f, bool ok, int reader) {
    const CallArgumentFacts& a = f.args;
    const uint64_t seq = f.call.seq;
    const auto does = [&](Effect e) { return has_effect(f.function, e); };
    for (int64_t ptr : a.allocations) p.allocations.insert(ptr);
    if (does(Effect::CreatesContext)) {
        if (ok && a.out_context) p.contexts[*a.out_context] = ContextInfo{seq, false, 0};
        return;
    }
    if (does(Effect::EndsContext)) {
        if (ok && a.hContext) {
            ContextInfo& c = p.contexts[*a.hContext];
            c.released = true;
            c.released_seq = seq;
        }
        return;
    }
    if (does(Effect::FreesMemory) && ok && a.pvMem) p.allocations.erase(*a.pvMem);
    if (does(Effect::CreatesCard)) {
        if (ok && a.out_card) {
            CardInfo c;
            c.context = a.hContext.value_or(0);
            c.reader = reader;
            c.connected_seq = seq;
            c.protocol = a.out_protocol.value_or(0);
            p.cards[*a.out_card] = c;
        }
        return;
    }
    // A handle in use that this process got before it was traced: learn it, so
    // that its reader and later misuse are known (not reported as leaked).
    if (ok && a.hContext && !p.contexts.count(*a.hContext)) p.contexts[*a.hContext] = ContextInfo{};
    if (a.hCard) update_card_handle(p, f, ok, reader);
}

void SessionModel::update_card_handle(ProcessInfo& p, const EventFacts& f, bool ok, int reader) {
    const CallArgumentFacts& a = f.args;
    const auto does = [&](Effect e) { return has_effect(f.function, e); };
    auto it = p.cards.find(*a.hCard);
    if (it == p.cards.end()) {
        if (!ok) return;
        CardInfo c;
        c.reader = reader;
        it = p.cards.emplace(*a.hCard, c).first;
    }
    CardInfo& card = it->second;
    if (card.reader < 0) card.reader = reader;
    if (!ok) return;
    auto release_reader_transaction = [&] {
        if (card.reader >= 0) {
            ReaderInfo& r = readers_[card.reader];
            if (r.transaction_pid && r.transaction_process == p.index) r.transaction_pid.reset();
        }
    };
    if (does(Effect::ResetsCard)) {
        if (a.out_protocol) card.protocol = *a.out_protocol;
        if (card.decoder) card.decoder->reset();  // the card was reset: nothing selected
    } else if (does(Effect::EndsCard)) {
        card.disconnected = true;
        card.disconnected_seq = f.call.seq;
        if (card.transaction) release_reader_transaction();
        card.transaction.reset();
    } else if (does(Effect::BeginsTransaction)) {
        card.transaction = TransactionInfo{f.call.seq, saturating_add(f.h.ts_us, f.call.dur_ns / 1000)};
        if (card.reader >= 0) {
            ReaderInfo& r = readers_[card.reader];
            r.transaction_pid = p.pid;
            r.transaction_process = p.index;
            r.transaction_since_us = card.transaction->since_us;
        }
    } else if (does(Effect::EndsTransaction)) {
        if (card.transaction) release_reader_transaction();
        card.transaction.reset();
        if (a.dwDisposition.value_or(0) != 0 && card.decoder) card.decoder->reset();
    }
}

// What a call tells about the readers and their cards, by function.
void SessionModel::update_readers(ProcessInfo& p, const EventFacts& f, bool ok, int reader, CallRecord& rec) {
    const CallArgumentFacts& a = f.args;
    const int64_t rv = f.call.rv;
    if (f.function) switch (*f.function) {
        case PcscFunction::SCardTransmit: apply_transmit(p, f, ok, reader, rec); break;
        case PcscFunction::SCardControl: apply_control(f, ok, reader, rec); break;
        case PcscFunction::SCardListReaders:
            if (ok)
                for (const std::string& name : a.readers_listed)
                    if (!is_pnp_notification(name)) reader_index(name);
            break;
        case PcscFunction::SCardGetStatusChange:
            if (ok || rv_is(rv, SCARD_E_TIMEOUT)) apply_reader_states(a.reader_states);
            break;
        case PcscFunction::SCardStatus: apply_status(a, ok, reader); break;
        case PcscFunction::SCardConnect:
            // A direct connection reaches the reader, card or not.
            if (ok && reader >= 0 && a.dwShareMode != SCARD_SHARE_DIRECT) card_present(reader, "");
            break;
        default: break;
    }
    // Errors that say the card left (any call on the reader).
    if (reader >= 0 && (rv_is(rv, SCARD_W_REMOVED_CARD) || rv_is(rv, SCARD_E_NO_SMARTCARD))) card_gone(reader);
}

void SessionModel::card_gone(int reader) {
    ReaderInfo& r = readers_[reader];
    if (r.shared) return;
    r.card_present = false;
    r.atr.clear();
    r.card_name.clear();
}

void SessionModel::card_present(int reader, std::string_view atr_hex) {
    ReaderInfo& r = readers_[reader];
    if (r.shared) return;
    r.card_present = true;
    if (atr_hex.empty()) return;
    Bytes atr = bytes_of(atr_hex);
    if (atr != r.atr) {
        r.atr = std::move(atr);
        r.card_name = card_name_of(r.atr);
    }
}

// A transmit: the APDU's header and status word into the record, the exchange
// decoded in its handle's applet context, the reader's counters.
void SessionModel::apply_transmit(ProcessInfo& p, const EventFacts& f, bool ok, int reader, CallRecord& rec) {
    const CallArgumentFacts& a = f.args;
    record_apdu(a, ok, rec);
    if (rec.has_apdu() && a.hCard)
        if (auto it = p.cards.find(*a.hCard); it != p.cards.end()) {
            std::shared_ptr<ApduDecoder>& decoder = it->second.decoder;
            if (!decoder) decoder = std::make_shared<ApduDecoder>();
            DecodedExchange d = decoder->feed(bytes_of(*a.send_hex), ok && a.recv_hex ? bytes_of(*a.recv_hex) : Bytes{},
                                              f.call.seq);
            rec.applet = applet_index(d.applet_name);
            rec.applet_kind = static_cast<uint8_t>(d.applet);
            if (d.is_secret()) rec.flags |= CallRecord::kSecret;
            rec.apdu = d.summary();
            last_exchange_ = std::move(d);
            last_exchange_ordinal_ = rec.ordinal;
        }
    p.apdus += ok ? 1 : 0;
    if (reader < 0 || !ok) return;
    ReaderInfo& r = readers_[reader];
    ++r.apdus;
    r.bytes_sent += rec.sent;
    r.bytes_received += rec.received;
    if (rec.has_sw()) {
        r.last_sw = rec.sw;
        ++r.sw_classes[static_cast<size_t>(describe_sw(rec.sw).cls)];
    }
}

void SessionModel::record_apdu(const CallArgumentFacts& a, bool ok, CallRecord& rec) {
    if (a.send_hex) {
        rec.sent = static_cast<uint32_t>(a.send_hex->size() / 2);
        int cla = hex_byte(*a.send_hex, 0), ins = hex_byte(*a.send_hex, 1), p1 = hex_byte(*a.send_hex, 2),
            p2 = hex_byte(*a.send_hex, 3);
        if (cla >= 0 && ins >= 0 && p1 >= 0 && p2 >= 0) {
            rec.flags |= CallRecord::kHasApdu;
            rec.cla = static_cast<uint8_t>(cla);
            rec.ins = static_cast<uint8_t>(ins);
            rec.p1 = static_cast<uint8_t>(p1);
            rec.p2 = static_cast<uint8_t>(p2);
        }
    }
    if (ok && a.recv_hex) {
        rec.received = static_cast<uint32_t>(a.recv_hex->size() / 2);
        if (rec.received >= 2) {
            int sw1 = hex_byte(*a.recv_hex, rec.received - 2), sw2 = hex_byte(*a.recv_hex, rec.received - 1);
            if (sw1 >= 0 && sw2 >= 0) {
                rec.flags |= CallRecord::kHasSw;
                rec.sw = static_cast<uint16_t>(sw1 << 8 | sw2);
            }
        }
    }
}

// A control: its byte counts, and the reader's part 10 features when it answers
// CM_IOCTL_GET_FEATURE_REQUEST.
void SessionModel::apply_control(const EventFacts& f, bool ok, int reader, CallRecord& rec) {
    const CallArgumentFacts& a = f.args;
    if (a.send_hex) rec.sent = static_cast<uint32_t>(a.send_hex->size() / 2);
    if (ok && a.recv_hex) rec.received = static_cast<uint32_t>(a.recv_hex->size() / 2);
    if (ok && reader >= 0 && !readers_[reader].shared && a.dwControlCode == kGetFeatureRequest && a.recv_hex) {
        auto parsed = parse_feature_list(bytes_of(*a.recv_hex));
        readers_[reader].features = std::move(parsed.value);
    }
}

// SCardGetStatusChange's answer: each named reader's state, card and ATR.
void SessionModel::apply_reader_states(const std::vector<ReaderStateFacts>& states) {
    for (const ReaderStateFacts& s : states) {
        if (!s.event_state || s.reader.empty() || is_pnp_notification(s.reader)) continue;
        int64_t es = *s.event_state;
        if (es & SCARD_STATE_UNKNOWN) continue;
        int idx = reader_index(s.reader);
        readers_[idx].event_state = es;
        if (es & SCARD_STATE_PRESENT) card_present(idx, s.atr_hex);
        else if (es & SCARD_STATE_EMPTY) card_gone(idx);
    }
}

void SessionModel::apply_reader_report(const ReaderReport& report) {
    ReaderServiceInfo& svc = reader_service_;
    if (svc.state != report.service || svc.detail != report.detail) {
        svc.state = report.service;
        svc.detail = report.detail;
        svc.since_us = report.ts_us;
    }
    ++svc.reports;
    std::vector<bool> listed(readers_.size());
    if (report.service == ReaderService::Running)
        for (const WatchedReader& w : report.readers) {
            if (w.name.empty() || is_pnp_notification(w.name)) continue;
            const int idx = reader_index(w.name);
            if (listed.size() < readers_.size()) listed.resize(readers_.size());
            listed[static_cast<size_t>(idx)] = true;
            ReaderInfo& r = readers_[static_cast<size_t>(idx)];
            if (r.shared) continue;
            r.attached = true;
            const int64_t es = static_cast<int64_t>(w.event_state);
            if (es & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) continue;
            r.event_state = es;
            if (es & SCARD_STATE_PRESENT) {
                const bool was = r.card_present == true;
                const Bytes before = r.atr;
                card_present(idx, w.atr_hex);
                if (!was || r.atr != before) r.activity.last_card_us = report.ts_us;
            } else if (es & SCARD_STATE_EMPTY) {
                if (r.card_present == true) r.activity.last_card_us = report.ts_us;
                card_gone(idx);
            }
        }
    // A reader pcscd no longer lists (unplugged, or pcscd gone) is gone, and so is its card.
    for (size_t i = 0; i < readers_.size(); ++i) {
        ReaderInfo& r = readers_[i];
        if (r.attached != true || (i < listed.size() && listed[i])) continue;
        r.attached = false;
        if (r.card_present == true) r.activity.last_card_us = report.ts_us;
        if (r.card_present) card_gone(static_cast<int>(i));
    }
    ++generation_;
}

// SCardStatus: the card of the handle's reader (named in the answer, else known).
void SessionModel::apply_status(const CallArgumentFacts& a, bool ok, int reader) {
    int idx = reader;
    if (ok && a.reader_name_out && !a.reader_name_out->empty()) idx = reader_index(*a.reader_name_out);
    if (!ok || idx < 0 || !a.out_state) return;
    if (*a.out_state & SCARD_ABSENT) card_gone(idx);
    else if (*a.out_state & (SCARD_PRESENT | SCARD_SWALLOWED | SCARD_POWERED | SCARD_NEGOTIABLE | SCARD_SPECIFIC))
        card_present(idx, a.atr_hex.value_or(""));
}

std::optional<DecodedExchange> SessionModel::decode_exchange(uint64_t ordinal) const {
    if (last_exchange_ && ordinal == last_exchange_ordinal_) return last_exchange_;
    const CallRecord* target = call_at(ordinal);
    if (!target || !target->has_apdu()) return std::nullopt;
    ApduDecoder decoder;
    EventFacts facts;
    std::optional<DecodedExchange> result;
    for (const CallRecord& c : calls_) {
        if (c.ordinal > ordinal) break;
        if (c.process != target->process || c.handle != target->handle || !c.has_apdu()) continue;
        if (read_event_facts(c.raw, facts) || !facts.args.send_hex) continue;
        Bytes response = c.rv == 0 && facts.args.recv_hex ? bytes_of(*facts.args.recv_hex) : Bytes{};
        DecodedExchange d = decoder.feed(bytes_of(*facts.args.send_hex), response, c.seq);
        if (c.ordinal == ordinal) result = std::move(d);
    }
    return result;
}

// ---- memory: estimate, caps, budget

void SessionModel::refresh_bytes(ProcessInfo& p) {
    constexpr size_t kDecoder = memory::block(sizeof(ApduDecoder) + 32) + 256;  // with its channels' state
    const size_t bytes = p.hello_bytes + p.in_flight_bytes + p.kept_bytes +
                         p.in_flight.size() * memory::kTreeNode<std::pair<const uint64_t, InFlightCall>> +
                         p.threads.size() * memory::kTreeNode<std::pair<const int64_t, ThreadInfo>> +
                         memory::hash_table(p.contexts) + memory::hash_table(p.cards) + p.cards.size() * kDecoder +
                         memory::hash_table(p.allocations) +
                         p.seqs.entries() * memory::kTreeNode<std::pair<const uint64_t, uint64_t>>;
    process_bytes_ = process_bytes_ - std::min(process_bytes_, p.heap_bytes) + bytes;
    p.heap_bytes = bytes;
}

size_t SessionModel::memory_bytes() const {
    const size_t processes = processes_.capacity() * sizeof(ProcessInfo) + process_bytes_ +
                             memory::hash_table(process_of_pid_);
    const size_t history = kept_bytes_ + memory::block(sizeof(CallRecord) * 64);  // the deque's blocks
    const size_t kept = kept_events_.capacity() * sizeof(KeptEvent) + kept_event_bytes_;
    const size_t readers = readers_.capacity() * sizeof(ReaderInfo) + reader_bytes_;
    const size_t functions = function_stats_.rows().capacity() * (sizeof(FunctionStats) + 512);
    return sizeof(*this) + processes + history + kept + readers + functions + checker_.memory_bytes();
}

void SessionModel::cap_in_flight(ProcessInfo& p) {
    while (p.in_flight.size() > kMaxInFlightPerProcess) {  // the oldest waits no more: unmatched
        auto oldest = p.in_flight.begin();
        // As at the process's end (end_process): still running unless its thread went on.
        auto t = p.threads.find(oldest->second.tid);
        if (t == p.threads.end() || t->second.last_seq <= oldest->first) p.seqs.add_unfinished(oldest->first);
        p.in_flight_bytes -= std::min(p.in_flight_bytes, memory::heap(oldest->second.fn));
        p.in_flight.erase(oldest);
        ++counters_.unmatched_begins;
        ++folded_.begins;
        ++p.folded_entries;
    }
}

void SessionModel::cap_threads(ProcessInfo& p) {
    if (p.threads.size() <= kMaxThreadsPerProcess) return;
    // Down to 90 %, least recently active first (amortised: one sort per tenth).
    std::vector<std::pair<int64_t, int64_t>> by_age;  // last_ts_us, tid
    by_age.reserve(p.threads.size());
    for (const auto& [tid, t] : p.threads) by_age.emplace_back(t.last_ts_us, tid);
    std::sort(by_age.begin(), by_age.end());
    const size_t drop = p.threads.size() - kMaxThreadsPerProcess * 9 / 10;
    for (size_t i = 0; i < drop; ++i) p.threads.erase(by_age[i].second);
    folded_.threads += drop;
    p.folded_entries += drop;
}

namespace {

// Drops entries of a handle table past the caps: closed ones beyond
// kMaxClosedHandlesPerProcess (the oldest closed first), then any beyond
// kMaxHandlesPerProcess (the oldest opened first). Returns how many went.
template <class Table, class Closed, class Opened, class ClosedAt>
size_t cap_table(Table& table, size_t& checked_at, Closed closed, Opened opened, ClosedAt closed_at) {
    // Looked at when the table grew by a quarter of the cap since the last look:
    // a linear pass at most every kMaxClosedHandlesPerProcess / 4 new entries.
    if (table.size() < checked_at + kMaxClosedHandlesPerProcess / 4) {
        checked_at = std::min(checked_at, table.size());
        return 0;
    }
    std::vector<std::pair<uint64_t, int64_t>> shut, open;  // seq, handle
    for (const auto& [h, e] : table) (closed(e) ? shut : open).emplace_back(closed(e) ? closed_at(e) : opened(e), h);
    size_t dropped = 0;
    if (shut.size() > kMaxClosedHandlesPerProcess) {
        std::sort(shut.begin(), shut.end());
        for (size_t i = 0; i + kMaxClosedHandlesPerProcess / 2 < shut.size(); ++i, ++dropped) table.erase(shut[i].second);
    }
    if (open.size() > kMaxHandlesPerProcess) {
        std::sort(open.begin(), open.end());
        for (size_t i = 0; i + kMaxHandlesPerProcess * 9 / 10 < open.size(); ++i, ++dropped) table.erase(open[i].second);
    }
    checked_at = table.size();
    return dropped;
}

}  // namespace

void SessionModel::cap_handles(ProcessInfo& p) {
    const size_t contexts = cap_table(
        p.contexts, p.contexts_checked_at, [](const ContextInfo& c) { return c.released; },
        [](const ContextInfo& c) { return c.established_seq; }, [](const ContextInfo& c) { return c.released_seq; });
    const size_t cards = cap_table(
        p.cards, p.cards_checked_at, [](const CardInfo& c) { return c.disconnected; },
        [](const CardInfo& c) { return c.connected_seq; }, [](const CardInfo& c) { return c.disconnected_seq; });
    folded_.contexts += contexts;
    folded_.cards += cards;
    p.folded_entries += contexts + cards;
}

void SessionModel::cap_allocations(ProcessInfo& p) {
    if (p.allocations.size() <= kMaxAllocationsPerProcess) return;
    // No order is known among the buffers: any go (the checker then stops
    // judging this process's frees: folded_entries).
    size_t drop = p.allocations.size() - kMaxAllocationsPerProcess * 9 / 10;
    folded_.allocations += drop;
    p.folded_entries += drop;
    while (drop--) p.allocations.erase(p.allocations.begin());
}

void SessionModel::enforce_budget() {
    const size_t budget = options_.memory_budget;
    size_t bytes = memory_bytes();
    if (bytes <= budget) {
        fold_again_above_ = 0;
        return;
    }
    if (bytes < fold_again_above_) return;  // the last fold could not get under it: wait for more
    // Exited processes, oldest exit first, until 90 % of the budget would be reached.
    std::vector<std::pair<int64_t, size_t>> ended;  // exit_us, position
    for (size_t i = 0; i < processes_.size(); ++i)
        if (processes_[i].state != ProcessState::Running) ended.emplace_back(processes_[i].exit_us, i);
    std::sort(ended.begin(), ended.end());
    const size_t target = budget / 10 * 9;
    std::vector<size_t> fold;
    for (const auto& [exit_us, i] : ended) {
        if (bytes <= target) break;
        const ProcessInfo& p = processes_[i];
        const size_t freed = p.heap_bytes + memory::kHashNode<std::pair<int64_t, size_t>>;
        bytes -= std::min(bytes, freed);
        fold.push_back(i);
    }
    std::sort(fold.begin(), fold.end());
    fold_processes(fold, true);
    // Still above (running processes, the history): try again only once the
    // model grew by another sixteenth of the budget (no scan per event).
    bytes = memory_bytes();
    fold_again_above_ = bytes > budget ? bytes + budget / 16 : 0;
}

// Removes the processes at these positions (ascending) with everything they
// held; with `count`, their figures go to folded_ (not for processes a
// document's totals already count).
void SessionModel::fold_processes(const std::vector<size_t>& positions, bool count) {
    if (positions.empty()) return;
    std::vector<size_t> indexes;
    indexes.reserve(positions.size());
    for (size_t i : positions) {
        ProcessInfo& p = processes_[i];
        indexes.push_back(p.index);
        if (count) {
            ++folded_.processes;
            ++(p.state == ProcessState::Exited ? folded_.exited : folded_.disconnected);
            if (p.stats.calls) {
                CallStats& s = folded_.stats;
                if (s.calls == 0 || p.stats.min_ns < s.min_ns) s.min_ns = p.stats.min_ns;
                if (s.calls == 0 || p.stats.max_ns > s.max_ns) s.max_ns = p.stats.max_ns;
                s.calls = saturating_add(s.calls, p.stats.calls);
                s.errors = saturating_add(s.errors, p.stats.errors);
                s.total_ns = saturating_add(s.total_ns, p.stats.total_ns);
            }
            folded_.apdus = saturating_add(folded_.apdus, p.apdus);
            folded_.lost_events = saturating_add(folded_.lost_events, p.lost());
        }
        if (auto it = process_of_pid_.find(p.pid); it != process_of_pid_.end() && it->second == p.index)
            process_of_pid_.erase(it);
        process_bytes_ -= std::min(process_bytes_, p.heap_bytes);
        checker_.forget_process(p.index);
    }
    // indexes ascend with positions (processes_ is sorted by index).
    const auto folded = [&](size_t index) { return std::binary_search(indexes.begin(), indexes.end(), index); };
    std::erase_if(processes_, [&](const ProcessInfo& p) { return folded(p.index); });
    std::erase_if(kept_events_, [&](const KeptEvent& e) {
        if (e.process == SIZE_MAX || !folded(e.process)) return false;
        kept_event_bytes_ -= std::min(kept_event_bytes_, memory::heap(e.raw));
        return true;
    });
    ++generation_;
}

void SessionModel::drop_processes(const std::vector<size_t>& indexes) {
    std::vector<size_t> sorted = indexes;
    std::sort(sorted.begin(), sorted.end());
    std::vector<size_t> positions;
    for (size_t i = 0; i < processes_.size(); ++i)
        if (std::binary_search(sorted.begin(), sorted.end(), processes_[i].index)) positions.push_back(i);
    fold_processes(positions, false);
}

void SessionModel::restore_folded(const FoldedTotals& f) {
    folded_ = f;
    ++generation_;
}

void SessionModel::restore_function_stats(FunctionStatsTable table) {
    function_stats_ = std::move(table);
    ++generation_;
}

void SessionModel::restore_findings(std::vector<Finding> findings, std::set<size_t> ended_processes) {
    checker_.restore(std::move(findings), std::move(ended_processes));
    ++generation_;
}

void SessionModel::restore_counters(const ModelCounters& c) {
    counters_ = c;
    ++generation_;
}

}  // namespace pcscspy
