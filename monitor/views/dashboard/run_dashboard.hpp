// The one entry point of the ncurses dashboard: its event loop over a session
// it is given. The session is the application's (monitor/app/), seen through
// DashboardHost, so that the dashboard depends on the model and nothing above it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/view_context.hpp"

namespace pcscspy::dashboard {

// What the dashboard needs of a running session.
class DashboardHost {
public:
    virtual ~DashboardHost() = default;
    virtual const SessionModel& model() const = 0;
    // What the session is; started_us and command_status are the dashboard's to fill.
    virtual SessionInfo info() const = 0;
    // Why the replayed file could not be read ("" when it was, or when live).
    virtual std::string replay_error() const = 0;
    // Readable when pump() has something to do; pump() applies it without waiting.
    virtual int poll_fd() const = 0;
    virtual void pump() = 0;
    virtual bool stop_requested() const = 0;
    virtual std::optional<int> command_status() const = 0;
    // Problems met on the way, one line each (the newest last).
    virtual const std::vector<std::string>& warnings() const = 0;
    // Where `d` writes, and writing there (nullopt on success, else the error).
    virtual std::string dump_path() const = 0;
    virtual std::optional<std::string> dump_to(const std::string& path) const = 0;
};

struct DashboardOptions {
    bool color = true;
    bool show_secrets = false;
};

// Runs until the user quits or the host asks to stop; returns the process exit
// status (the caller then ends the session).
int run_dashboard(DashboardHost& host, const DashboardOptions& options);

}  // namespace pcscspy::dashboard
