// What a traced process's seq numbers tell about its calls, for the monitor's
// own count of lost calls (the second line of defence behind the interposer's
// `lost`): which numbers arrived as calls, which were still running when the
// process ended, and so how many of the numbers it gave out never arrived.
//
// Calls are numbered when they start and arrive when they return, so threads
// make them arrive out of order: the ledger keeps the numbers seen as runs of
// consecutive numbers, exact whatever the order, and knows a number seen twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

namespace pcscspy {

class SeqLedger {
public:
    enum class Arrival : uint8_t { New, Repeated };
    // A call's seq; Repeated if a call with that number already came (it is
    // not counted again).
    Arrival add_call(uint64_t seq);
    // A begin's seq: the process numbered it.
    void add_begin(uint64_t seq);
    // A call that had begun and not returned when its process ended: not lost
    // (it never returned), unless it returns after all.
    void add_unfinished(uint64_t seq);

    bool empty() const { return !any_; }
    uint64_t calls() const { return calls_; }  // distinct numbers that came as calls
    uint64_t lowest() const { return lowest_; }
    uint64_t highest() const { return highest_; }
    size_t entries() const { return runs_.size() + unfinished_.size(); }  // for the model's memory estimate

    // The numbers from the lowest seen to max(highest seen, `numbered`) that
    // came neither as a call nor as an unfinished begin. `numbered`: the
    // process's own count of its calls (bye.calls), 0 if unknown. Calls before
    // the lowest number seen are not counted: they were made before the
    // process connected (untraced) or were seen on an earlier connection.
    uint64_t missing(uint64_t numbered) const;

    // Runs kept at most: past this the two oldest are joined, the numbers
    // between them counted missing for good (a call that late is taken as a
    // repeat). Far more gaps than a ring's worth of drops makes.
    static constexpr size_t kMaxRuns = 4096;

private:
    void widen(uint64_t seq);

    std::map<uint64_t, uint64_t> runs_;  // first -> last of each run seen, disjoint and not adjacent
    std::set<uint64_t> unfinished_;
    uint64_t calls_ = 0;
    uint64_t lowest_ = 0;
    uint64_t highest_ = 0;
    bool any_ = false;
};

}  // namespace pcscspy
