// MonitorSession: one run of pcscspy-top, whatever its view. Owns the model, and
// either the replayed file or the live server (with the recorder and the
// launched command), and the signals that end it. Views drive it: the text mode
// and the dashboard call pump() in their loop and read model().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "monitor/app/launcher.hpp"
#include "monitor/app/options.hpp"
#include "monitor/io/apdu_capture.hpp"
#include "monitor/io/recorder.hpp"
#include "monitor/io/replay.hpp"
#include "monitor/metrics/metrics_endpoint.hpp"
#include "monitor/metrics/session_metrics.hpp"
#include "monitor/model/session_model.hpp"
#include "monitor/readers/reader_watcher.hpp"
#include "monitor/server/event_server.hpp"

namespace pcscspy {

// Why a session could not start: one line, and the exit status it stands for
// (2: the command line named something that cannot be used as asked, such as a
// --replay file that is not a recording; 1: the system refused, such as a socket
// in use).
struct StartFailure {
    std::string message;
    int exit_status = 1;
};

namespace ebpf {
class SystemCapture;
}

class MonitorSession {
public:
    // Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD for the calling thread (they arrive on
    // poll_fd()); call before starting other threads.
    explicit MonitorSession(Options options);
    ~MonitorSession();

    // --metrics: starts the endpoint (before start(), so that replayed calls are
    // counted too). On failure (the port is taken...) returns a one-line error.
    std::optional<std::string> start_metrics();
    std::string metrics_url() const { return metrics_endpoint_ ? metrics_endpoint_->url() : std::string(); }

    // Replays the file, or opens the socket (and the recording), starts the
    // system-wide capture, the reader watcher (live dashboard) and launches the
    // command. Calls go to `on_call` as
    // they are applied (may be empty). On failure returns why (nothing was
    // started); --attach refused is exit status 2.
    std::optional<StartFailure> start(CallSink on_call = {});
    // What the system-wide capture does, or how to have it (one line, "" none).
    const std::string& capture_notice() const { return capture_notice_; }
    bool capturing() const { return system_capture_ != nullptr; }

    SessionModel& model() { return model_; }
    const SessionModel& model() const { return model_; }
    const Options& options() const { return options_; }
    bool live() const { return server_ != nullptr; }
    const EventServer* server() const { return server_.get(); }
    const std::optional<ReplayReport>& replay_report() const { return replay_report_; }
    const std::string& socket_path() const { return socket_path_; }

    // Readable when pump() has something to do (events, signals).
    int poll_fd() const { return epoll_fd_; }
    // Waits up to timeout_ms for events and signals and applies them. Returns
    // true when the model changed.
    bool pump(int timeout_ms);
    bool stop_requested() const { return stop_; }
    void request_stop() { stop_ = true; }

    // The launched command (-- CMD), its log file, and its exit status once it ended.
    const std::optional<LaunchedCommand>& command() const { return command_; }
    // After finish(): the log holding the command's output, when one was kept
    // (--command-log F, or the dashboard's default log when the command wrote to it).
    std::optional<std::string> kept_command_log() const;
    std::optional<int> command_status() const { return command_status_; }
    // True once the command has exited and its traced processes have gone (or a
    // grace period has passed): the text mode then ends by itself.
    bool command_finished() const;

    // Writes the session document; nullopt on success, else the error.
    std::optional<std::string> dump_to(const std::string& path) const;
    // Where the dashboard's `d` writes (app/dump_location.hpp): --dump F, else a
    // new pcscspy-dump-<time>.json in the dump folder, which it creates.
    std::string dump_path();

    // Ends the session: flushes the recording, lets the checker report what is
    // left open, writes --dump. Returns the problems met (one line each).
    std::vector<std::string> finish();

    // Problems met on the way (the recording failed, ...), one line each, each
    // noted once: a view says each once.
    const std::vector<std::string>& warnings() const { return warnings_; }
    // Something the session was asked to do failed (the recording): the exit
    // status is then 1, although the session went on.
    bool failed() const { return failed_; }

private:
    void handle_signals();
    void note_recording();
    void drain_recording();
    void reap_children();
    // connection_pid: SessionModel::ingest_line's (0: not from a connection).
    IngestResult apply_line(std::string_view line, int64_t connection_pid = 0);
    std::optional<StartFailure> start_system_capture();
    void watch(int fd);

    Options options_;
    SessionModel model_;
    CallSink on_call_;
    std::unique_ptr<EventServer> server_;
    std::unique_ptr<ebpf::SystemCapture> system_capture_;
    std::string capture_notice_;
    std::unique_ptr<readers::ReaderWatcher> reader_watcher_;
    std::optional<Recorder> recorder_;
    std::optional<ApduCapture> capture_;  // --pcap
    bool recorder_failed_ = false;  // its first error is a warning, the next ones are counted
    std::shared_ptr<prometheus::Registry> metrics_registry_;
    std::unique_ptr<SessionMetrics> metrics_;
    std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
    std::optional<ReplayReport> replay_report_;
    std::string socket_path_;
    std::optional<LaunchedCommand> command_;
    std::optional<int> command_status_;
    int64_t command_end_us_ = 0;
    int epoll_fd_ = -1;
    int signal_fd_ = -1;
    bool stop_ = false;
    bool finished_ = false;
    bool failed_ = false;
    bool recording_failure_noted_ = false;
    std::vector<std::string> warnings_;
};

}  // namespace pcscspy
