// The application's session as the dashboard sees it
// (monitor/views/dashboard/run_dashboard.hpp). Only pcscspy-top's main, which
// links the dashboard, includes it.
#pragma once

#include "monitor/app/monitor_session.hpp"
#include "monitor/app/socket_hint.hpp"
#include "monitor/views/dashboard/run_dashboard.hpp"

namespace pcscspy {

class SessionDashboardHost final : public dashboard::DashboardHost {
public:
    explicit SessionDashboardHost(MonitorSession& session) : s_(session) {}

    const SessionModel& model() const override { return s_.model(); }
    dashboard::SessionInfo info() const override {
        dashboard::SessionInfo info;
        info.live = s_.live();
        info.source = s_.live() ? s_.socket_path() : s_.options().replay.value_or("");
        if (s_.live()) {
            info.trace_command = trace_command_for(s_.socket_path());
            // The system-wide capture sees the user's programs whatever their socket.
            if (!s_.capturing()) info.socket_warning = sudo_hint().value_or("");
        }
        if (const auto& command = s_.command()) {
            info.command = command->description;
            info.command_log = command->log_path;
        }
        info.capture_notice = s_.capture_notice();
        info.capturing = s_.capturing();
        return info;
    }
    std::string replay_error() const override { return s_.replay_report() ? s_.replay_report()->error : ""; }
    int poll_fd() const override { return s_.poll_fd(); }
    void pump() override { s_.pump(0); }
    bool stop_requested() const override { return s_.stop_requested(); }
    std::optional<int> command_status() const override { return s_.command_status(); }
    const std::vector<std::string>& warnings() const override { return s_.warnings(); }
    std::string dump_path() const override { return s_.dump_path(); }
    std::optional<std::string> dump_to(const std::string& path) const override { return s_.dump_to(path); }

private:
    MonitorSession& s_;
};

}  // namespace pcscspy
