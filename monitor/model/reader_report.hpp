// What the monitor's own reader watcher (monitor/readers/) tells the session
// model, as pcsc_scan would see it: whether pcscd answers, and the readers it
// knows now with their state and card. Plain data through an API of its own
// (SessionModel::apply_reader_report): it never comes from a traced program,
// is never an event of the stream, and counts in no call statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/xlat.hpp"

namespace pcscspy {

enum class ReaderService : uint8_t {
    NotWatched,  // no watcher (replays, text mode, --no-reader-watch)
    NoLibrary,   // libpcsclite could not be loaded
    NoService,   // pcscd is not running, or stopped
    Running,     // pcscd answers: the report lists its readers
};
inline constexpr Named kReaderServices[] = {
    {static_cast<uint64_t>(ReaderService::NotWatched), "not watched"},
    {static_cast<uint64_t>(ReaderService::NoLibrary), "no libpcsclite"},
    {static_cast<uint64_t>(ReaderService::NoService), "pcscd is not running"},
    {static_cast<uint64_t>(ReaderService::Running), "pcscd running"},
};

struct WatchedReader {
    std::string name;
    uint64_t event_state = 0;  // SCARD_STATE_* as SCardGetStatusChange answered
    std::string atr_hex;       // upper-case hex, "" without a card
};

struct ReaderReport {
    ReaderService service = ReaderService::NotWatched;
    std::string detail;  // why, for NoLibrary and NoService (one line)
    int64_t ts_us = 0;   // when the watcher saw it (wall clock)
    std::vector<WatchedReader> readers;  // Running: every reader pcscd knows
};

// The watcher's view of the service, kept by the model.
struct ReaderServiceInfo {
    ReaderService state = ReaderService::NotWatched;
    std::string detail;
    int64_t since_us = 0;  // when it entered this state
    uint64_t reports = 0;
};

}  // namespace pcscspy
