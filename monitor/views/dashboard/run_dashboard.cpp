// run_dashboard(): the dashboard's event loop. Blocks in poll() on the session
// (events, signals), the keyboard and resizes; redraws only when the model, the
// UI state or (for lights and in-flight timers) the clock changed what is
// shown, at most ~30 times a second whatever the event rate.
#include "monitor/views/dashboard/run_dashboard.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <filesystem>

#include "monitor/views/dashboard/curses_screen.hpp"
#include "monitor/views/dashboard/dashboard_controller.hpp"
#include "monitor/views/dashboard/frame.hpp"
#include "monitor/views/terminal_text.hpp"

namespace pcscspy::dashboard {

namespace {

constexpr int64_t kMinFrameUs = 1'000'000 / 30;  // at most ~30 frames per second
constexpr int64_t kAnimationUs = 150'000;        // lights and timers: ~7 redraws a second

int64_t wall_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
int64_t mono_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// SIGWINCH wakes poll() through a pipe (ncurses' own handler would only be seen
// by the next getch).
int g_winch_pipe[2] = {-1, -1};
void on_winch(int) {
    int saved = errno;
    char c = 1;
    [[maybe_unused]] ssize_t n = write(g_winch_pipe[1], &c, 1);
    errno = saved;
}

struct WinchWatch {
    struct sigaction previous {};
    bool ok = false;
    WinchWatch() {
        if (pipe2(g_winch_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return;
        struct sigaction sa {};
        sa.sa_handler = on_winch;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ok = sigaction(SIGWINCH, &sa, &previous) == 0;
    }
    ~WinchWatch() {
        if (ok) sigaction(SIGWINCH, &previous, nullptr);
        for (int& fd : g_winch_pipe) {
            if (fd >= 0) close(fd);
            fd = -1;
        }
    }
    void drain() const {
        char buf[64];
        while (read(g_winch_pipe[0], buf, sizeof buf) > 0) {}
    }
};

Message first_message(const DashboardHost& host, const SessionInfo& info) {
    if (!info.command.empty())
        return {"running " + info.command + "; its output goes to " + info.command_log, Role::Normal};
    if (!info.live) {
        std::string error = host.replay_error();
        if (!error.empty()) return {error, Role::Warn};
        return {"replayed " + info.source, Role::Normal};
    }
    if (!info.socket_warning.empty()) return {info.socket_warning, Role::Warn};
    // The system-wide capture: what it sees; without it, how to trace a program
    // and how to see every program.
    if (info.capturing) return {info.capture_notice, Role::Normal};
    if (!info.capture_notice.empty())
        return {"trace a program: " + info.trace_command + "; " + info.capture_notice, Role::Warn};
    return {"trace a program: " + info.trace_command, Role::Normal};
}

std::string absolute(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::absolute(path, ec);
    return ec ? path : p.string();
}

// The terminal, opened for the dashboard; nullptr after saying why not.
std::unique_ptr<CursesScreen> open_screen(const DashboardOptions& options, int& status) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        std::fprintf(stderr, "pcscspy-top: the dashboard needs a terminal (use --text to print calls instead)\n");
        status = 2;
        return nullptr;
    }
    std::setlocale(LC_ALL, "");
    CursesScreen::Options screen_options;
    screen_options.color = options.color;
    std::string error;
    CursesScreen::restore_on_crash();
    std::unique_ptr<CursesScreen> screen = CursesScreen::open(screen_options, error);
    if (!screen) {
        std::fprintf(stderr, "pcscspy-top: %s\n", TerminalText::clean(error).c_str());
        status = 1;
    }
    return screen;
}

// One run of the dashboard: the UI state, what was drawn last, and the phases
// of each turn of the loop.
class DashboardLoop {
public:
    DashboardLoop(DashboardHost& host, CursesScreen& screen, const DashboardOptions& options)
        : host_(host),
          screen_(screen),
          options_(options),
          started_us_(wall_us()),
          controller_(host.model(), ui_, services(host), options.show_secrets, screen.glyphs()),
          warnings_shown_(host.warnings().size()) {
        ui_.message = first_message(host, host.info());
    }

    void run() {
        while (!ui_.quit && !host_.stop_requested()) {
            report_session_news();
            draw_if_due();
            if (!wait_and_handle_input()) break;
        }
    }

private:
    static ControllerServices services(DashboardHost& host) {
        ControllerServices s;
        s.dump_path = [&host] { return absolute(host.dump_path()); };
        s.dump = [&host](const std::string& path) { return host.dump_to(path); };
        return s;
    }

    // The command's end and the session's problems go to the status line.
    void report_session_news() {
        if (host_.command_status() && !command_reported_) {
            command_reported_ = true;
            const SessionInfo info = host_.info();
            ui_.message = {"the command exited with status " + std::to_string(*host_.command_status()) +
                               "; its output: " + info.command_log,
                           *host_.command_status() == 0 ? Role::Normal : Role::Warn};
            dirty_ = true;
        }
        if (host_.warnings().size() > warnings_shown_) {
            warnings_shown_ = host_.warnings().size();
            ui_.message = {host_.warnings().back(), Role::Error};
            dirty_ = true;
        }
    }

    bool model_changed() const { return host_.model().generation() != drawn_generation_; }

    void draw_if_due() {
        const int64_t now_mono = mono_us();
        const int64_t now_wall = wall_us();
        const bool live = host_.info().live;
        const bool second_ticked = live && now_wall / 1'000'000 != last_second_;
        const bool due = dirty_ || model_changed() || second_ticked || (animated_ && now_mono - last_draw_ >= kAnimationUs);
        if (!due || now_mono - last_draw_ < kMinFrameUs) return;
        SessionInfo info = host_.info();
        info.started_us = started_us_;
        info.command_status = host_.command_status();
        ViewContext ctx{host_.model(), info, live ? now_wall : host_.model().latest_ts_us(), options_.show_secrets,
                        screen_.glyphs(), {}};
        Frame frame = build_frame(ctx, ui_, screen_.rows(), screen_.cols());
        if (!(frame == previous_)) screen_.draw(frame);
        // A replay's clock stands still: nothing there moves by itself.
        animated_ = frame.animated && live;
        previous_ = std::move(frame);
        drawn_generation_ = host_.model().generation();
        last_draw_ = now_mono;
        last_second_ = now_wall / 1'000'000;
        dirty_ = false;
    }

    // How long nothing needs drawing (-1: until something happens).
    int timeout_ms() const {
        if (dirty_ || model_changed())
            return static_cast<int>(std::max<int64_t>(1, (last_draw_ + kMinFrameUs - mono_us()) / 1000));
        if (animated_) return static_cast<int>(kAnimationUs / 1000);
        if (host_.info().live) return static_cast<int>(1000 - wall_us() / 1000 % 1000) + 1;
        return -1;
    }

    // Waits for the session, the keyboard or a resize; false when the terminal is gone.
    bool wait_and_handle_input() {
        pollfd fds[3] = {{host_.poll_fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}, {g_winch_pipe[0], POLLIN, 0}};
        int n = poll(fds, winch_.ok ? 3 : 2, timeout_ms());
        if (n < 0 && errno != EINTR) return false;
        if (n <= 0) return true;
        if (fds[0].revents) host_.pump();
        if (fds[2].revents) {
            winch_.drain();
            screen_.resize();
            previous_ = {};
            dirty_ = true;
        }
        if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) return false;  // the terminal went away
        if (fds[1].revents & POLLIN) handle_keys();
        return true;
    }

    void handle_keys() {
        for (int key : screen_.read_keys()) {
            if (key == keys::Resize) {
                screen_.resize();
                previous_ = {};
            } else {
                controller_.handle_key(key);
            }
            dirty_ = true;
        }
    }

    DashboardHost& host_;
    CursesScreen& screen_;
    const DashboardOptions& options_;
    WinchWatch winch_;
    const int64_t started_us_;
    UiState ui_;
    DashboardController controller_;
    bool dirty_ = true;
    uint64_t drawn_generation_ = 0;
    int64_t last_draw_ = 0;
    int64_t last_second_ = -1;
    bool animated_ = false;
    bool command_reported_ = false;
    size_t warnings_shown_;
    Frame previous_;
};

}  // namespace

int run_dashboard(DashboardHost& host, const DashboardOptions& options) {
    int status = 0;
    std::unique_ptr<CursesScreen> screen = open_screen(options, status);
    if (!screen) return status;
    DashboardLoop(host, *screen, options).run();
    return 0;
}

}  // namespace pcscspy::dashboard
