// --replay F: a recording (NDJSON, one event per line) or a session document
// (--dump) read into the model, as if the events arrived again. A truncated or
// partly corrupt file is read up to (and, for a recording, past) the damage,
// and every damage is reported: bad lines by number and reason, a cut last line,
// a document broken off at some byte. A file that holds no event at all (a
// folder, a text file, a binary) is an error, not an empty session.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

struct ReplayDamage {
    uint64_t line = 0;  // 1-based line of the file (0: not line-based)
    std::string message;
};

struct ReplayReport {
    bool opened = false;
    bool is_document = false;   // a --dump session document
    uint64_t lines = 0;
    uint64_t events = 0;
    uint64_t damaged = 0;       // lines or parts that could not be read
    std::vector<ReplayDamage> damage;  // the first kMaxDamageListed
    bool truncated = false;     // the file ends in the middle of a line / document
    bool not_a_recording = false;  // a folder, or a file with no event in it (error says which)
    std::string error;          // the file could not be read at all, or is not a recording
    static constexpr size_t kMaxDamageListed = 20;
    bool clean() const { return opened && error.empty() && damaged == 0 && !truncated; }
};

ReplayReport replay_file(const std::string& path, SessionModel& model, const CallSink& on_call = {});

// The report as lines for stderr (empty when the file was clean). Plain text:
// the path and messages are as they are, a view makes them safe to print.
std::vector<std::string> damage_lines(const ReplayReport& r, const std::string& path);

}  // namespace pcscspy
