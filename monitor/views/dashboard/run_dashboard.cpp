// run_dashboard(): the dashboard's event loop. Blocks in poll() on the session
// (events, signals), the keyboard and resizes; redraws only when the model, the
// UI state or (for lights and in-flight timers) the clock changed what is
// shown, at most kMaxFps times a second whatever the event rate.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstdlib>
#include <filesystem>

#include "monitor/app/dashboard_entry.hpp"
#include "monitor/app/monitor_session.hpp"
#include "monitor/views/dashboard/curses_screen.hpp"
#include "monitor/views/dashboard/dashboard_controller.hpp"
#include "monitor/views/dashboard/frame.hpp"
#include "monitor/views/terminal_text.hpp"

namespace pcscspy {

namespace {

using namespace dashboard;

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

SessionInfo session_info(const MonitorSession& session, int64_t started_us) {
    SessionInfo info;
    info.live = session.live();
    info.source = session.live() ? session.socket_path() : session.options().replay.value_or("");
    if (session.command()) {
        info.command = session.command()->description;
        info.command_log = session.command()->log_path;
    }
    info.started_us = started_us;
    return info;
}

Message first_message(const MonitorSession& session) {
    if (const auto& cmd = session.command()) return {"running " + cmd->description + "; its output goes to " + cmd->log_path, Role::Normal};
    if (const auto& replay = session.replay_report()) {
        if (!replay->error.empty()) return {replay->error, Role::Warn};
        return {"replayed " + session.options().replay.value_or(""), Role::Normal};
    }
    return {"trace a program: pcscspy-run --socket " + session.socket_path() + " -- CMD", Role::Normal};
}

std::string absolute(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::absolute(path, ec);
    return ec ? path : p.string();
}

}  // namespace

int run_dashboard(MonitorSession& session) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        std::fprintf(stderr, "pcscspy-top: the dashboard needs a terminal (use --text to print calls instead)\n");
        return 2;
    }
    std::setlocale(LC_ALL, "");
    const Options& o = session.options();
    CursesScreen::Options screen_options;
    // --no-color and NO_COLOR as in text mode (the terminal is known to be one).
    screen_options.color = use_color(o, true, std::getenv("NO_COLOR"));
    std::string error;
    CursesScreen::restore_on_crash();
    std::unique_ptr<CursesScreen> screen = CursesScreen::open(screen_options, error);
    if (!screen) {
        std::fprintf(stderr, "pcscspy-top: %s\n", TerminalText::clean(error).c_str());
        return 1;
    }
    WinchWatch winch;

    const int64_t started_us = wall_us();
    UiState ui;
    ui.message = first_message(session);
    ControllerServices services;
    services.dump_path = [&session] { return absolute(session.dump_path()); };
    services.dump = [&session](const std::string& path) { return session.dump_to(path); };
    DashboardController controller(session.model(), ui, services, o.show_secrets, screen->glyphs());

    bool dirty = true;
    uint64_t drawn_generation = 0;
    int64_t last_draw = 0;
    int64_t last_second = -1;
    bool animated = false;
    bool command_reported = false;
    size_t warnings_shown = session.warnings().size();
    Frame previous;

    while (!ui.quit && !session.stop_requested()) {
        const int64_t now_mono = mono_us();
        const bool model_changed = session.model().generation() != drawn_generation;
        const int64_t now_wall = wall_us();
        const bool second_ticked = session.live() && now_wall / 1'000'000 != last_second;
        const bool due = dirty || model_changed || second_ticked || (animated && now_mono - last_draw >= kAnimationUs);

        if (session.command_status() && !command_reported) {
            command_reported = true;
            ui.message = {"the command exited with status " + std::to_string(*session.command_status()) +
                              "; its output: " + session.command()->log_path,
                          *session.command_status() == 0 ? Role::Normal : Role::Warn};
            dirty = true;
        }

        // Problems of the session (e.g. the recording cannot be written).
        if (session.warnings().size() > warnings_shown) {
            warnings_shown = session.warnings().size();
            ui.message = {session.warnings().back(), Role::Error};
            dirty = true;
        }

        int timeout_ms = -1;
        if (due && now_mono - last_draw >= kMinFrameUs) {
            SessionInfo info = session_info(session, started_us);
            info.command_status = session.command_status();
            ViewContext ctx{session.model(), info, session.live() ? now_wall : session.model().latest_ts_us(),
                            o.show_secrets, screen->glyphs(), {}};
            Frame frame = build_frame(ctx, ui, screen->rows(), screen->cols());
            if (!(frame == previous)) screen->draw(frame);
            // A replay's clock stands still: nothing there moves by itself.
            animated = frame.animated && session.live();
            previous = std::move(frame);
            drawn_generation = session.model().generation();
            last_draw = now_mono;
            last_second = now_wall / 1'000'000;
            dirty = false;
        }
        // How long nothing needs drawing.
        if (dirty || session.model().generation() != drawn_generation)
            timeout_ms = static_cast<int>(std::max<int64_t>(1, (last_draw + kMinFrameUs - mono_us()) / 1000));
        else if (animated)
            timeout_ms = static_cast<int>(kAnimationUs / 1000);
        else if (session.live())
            timeout_ms = static_cast<int>(1000 - now_wall / 1000 % 1000) + 1;

        pollfd fds[3] = {{session.poll_fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}, {g_winch_pipe[0], POLLIN, 0}};
        int n = poll(fds, winch.ok ? 3 : 2, timeout_ms);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if (fds[0].revents) session.pump(0);
        if (fds[2].revents) {
            winch.drain();
            screen->resize();
            previous = {};
            dirty = true;
        }
        if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) break;  // the terminal went away
        if (fds[1].revents & POLLIN) {
            for (int key : screen->read_keys()) {
                if (key == keys::Resize) {
                    screen->resize();
                    previous = {};
                } else {
                    controller.handle_key(key);
                }
                dirty = true;
            }
        }
    }
    return 0;
}

}  // namespace pcscspy
