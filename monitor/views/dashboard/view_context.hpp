// Everything the view-model reads besides the user's choices: the model, what
// the session is (live socket or replay, launched command), the clock, and how
// text may be drawn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

struct SessionInfo {
    bool live = false;
    std::string source;        // the socket path, or the replayed file
    std::string trace_command = "pcscspy-run -- CMD";  // the pcscspy-run line whose programs reach this socket
    std::string socket_warning;  // why some programs do not reach it (a monitor run through sudo), or ""
    std::string command;       // the launched command ("" none)
    std::string command_log;   // where its output goes
    std::optional<int> command_status;  // once it has exited
    int64_t started_us = 0;    // when the monitor started (uptime of a live session)
    std::string capture_notice;  // what the system-wide capture sees, or how to have it ("" none)
    bool capturing = false;      // it runs
};

// Thresholds of the "what is it doing now" column.
struct Patience {
    int64_t blocked_us = 2'000'000;      // a call (other than a status-change wait) in flight longer is "blocked"
    int64_t transaction_us = 5'000'000;  // a transaction held longer is shown as a warning
};

struct ViewContext {
    const SessionModel& model;
    const SessionInfo& info;
    int64_t now_us = 0;  // live: the wall clock; replay: the last event's time
    bool show_secrets = false;
    Glyphs glyphs;
    Patience patience;
};

}  // namespace pcscspy::dashboard
