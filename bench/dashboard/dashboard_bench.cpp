// dashboard_bench [--calls N] [--processes P] [--frames F] [--rows R] [--cols C]
//
// Builds a session model from the monitor benchmark's synthetic session (many
// processes, transactions, APDUs, begin events) until N calls are kept (the
// default history), then measures, at R x C (default 200x60):
//   - building a frame (the view-model: panes, call window, statistics) in
//     several situations: following live, filtered on one process, scrolled to
//     the middle of the history, with the help and findings overlays;
//   - drawing it with ncurses into an off-screen terminal (newterm on /dev/null):
//     an incremental frame (what changes between two frames) and a full repaint;
//   - the one-off costs of Enter (the detail view) and of confirming a search.
// Prints milliseconds per frame (median and 95th percentile).
#include <algorithm>
#include <chrono>
#include <clocale>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "monitor/views/dashboard/curses_screen.hpp"
#include "monitor/views/dashboard/dashboard_controller.hpp"
#include "monitor/views/dashboard/frame.hpp"
#include "synthetic_session.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using Clock = std::chrono::steady_clock;

namespace {

struct Figures {
    double median_ms, p95_ms;
};

template <typename F>
Figures measure(int runs, F&& f) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        auto t0 = Clock::now();
        f(i);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)]};
}

void report(const char* what, Figures f) { std::printf("  %-44s %8.3f ms  (p95 %.3f ms)\n", what, f.median_ms, f.p95_ms); }

}  // namespace

int main(int argc, char** argv) {
    size_t calls = 100'000, processes = 50;
    int frames = 200, rows = 60, cols = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        long v = std::atol(argv[i + 1]);
        if (a == "--calls") calls = static_cast<size_t>(v);
        else if (a == "--processes") processes = static_cast<size_t>(v);
        else if (a == "--frames") frames = static_cast<int>(v);
        else if (a == "--rows") rows = static_cast<int>(v);
        else if (a == "--cols") cols = static_cast<int>(v);
        else {
            std::fprintf(stderr, "usage: %s [--calls N] [--processes P] [--frames F] [--rows R] [--cols C]\n", argv[0]);
            return 2;
        }
    }
    std::setlocale(LC_ALL, "C.UTF-8");

    // The session: generated until `calls` calls are kept (the history's size).
    ModelOptions mo;
    mo.history = calls;
    SessionModel model(mo);
    bench::SyntheticOptions so;
    so.processes = static_cast<int>(processes);
    so.events = calls * 4;  // more than enough; the generator stops being read once the history is full
    auto t0 = Clock::now();
    struct Full {};
    try {
        bench::generate_session(so, [&](const std::string& line, const std::string&) {
            model.ingest_line(line);
            if (model.calls().size() >= calls) throw Full{};
        });
    } catch (Full) {
    }
    double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("session: %zu calls kept, %zu processes, %zu readers, %zu findings (built in %.2f s)\n",
                model.calls().size(), model.processes().size(), model.readers().size(), model.findings().size(), build_s);

    SessionInfo info;
    info.live = true;
    info.source = "/run/user/1000/pcscspy/socket";
    info.started_us = model.first_ts_us();
    const int64_t now = model.latest_ts_us();
    const Glyphs glyphs = Glyphs::for_locale(true);
    UiState ui;
    // The clock moves between frames (lights fade, timers run), as live.
    auto ctx_at = [&](int i) { return ViewContext{model, info, now + i * 33'000, false, glyphs, {}}; };

    if (std::getenv("DASHBOARD_BENCH_SHOW"))  // what is measured
        for (const std::string& l : frame_text(build_frame(ctx_at(0), ui, rows, cols))) std::printf("%s\n", l.c_str());
    std::printf("view-model, %dx%d, %d frames each:\n", cols, rows, frames);
    report("following live", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.filter.process = processes / 2;
    report("filtered on one process", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    // The worst case of the call window: a filter nothing matches, so every
    // frame walks the whole history.
    ui.filter = {};
    ui.filter.reader = model.readers().size() + 1;
    report("filter matching no kept call (full scan)", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.filter = {};
    ui.cursor.selected = model.calls()[model.calls().size() / 2].ordinal;
    report("scrolled to the middle of the history", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.cursor = {};
    ui.stats = StatsTable::Processes;
    report("statistics per process", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.stats = StatsTable::Functions;
    ui.overlay = Overlay::Help;
    report("help overlay", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.overlay = Overlay::Findings;
    report("findings overlay", measure(frames, [&](int i) { (void)build_frame(ctx_at(i), ui, rows, cols); }));
    ui.overlay = Overlay::None;

    // One-off costs of keys.
    DashboardController controller(model, ui, {}, false, glyphs);
    report("Enter: detail of the newest transmit", measure(20, [&](int) {
               ui.cursor.selected = 0;
               for (auto it = model.calls().rbegin(); it != model.calls().rend(); ++it)
                   if (it->has_apdu()) {
                       ui.cursor.selected = it->ordinal;
                       break;
                   }
               controller.handle_key(keys::Enter);
               ui.overlay = Overlay::None;
           }));
    report("search confirmed (counts matches in the history)", measure(10, [&](int) {
               controller.handle_key('/');
               for (char c : std::string("GET CHALLENGE")) controller.handle_key(c);
               controller.handle_key(keys::Enter);
           }));
    ui = UiState{};

    // Drawing into an off-screen terminal.
    FILE* out = std::fopen("/dev/null", "w");
    FILE* in = std::fopen("/dev/null", "r");
    std::string error;
    CursesScreen::Options o;
    o.out = out;
    o.in = in;
    o.term = "xterm-256color";
    auto screen = CursesScreen::open(o, error);
    if (!screen) {
        std::fprintf(stderr, "dashboard_bench: %s\n", error.c_str());
        return 1;
    }
    screen->resize_to(rows, cols);
    std::vector<Frame> built;
    for (int i = 0; i < frames; ++i) built.push_back(build_frame(ctx_at(i), ui, rows, cols));
    std::printf("ncurses drawing, %dx%d, %s:\n", cols, rows, screen->has_color() ? "colour" : "no colour");
    report("incremental (consecutive live frames)", measure(frames, [&](int i) { screen->draw(built[static_cast<size_t>(i)]); }));
    report("full repaint", measure(frames, [&](int i) {
               screen->resize_to(rows, cols);  // forces every cell out again
               screen->draw(built[static_cast<size_t>(i)]);
           }));
    report("view-model + incremental draw", measure(frames, [&](int i) {
               screen->draw(build_frame(ctx_at(i + frames), ui, rows, cols));
           }));
    screen.reset();
    std::fclose(out);
    std::fclose(in);
    return 0;
}
