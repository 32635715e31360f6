#include "monitor/app/monitor_session.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <prometheus/registry.h>

#include "monitor/app/dump_location.hpp"
#include "monitor/io/session_document.hpp"
#include "protocol/card_list.hpp"
#ifdef PCSCSPY_HAVE_EBPF
#include "monitor/ebpf/system_capture.hpp"
#else
namespace pcscspy::ebpf {
class SystemCapture {};  // built without it (PCSCSPY_WITH_EBPF=OFF)
}  // namespace pcscspy::ebpf
#endif

namespace pcscspy {

namespace {

int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// pcsc-tools' ATR list, when installed, names the cards in the readers.
std::shared_ptr<const CardList> load_card_list() {
    FILE* f = std::fopen(std::string(kSmartcardListPath).c_str(), "rb");
    if (!f) return nullptr;
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
    return std::make_shared<const CardList>(CardList::parse(text));
}

ModelOptions model_options(const Options& o) {
    ModelOptions m;
    // The text mode shows each call once and keeps none, unless a dump wants them;
    // so does a headless service (its metrics and recording need no history).
    m.history = (o.text || o.headless) && !o.dump ? 0 : o.history;
    m.history_bytes = o.history_bytes;
    m.memory_budget = o.memory_budget;
    m.card_list = load_card_list();
    return m;
}

// A traced program may linger a little after its launcher exits (forked
// children, the last lines in flight).
constexpr int64_t kCommandGraceUs = 2'000'000;
// Records of the system-wide capture handled per wakeup (signals are not starved).
[[maybe_unused]] constexpr size_t kCaptureBudget = 4096;
// How long the end of a session waits for a recording's slow reader (a FIFO).
constexpr int kRecordingDrainMs = 5000;

}  // namespace

MonitorSession::MonitorSession(Options options) : options_(std::move(options)), model_(model_options(options_)) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);  // the terminal went away: end as cleanly as for SIGTERM
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);  // a file size limit: the write fails (EFBIG), the session goes on
    signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = signal_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd_, &ev);
}

MonitorSession::~MonitorSession() {
    reader_watcher_.reset();  // releases its PC/SC context
    system_capture_.reset();  // removes the probes
    server_.reset();   // removes our socket
    if (signal_fd_ >= 0) close(signal_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::optional<std::string> MonitorSession::start_metrics() {
    if (!options_.metrics || metrics_) return std::nullopt;
    metrics_registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<SessionMetrics>(*metrics_registry_, PCSCSPY_VERSION);
    MetricsEndpoint::Result started = MetricsEndpoint::start(*options_.metrics, metrics_registry_);
    if (!started.endpoint) {
        metrics_.reset();
        return started.error;
    }
    metrics_endpoint_ = std::move(started.endpoint);
    return std::nullopt;
}

std::optional<StartFailure> MonitorSession::start(CallSink on_call) {
    on_call_ = std::move(on_call);
    // A command that cannot run is said before anything is made.
    int status = 0;
    if (!options_.command.empty())
        if (auto problem = command_start_problem(options_.command.front(), status)) return StartFailure{*problem, status};
    // Known now rather than after the whole session.
    if (options_.dump)
        if (auto err = check_session_document_target(*options_.dump)) return StartFailure{*err};
    if (options_.pcap) {
        ApduCapture::Result cap = ApduCapture::open(*options_.pcap, options_.show_secrets);
        if (!cap.capture) return StartFailure{cap.error};
        capture_.emplace(std::move(*cap.capture));
    }
    if (options_.replay) {
        CallSink sink = on_call_;
        if (capture_ || metrics_)
            sink = [this](const SessionModel& m, const CallRecord& c, nlohmann::json* event) {
                if (capture_) capture_->add(m, c);
                if (metrics_) metrics_->on_call(m, c);
                if (on_call_) on_call_(m, c, event);
            };
        // Several files (a rotated recording, oldest first) are one session.
        for (const std::string& file : options_.replay_files) {
            ReplayReport r = replay_file(file, model_, sink);
            if (!r.error.empty()) return StartFailure{r.error, 2};
            if (r.is_document && options_.replay_files.size() > 1)
                return StartFailure{file + " is a session document: only recordings can be replayed several at a time", 2};
            if (!replay_report_ || !r.clean()) replay_report_ = std::move(r);
        }
        if (metrics_) metrics_->refresh(model_);
        return std::nullopt;
    }
    socket_path_ = socket_path_in_force(options_.socket);
    if (options_.record) {
        Recorder::Result rec = Recorder::open(*options_.record, options_.record_rotate);
        if (!rec.recorder) return StartFailure{rec.error};
        recorder_.emplace(std::move(*rec.recorder));
    }
    ListeningSocket::Result listening = ListeningSocket::open(socket_path_);
    if (!listening.socket) return StartFailure{listening.error};
    EventServer::Handlers h;
    h.line = [this](ConnectionStats& from, std::string_view line) {
        // --pid: the peer's pid, as this monitor sees it.
        if (!options_.pids.empty() && !options_.pids.count(from.pid)) return true;
        // A connection speaks for the process of its first event (its hello).
        IngestResult r = apply_line(line, from.event_pid);
        if (r.ok()) {
            from.event_pid = r.pid;
            from.owner = r.process;
            if (r.type == EventType::Bye) from.bye_seen = true;
#ifdef PCSCSPY_HAVE_EBPF
            // One process, one stream: its interposer speaks for it.
            if (system_capture_ && r.type == EventType::Hello) system_capture_->interposer_hello(from.pid);
#endif
        }
        return r.ok();
    };
    // Over-long lines and lines cut by a closing connection are bad lines too.
    h.overlong = [this](const ConnectionStats&) { model_.count_bad_line(EventErrorKind::MalformedJson); };
    h.truncated = [this](const ConnectionStats&) { model_.count_bad_line(EventErrorKind::MalformedJson); };
    h.closed = [this](const ConnectionStats& c) {
        model_.connection_closed(c.owner, c.closed_us);
    };
    server_ = std::make_unique<EventServer>(std::move(*listening.socket), std::move(h), kMaxLineLength,
                                            options_.read_rings ? EventServer::RingUse::Read
                                                                : EventServer::RingUse::Stream);
    watch(server_->fd());
    if (auto failure = start_system_capture()) return failure;
#ifdef PCSCSPY_HAVE_EBPF
    // The reader watcher's calls are the monitor's own: the system-wide capture
    // never shows them (muted before the watcher makes its first call).
    if (system_capture_) system_capture_->interposer_hello(getpid());
#endif
    // The dashboard sees readers and cards by itself (its own untraced context).
    if (!options_.text && !options_.headless && !options_.no_reader_watch) {
        reader_watcher_ = std::make_unique<readers::ReaderWatcher>();
        watch(reader_watcher_->fd());
    }

    if (!options_.command.empty()) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        std::string self_exe = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string();
        auto launcher = find_launcher(self_exe);
        if (!launcher)
            return StartFailure{"cannot launch the command: pcscspy-run is neither next to pcscspy-top nor in its build tree"};
        // The text mode passes the command's output through (stderr); the
        // dashboard owns the terminal, so there it goes to a log.
        std::optional<std::string> log = options_.command_log;
        if (!log && !options_.text) log = default_command_log(socket_path_);
        LaunchResult lr = launch_command(*launcher, socket_path_, options_.command, log);
        if (!lr.command) return StartFailure{lr.error, lr.exit_status};
        command_ = lr.command;
    }
    // Only now, so that the command launched above keeps the priority we had.
    // On Linux this makes only the calling thread nicer: the ingestion and the
    // views; the reader watcher and the metrics endpoint keep theirs.
    if (options_.nice > 0) setpriority(PRIO_PROCESS, 0, std::min(19, getpriority(PRIO_PROCESS, 0) + options_.nice));
    return std::nullopt;
}

void MonitorSession::watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

// One event line of either source (a socket's or the system-wide capture's):
// recorded, applied to the model, and its call's APDUs into the --pcap file.
IngestResult MonitorSession::apply_line(std::string_view line, int64_t connection_pid) {
    if (recorder_) recorder_->write_line(line);
    IngestResult r = ingest_and_notify(model_, line, on_call_, connection_pid);
    if (r.call && capture_) capture_->add(model_, *r.call);
    if (r.call && metrics_) metrics_->on_call(model_, *r.call);
    return r;
}

std::optional<StartFailure> MonitorSession::start_system_capture() {
    if (options_.attach == AttachMode::Off) return std::nullopt;
#ifdef PCSCSPY_HAVE_EBPF
    ebpf::SystemCaptureOptions co;
    co.pids = options_.pids;
    co.spy_version = PCSCSPY_VERSION;
    auto started = ebpf::SystemCapture::start(co, [this](std::string_view line) { apply_line(line); });
    if (!started.capture) {
        const ebpf::ProbeError& e = *started.error;
        if (options_.attach == AttachMode::Required) return StartFailure{"--attach: " + e.message, 2};
        capture_notice_ = e.failure == ebpf::ProbeFailure::NotPermitted
                              ? "only traced programs are shown; to see every program on the machine: sudo pcscspy-top"
                              : "only traced programs are shown (the system-wide capture is unavailable: " + e.message + ")";
        return std::nullopt;
    }
    system_capture_ = std::move(started.capture);
    watch(system_capture_->fd());
    const size_t files = system_capture_->libraries().size();
    capture_notice_ = "watching every program on the machine (" + std::to_string(files) + " libpcsclite file" +
                      (files == 1 ? "" : "s") + " probed)";
    for (std::string& w : system_capture_->take_warnings()) warnings_.push_back(std::move(w));
    return std::nullopt;
#else
    if (options_.attach == AttachMode::Required)
        return StartFailure{"--attach: this pcscspy-top was built without the system-wide capture (PCSCSPY_WITH_EBPF=OFF)",
                            2};
    return std::nullopt;
#endif
}

bool MonitorSession::pump(int timeout_ms) {
    uint64_t before = model_.generation();
    epoll_event events[8];
    int n = epoll_wait(epoll_fd_, events, 8, timeout_ms);
    for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == signal_fd_) handle_signals();
        else if (server_ && events[i].data.fd == server_->fd()) {
            // Drain what is ready now, boundedly, so that signals are not starved.
            for (int round = 0; round < 64 && server_->run_once(0) > 0; ++round) {}
        } else if (reader_watcher_ && events[i].data.fd == reader_watcher_->fd()) {
            for (const ReaderReport& report : reader_watcher_->take()) model_.apply_reader_report(report);
        }
#ifdef PCSCSPY_HAVE_EBPF
        else if (system_capture_ && events[i].data.fd == system_capture_->fd()) {
            system_capture_->pump(kCaptureBudget);
        }
#endif
    }
    if (recorder_) {
        if (!recorder_->flush() && recorder_->rotating() && !recorder_failed_) {
            recorder_failed_ = true;
            warnings_.push_back(recorder_->error() + " (the session goes on; lines not recorded are counted)");
        }
        note_recording();
    }
    if (metrics_) {
        metrics_->refresh(model_);
        if (recorder_) metrics_->set_recording(recorder_->rotations(), recorder_->unwritten_lines());
    }
    if (capture_ && !capture_->flush()) warnings_.push_back(capture_->error());
#ifdef PCSCSPY_HAVE_EBPF
    if (system_capture_)
        for (std::string& w : system_capture_->take_warnings()) warnings_.push_back(std::move(w));
#endif
    return model_.generation() != before;
}

// A FIFO's reader gets a moment to take the rest of the recording; SIGINT,
// SIGTERM or SIGHUP cut it short.
void MonitorSession::drain_recording() {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(kRecordingDrainMs);
    while (recorder_->flush() && recorder_->pending() > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            recorder_->give_up("its reader did not take the last " + std::to_string(recorder_->pending()) +
                               " bytes in time");
            return;
        }
        pollfd fds[2] = {{recorder_->fd(), POLLOUT, 0}, {signal_fd_, POLLIN, 0}};
        if (poll(fds, 2, static_cast<int>(left)) > 0 && fds[1].revents) {
            const bool stop_before = stop_;
            stop_ = false;
            handle_signals();
            if (stop_) {
                recorder_->give_up("interrupted with " + std::to_string(recorder_->pending()) +
                                   " bytes not yet written");
                return;
            }
            stop_ = stop_before;
        }
    }
}

void MonitorSession::note_recording() {
    if (!recorder_ || !recorder_->failed() || recording_failure_noted_) return;
    recording_failure_noted_ = true;
    failed_ = true;
    warnings_.push_back(recorder_->error());
}

void MonitorSession::handle_signals() {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGCHLD) reap_children();
        else stop_ = true;
    }
}

void MonitorSession::reap_children() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (command_ && pid == command_->pid) {
            command_status_ = command_exit_status(status);
            command_end_us_ = now_us();
        }
    }
}

bool MonitorSession::command_finished() const {
    if (!command_ || !command_status_) return false;
    if (server_ && server_->open_connections() == 0) return true;
    return now_us() - command_end_us_ > kCommandGraceUs;
}

std::optional<std::string> MonitorSession::kept_command_log() const {
    if (!command_ || command_->log_path.empty() || access(command_->log_path.c_str(), F_OK) != 0) return std::nullopt;
    return command_->log_path;
}

std::optional<std::string> MonitorSession::dump_to(const std::string& path) const {
    return write_session_document(model_, path, options_.show_secrets);
}

std::string MonitorSession::dump_path() {
    if (options_.dump) return *options_.dump;
    const std::string folder = dump_folder(options_.dump_dir, std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
    // When the folder cannot be made, writing there says why, with the path.
    (void)make_folder(folder);
    return new_dump_file(folder, std::time(nullptr));
}

std::vector<std::string> MonitorSession::finish() {
    std::vector<std::string> problems;
    if (finished_) return problems;
    finished_ = true;
    if (server_) {
        // What is already in the socket buffers still belongs to the session.
        for (int round = 0; round < 256 && server_->run_once(0) > 0; ++round) {}
    }
    // The monitor launched the command for this session: it does not outlive it.
    if (command_ && !command_status_) command_status_ = stop_command(*command_);
    // A default log the command wrote nothing to is not left behind (--command-log F is the user's).
    if (command_ && !command_->log_path.empty() && !options_.command_log) {
        struct stat st;
        if (stat(command_->log_path.c_str(), &st) == 0 && st.st_size == 0) unlink(command_->log_path.c_str());
    }
    if (server_) {
        // Its last events (bye) are part of the session too, and so is what
        // the processes still running have written into their rings.
        for (int round = 0; round < 256 && server_->run_once(0) > 0; ++round) {}
        server_->drain_all();
    }
#ifdef PCSCSPY_HAVE_EBPF
    if (system_capture_) {
        // What the kernel already sent belongs to the session; then the probes go.
        system_capture_->drain();
        system_capture_.reset();
    }
#endif
    if (recorder_ && recorder_->rotating() && !recorder_->flush() && !recorder_failed_)
        problems.push_back(recorder_->error());
    if (recorder_ && !recorder_->rotating()) {
        drain_recording();
        note_recording();
    }
    if (recorder_ && recorder_->unwritten_lines())
        problems.push_back(std::to_string(recorder_->unwritten_lines()) + " event lines could not be written to " +
                           recorder_->path() + " (" + recorder_->error() + ")");
    if (capture_) {
        // A capture that failed makes the exit status non-zero; said once.
        capture_->flush();
        if (!capture_->error().empty()) {
            std::erase(warnings_, capture_->error());
            problems.push_back(capture_->error());
        }
    }
    model_.finish();
    if (metrics_) {
        metrics_->refresh(model_);
        if (recorder_) metrics_->set_recording(recorder_->rotations(), recorder_->unwritten_lines());
    }
    if (options_.dump)
        if (auto err = dump_to(*options_.dump)) problems.push_back(*err);
    return problems;
}

}  // namespace pcscspy
