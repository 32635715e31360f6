// The --check report, built as events arrive (the history is bounded, the
// checker is not): misuse of the PC/SC API by each traced process. The model
// calls it before applying a call's effects, so it sees the handles as they
// were when the program made the call. The dashboard reads the same findings.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "monitor/model/entities.hpp"
#include "monitor/model/event_facts.hpp"
#include "monitor/model/finding.hpp"

namespace pcscspy {

// Findings kept; past it they are counted (a peer cannot make the list grow
// without bound: each bad handle value would otherwise be one more finding).
inline constexpr size_t kMaxFindings = 10'000;

struct CheckerThresholds {
    int busy_poll_calls = 20;                    // SCardGetStatusChange(timeout 0) calls...
    int64_t busy_poll_window_us = 1'000'000;     // ...within this time is busy polling
    int64_t long_transaction_us = 5'000'000;     // a transaction held longer than this
    int error_burst_calls = 10;                  // failing calls...
    int64_t error_burst_window_us = 1'000'000;   // ...within this time
};

class CorrectnessChecker {
public:
    explicit CorrectnessChecker(CheckerThresholds t = {}) : t_(t) {}

    // A call returned; `p` is the process before the call changes anything.
    void on_call(const ProcessInfo& p, const EventFacts& f, bool error);
    // The process ended (bye or connection closed) or the session ends while it
    // runs: report what it left behind, once.
    void on_process_end(const ProcessInfo& p);

    const std::vector<Finding>& findings() const { return findings_; }
    uint64_t findings_dropped() const { return dropped_; }
    void restore_dropped(uint64_t n) { dropped_ = n; }
    // The process was folded into totals: its state goes (its findings stay).
    void forget_process(size_t process);
    // What the checker holds, estimated (monitor/model/memory_estimate.hpp).
    size_t memory_bytes() const;
    // Processes whose leftovers were reported (ended, or the session finished).
    const std::set<size_t>& ended_processes() const { return ended_; }
    void restore(std::vector<Finding> findings, std::set<size_t> ended) {
        findings_ = std::move(findings);
        ended_ = std::move(ended);
    }
    const CheckerThresholds& thresholds() const { return t_; }

private:
    struct Window {
        int64_t start_us = 0;
        int count = 0;
        uint64_t first_seq = 0;
        bool reported = false;
    };
    void add(const ProcessInfo& p, FindingKind kind, uint64_t seq, int64_t ts_us, std::string explanation);
    bool once(const ProcessInfo& p, FindingKind kind, int64_t handle);
    void check_handles(const ProcessInfo& p, const EventFacts& f);
    void check_transaction(const ProcessInfo& p, const EventFacts& f);
    void check_free(const ProcessInfo& p, const EventFacts& f);
    void check_polling(const ProcessInfo& p, const EventFacts& f);
    void check_errors(const ProcessInfo& p, const EventFacts& f, bool error);

    CheckerThresholds t_;
    std::vector<Finding> findings_;
    std::set<std::tuple<size_t, FindingKind, int64_t>> reported_;  // one finding per handle and kind
    std::set<size_t> ended_;
    std::map<size_t, Window> polling_, errors_;
    uint64_t dropped_ = 0;  // findings past kMaxFindings
    size_t finding_bytes_ = 0;
};

}  // namespace pcscspy
