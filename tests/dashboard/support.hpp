// Helpers of the dashboard's view-model tests: models built from recorded or
// hand-written event lines, a view context at a chosen time, frames as text.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/dashboard_controller.hpp"
#include "monitor/views/dashboard/frame.hpp"
#include "monitor/views/dashboard/panes.hpp"
#include "monitor/views/dashboard/ui_state.hpp"
#include "monitor/views/dashboard/view_context.hpp"

namespace pcscspy::dashboard::test {

using nlohmann::json;

inline std::string data_path(const std::string& name) { return std::string(PCSCSPY_SOURCE_DIR) + "/tests/data/" + name; }

inline std::vector<std::string> file_lines(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// The recorded opensc-tool session (tests/data): one process, two readers,
// SELECTs, GET CHALLENGE, a VERIFY that fails with 63C2.
inline constexpr int64_t kRecordedPid = 4242;
inline constexpr int64_t kRecordedStartUs = 1764030000000000;

// Event lines written by hand, for situations a recording does not show.
struct Events {
    static std::string hello(int64_t pid, int64_t ts, const std::string& exe, std::vector<std::string> argv = {},
                             int64_t ppid = 1) {
        if (argv.empty()) argv.push_back(exe);
        return json{{"v", 1}, {"type", "hello"}, {"pid", pid}, {"tid", pid}, {"ts_us", ts}, {"ppid", ppid}, {"uid", 0},
                    {"exe", exe}, {"argv", argv}, {"via", "preload"}, {"backend", "/usr/lib/libpcsclite.so.1"},
                    {"spy", "test"}}
            .dump();
    }
    static std::string begin(int64_t pid, int64_t tid, int64_t ts, uint64_t seq, const std::string& fn,
                             std::optional<int64_t> card = std::nullopt) {
        json j{{"v", 1}, {"type", "begin"}, {"pid", pid}, {"tid", tid}, {"ts_us", ts}, {"seq", seq}, {"fn", fn}};
        if (card) j["card"] = *card;
        return j.dump();
    }
    static std::string call(int64_t pid, int64_t tid, int64_t ts, uint64_t seq, const std::string& fn, int64_t dur_ns,
                            int64_t rv, json in, json out, std::optional<std::string> reader = std::nullopt) {
        json j{{"v", 1},    {"type", "call"},  {"pid", pid}, {"tid", tid},     {"ts_us", ts}, {"seq", seq},
               {"fn", fn}, {"dur_ns", dur_ns}, {"rv", rv},   {"rv_name", "x"}, {"in", in},    {"out", out}};
        if (reader) j["reader"] = *reader;
        return j.dump();
    }
    static std::string establish(int64_t pid, int64_t ts, uint64_t seq, int64_t ctx) {
        return call(pid, pid, ts, seq, "SCardEstablishContext", 100'000, 0,
                    {{"dwScope", 0}, {"pvReserved1", nullptr}, {"pvReserved2", nullptr}}, {{"phContext", ctx}});
    }
    static std::string connect(int64_t pid, int64_t ts, uint64_t seq, int64_t ctx, const std::string& reader,
                               int64_t card) {
        return call(pid, pid, ts, seq, "SCardConnect", 1'000'000, 0,
                    {{"hContext", ctx}, {"szReader", reader}, {"dwShareMode", 2}, {"dwPreferredProtocols", 3}},
                    {{"phCard", card}, {"pdwActiveProtocol", 2}});
    }
    static std::string transmit(int64_t pid, int64_t ts, uint64_t seq, int64_t card, const std::string& reader,
                                const std::string& command, const std::string& response, int64_t dur_ns = 45'000'000,
                                int64_t rv = 0) {
        json out = json::object();
        if (rv == 0) out = {{"pbRecvBuffer", response}, {"pcbRecvLength", response.size() / 2}};
        return call(pid, pid, ts, seq, "SCardTransmit", dur_ns, rv,
                    {{"hCard", card}, {"pioSendPci", {{"dwProtocol", 2}, {"cbPciLength", 16}}}, {"pbSendBuffer", command},
                     {"cbSendLength", command.size() / 2}, {"pioRecvPci", nullptr}, {"pcbRecvLength", 258}},
                    out, reader);
    }
    static std::string card_call(int64_t pid, int64_t ts, uint64_t seq, const std::string& fn, int64_t card,
                                 const std::string& reader, int64_t rv = 0, int64_t dur_ns = 100'000) {
        return call(pid, pid, ts, seq, fn, dur_ns, rv, {{"hCard", card}}, json::object(), reader);
    }
    static std::string status_change(int64_t pid, int64_t ts, uint64_t seq, int64_t ctx, const std::string& reader,
                                     int64_t event_state, const std::string& atr, int64_t rv = 0) {
        json state{{"szReader", reader}, {"dwCurrentState", 0}, {"dwEventState", event_state},
                   {"cbAtr", atr.size() / 2}, {"rgbAtr", atr}};
        return call(pid, pid, ts, seq, "SCardGetStatusChange", 2'000'000, rv,
                    {{"hContext", ctx}, {"dwTimeout", 1000}, {"rgReaderStates", json::array({state})}, {"cReaders", 1}},
                    {{"rgReaderStates", json::array({state})}});
    }
    static std::string bye(int64_t pid, int64_t ts, uint64_t calls = 0) {
        return json{{"v", 1}, {"type", "bye"}, {"pid", pid}, {"tid", pid}, {"ts_us", ts}, {"calls", calls}, {"lost", 0}}
            .dump();
    }
};

// A model, the session around it and the user's choices.
struct Dashboard {
    SessionModel model;
    SessionInfo info;
    UiState ui;
    Glyphs glyphs = Glyphs::for_locale(true);

    Dashboard() {
        info.live = true;
        info.source = "/run/user/0/pcscspy/socket";
        info.started_us = kRecordedStartUs;
    }
    void feed(const std::string& line) { model.ingest_line(line); }
    void feed_file(const std::string& name) {
        for (const std::string& l : file_lines(data_path(name))) model.ingest_line(l);
    }
    ViewContext at(int64_t now_us) const { return ViewContext{model, info, now_us, false, glyphs, {}}; }
    // The latest event time: what a replay shows.
    ViewContext now() const { return at(model.latest_ts_us()); }
};

inline std::string text_of(const std::vector<StyledLine>& lines) {
    std::string s;
    for (const StyledLine& l : lines) s += l.text() + "\n";
    return s;
}

inline std::string text_of(const Frame& f) {
    std::string s;
    for (const std::string& l : frame_text(f)) s += l + "\n";
    return s;
}

// The span holding `needle` (nullptr when none).
inline const Span* span_with(const StyledLine& line, std::string_view needle) {
    for (const Span& s : line.spans)
        if (s.text.find(needle) != std::string::npos) return &s;
    return nullptr;
}

// The first row holding `needle` (nullptr when none).
inline const StyledLine* row_with(const std::vector<StyledLine>& rows, std::string_view needle) {
    for (const StyledLine& l : rows)
        if (l.text().find(needle) != std::string::npos) return &l;
    return nullptr;
}

// The line of `screen` that holds `needle` ("" when none).
inline std::string line_with(const std::string& screen, std::string_view needle) {
    size_t at = screen.find(needle);
    if (at == std::string::npos) return "";
    size_t start = screen.rfind('\n', at);
    size_t end = screen.find('\n', at);
    return screen.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
}

// A dashboard driven by keys, as the user drives it; `d` dumps nowhere (the
// paths asked for are kept).
struct Keys {
    Dashboard d;
    std::vector<std::string> dumped;
    std::optional<std::string> dump_error;
    DashboardController controller{d.model, d.ui,
                                   ControllerServices{[] { return std::string("/tmp/x/pcscspy-dump-1.json"); },
                                                      [this](const std::string& p) {
                                                          dumped.push_back(p);
                                                          return dump_error;
                                                      }},
                                   false, Glyphs::for_locale(true)};
    void press(std::initializer_list<int> keys) {
        for (int k : keys) controller.handle_key(k);
    }
    void type(std::string_view text) {
        for (char c : text) controller.handle_key(static_cast<unsigned char>(c));
    }
    std::string screen(int rows = 40, int cols = 120) {
        return text_of(build_frame(d.now(), d.ui, rows, cols));
    }
};

// Two programs (alpha, pid 1, on Reader A; beta, pid 2, on Reader B), four
// transmits, a disconnect.
inline void workload(Dashboard& d) {
    d.feed(Events::hello(1, 1'000'000, "/usr/bin/alpha"));
    d.feed(Events::hello(2, 1'000'000, "/usr/bin/beta"));
    d.feed(Events::establish(1, 1'000'100, 1, 11));
    d.feed(Events::establish(2, 1'000'100, 1, 22));
    d.feed(Events::connect(1, 1'000'200, 2, 11, "Reader A", 111));
    d.feed(Events::connect(2, 1'000'200, 2, 22, "Reader B", 222));
    d.feed(Events::transmit(1, 2'000'000, 3, 111, "Reader A", "00A4040007A0000000041010", "9000"));
    d.feed(Events::transmit(2, 2'100'000, 3, 222, "Reader B", "0084000008", "01020304050607089000"));
    d.feed(Events::transmit(1, 2'200'000, 4, 111, "Reader A", "00B0000010", "6B00"));
    d.feed(Events::card_call(2, 2'300'000, 4, "SCardDisconnect", 222, "Reader B"));
}

}  // namespace pcscspy::dashboard::test
