#include "monitor/model/correctness_checker.hpp"

#include <algorithm>
#include <cstdio>

#include "monitor/model/memory_estimate.hpp"
#include "protocol/pcsc_functions.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

namespace {

std::string seq_text(uint64_t seq) { return "call #" + std::to_string(seq); }

std::string ms_text(int64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(us) / 1e6);
    return buf;
}

int64_t end_us(const EventFacts& f) {
    int64_t end;
    return __builtin_add_overflow(f.h.ts_us, f.call.dur_ns / 1000, &end) ? INT64_MAX : end;  // peer values
}

}  // namespace

void CorrectnessChecker::add(const ProcessInfo& p, FindingKind kind, uint64_t seq, int64_t ts_us, std::string explanation) {
    if (findings_.size() >= kMaxFindings) {
        ++dropped_;
        return;
    }
    findings_.push_back(Finding{kind, p.index, p.pid, seq, ts_us, std::move(explanation)});
    finding_bytes_ += memory::heap(findings_.back().explanation);
}

bool CorrectnessChecker::once(const ProcessInfo& p, FindingKind kind, int64_t handle) {
    if (findings_.size() >= kMaxFindings) return true;  // dropped by add(): nothing to remember
    return reported_.emplace(p.index, kind, handle).second;
}

void CorrectnessChecker::forget_process(size_t process) {
    reported_.erase(reported_.lower_bound({process, FindingKind{}, INT64_MIN}),
                    reported_.lower_bound({process + 1, FindingKind{}, INT64_MIN}));
    polling_.erase(process);
    errors_.erase(process);
    ended_.erase(process);
}

size_t CorrectnessChecker::memory_bytes() const {
    using namespace memory;
    return findings_.capacity() * sizeof(Finding) + finding_bytes_ +
           reported_.size() * kTreeNode<std::tuple<size_t, FindingKind, int64_t>> +
           ended_.size() * kTreeNode<size_t> + (polling_.size() + errors_.size()) * kTreeNode<std::pair<size_t, Window>>;
}

void CorrectnessChecker::on_call(const ProcessInfo& p, const EventFacts& f, bool error) {
    check_handles(p, f);
    check_transaction(p, f);
    check_free(p, f);
    check_polling(p, f);
    check_errors(p, f, error);
}

void CorrectnessChecker::check_handles(const ProcessInfo& p, const EventFacts& f) {
    if (!f.function) return;
    FunctionTarget target = function_info(*f.function).target;
    // A handle the process never obtained is only a finding when nothing of the
    // process was missed: traced from its hello on, and no event lost.
    const bool complete = p.hello_seen && p.lost() == 0 && p.folded_entries == 0;
    if (target == FunctionTarget::Context && f.args.hContext) {
        int64_t h = *f.args.hContext;
        auto it = p.contexts.find(h);
        if (it != p.contexts.end() && it->second.released) {
            if (once(p, FindingKind::ReleasedHandle, h))
                add(p, FindingKind::ReleasedHandle, f.call.seq, f.h.ts_us,
                    f.call.fn + " on context " + hex_value(static_cast<uint64_t>(h)) + " released by " +
                        seq_text(it->second.released_seq));
        } else if (it == p.contexts.end() && complete) {
            if (once(p, FindingKind::UnknownHandle, h))
                add(p, FindingKind::UnknownHandle, f.call.seq, f.h.ts_us,
                    f.call.fn + " on context " + hex_value(static_cast<uint64_t>(h)) +
                        " that this process never established");
        }
    } else if (target == FunctionTarget::Card && f.args.hCard) {
        int64_t h = *f.args.hCard;
        auto it = p.cards.find(h);
        if (it != p.cards.end() && it->second.disconnected) {
            if (once(p, FindingKind::ReleasedHandle, h))
                add(p, FindingKind::ReleasedHandle, f.call.seq, f.h.ts_us,
                    f.call.fn + " on card handle " + hex_value(static_cast<uint64_t>(h)) + " disconnected by " +
                        seq_text(it->second.disconnected_seq));
        } else if (it == p.cards.end() && complete) {
            if (once(p, FindingKind::UnknownHandle, h))
                add(p, FindingKind::UnknownHandle, f.call.seq, f.h.ts_us,
                    f.call.fn + " on card handle " + hex_value(static_cast<uint64_t>(h)) +
                        " that this process never connected");
        }
    }
}

void CorrectnessChecker::check_transaction(const ProcessInfo& p, const EventFacts& f) {
    const bool ends = has_effect(f.function, Effect::EndsTransaction);
    if (!ends && !has_effect(f.function, Effect::EndsCard)) return;
    if (!f.args.hCard) return;
    auto it = p.cards.find(*f.args.hCard);
    if (it == p.cards.end() || it->second.disconnected) return;  // reported as a handle problem
    const CardInfo& card = it->second;
    if (!card.transaction) {
        if (ends)
            add(p, FindingKind::EndWithoutBegin, f.call.seq, f.h.ts_us,
                f.call.fn + " on card handle " + hex_value(static_cast<uint64_t>(*f.args.hCard)) +
                    " without a transaction in progress");
        return;
    }
    int64_t held = end_us(f) - card.transaction->since_us;
    if (held > t_.long_transaction_us)
        add(p, FindingKind::LongTransaction, card.transaction->seq, card.transaction->since_us,
            "transaction begun by " + seq_text(card.transaction->seq) + " held for " + ms_text(held) +
                " (ended by " + seq_text(f.call.seq) + ")");
}

void CorrectnessChecker::check_free(const ProcessInfo& p, const EventFacts& f) {
    if (!has_effect(f.function, Effect::FreesMemory) || !f.args.pvMem) return;
    if (p.allocations.count(*f.args.pvMem) || p.folded_entries) return;  // (folded: not known any more)
    add(p, FindingKind::FreeNotAllocated, f.call.seq, f.h.ts_us,
        f.call.fn + "(" + hex_value(static_cast<uint64_t>(*f.args.pvMem), 1) +
            ") on memory no SCARD_AUTOALLOCATE call returned (or already freed)");
}

void CorrectnessChecker::check_polling(const ProcessInfo& p, const EventFacts& f) {
    if (!has_effect(f.function, Effect::WaitsForChange) || f.args.dwTimeout != 0) return;
    Window& w = polling_[p.index];
    if (w.count == 0 || f.h.ts_us - w.start_us > t_.busy_poll_window_us) {
        w.start_us = f.h.ts_us;
        w.count = 0;
        w.first_seq = f.call.seq;
    }
    if (++w.count == t_.busy_poll_calls && !w.reported) {
        w.reported = true;  // once per process: the loop usually goes on
        add(p, FindingKind::BusyPolling, w.first_seq, w.start_us,
            std::to_string(w.count) + " " + f.call.fn + " calls with timeout 0 within " +
                ms_text(f.h.ts_us - w.start_us) + " from " + seq_text(w.first_seq) +
                " (use a timeout, or INFINITE)");
    }
}

void CorrectnessChecker::check_errors(const ProcessInfo& p, const EventFacts& f, bool error) {
    if (!error) return;
    Window& w = errors_[p.index];
    if (w.count == 0 || f.h.ts_us - w.start_us > t_.error_burst_window_us) {
        w.start_us = f.h.ts_us;
        w.count = 0;
        w.first_seq = f.call.seq;
        w.reported = false;  // a new burst may be reported
    }
    if (++w.count == t_.error_burst_calls && !w.reported) {
        w.reported = true;
        add(p, FindingKind::ErrorBurst, w.first_seq, w.start_us,
            std::to_string(w.count) + " failing calls within " + ms_text(f.h.ts_us - w.start_us) + " from " +
                seq_text(w.first_seq) + " to " + seq_text(f.call.seq));
    }
}

void CorrectnessChecker::on_process_end(const ProcessInfo& p) {
    if (!ended_.insert(p.index).second) return;
    auto how = [&](const char* verb) -> std::string {
        if (p.state == ProcessState::Running) return "still open when the session ended";
        return std::string("not ") + verb + " before the process " +
               (p.state == ProcessState::Exited ? "exited" : "disconnected");
    };
    // Deterministic order: by the seq that created the handle.
    std::vector<std::pair<uint64_t, int64_t>> ctxs, cards;
    for (const auto& [h, c] : p.contexts)
        if (!c.released && c.established_seq) ctxs.emplace_back(c.established_seq, h);
    for (const auto& [h, c] : p.cards)
        if (!c.disconnected && c.connected_seq) cards.emplace_back(c.connected_seq, h);
    std::sort(ctxs.begin(), ctxs.end());
    std::sort(cards.begin(), cards.end());
    for (auto [seq, h] : ctxs)
        add(p, FindingKind::ContextNotReleased, seq, p.last_us,
            "context " + hex_value(static_cast<uint64_t>(h)) + " from " + seq_text(seq) + ": " + how("released"));
    for (auto [seq, h] : cards)
        add(p, FindingKind::CardNotDisconnected, seq, p.last_us,
            "card handle " + hex_value(static_cast<uint64_t>(h)) + " from " + seq_text(seq) + ": " + how("disconnected"));
    for (auto [seq, h] : cards) {
        const CardInfo& c = p.cards.at(h);
        if (c.transaction)
            add(p, FindingKind::TransactionLeftOpen, c.transaction->seq, c.transaction->since_us,
                "transaction begun by " + seq_text(c.transaction->seq) + " on card handle " +
                    hex_value(static_cast<uint64_t>(h)) + ": " +
                    (p.state == ProcessState::Running ? "still open when the session ended" : "never ended"));
    }
}

}  // namespace pcscspy
