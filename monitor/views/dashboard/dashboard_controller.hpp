// What the keys do: looks each key up in the key table (key_table.hpp) for the
// current scope (search prompt, overlay, main screen) and applies its action to
// the UI state. Dumping goes through a callback so that tests need no session.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/key_table.hpp"
#include "monitor/views/dashboard/text_fit.hpp"
#include "monitor/views/dashboard/ui_state.hpp"

namespace pcscspy::dashboard {

struct ControllerServices {
    // Where `d` writes (MonitorSession::dump_path()).
    std::function<std::string()> dump_path;
    // Writes the session document there: nullopt on success, else the error.
    std::function<std::optional<std::string>(const std::string& path)> dump;
};

class DashboardController {
public:
    DashboardController(const SessionModel& model, UiState& ui, ControllerServices services, bool show_secrets,
                        Glyphs glyphs)
        : model_(model), ui_(ui), services_(std::move(services)), show_secrets_(show_secrets), glyphs_(glyphs) {}

    // Applies one key (keys::... or a character). Returns false when the key
    // means nothing here.
    bool handle_key(int key);

private:
    void act(Action action);
    void act_overlay(Action action);
    void act_prompt(Action action);
    void act_filter_prompt(Action action);
    void check_filter_input();
    void act_pane(Action action);
    void focus_pane(int direction);
    void type(int code_point);
    void search_as_you_type();
    void cycle_process();
    void cycle_reader();
    void open_detail();
    void dump();
    // The nearest call matching the search from `from` (included) in `direction`.
    uint64_t find_match(const std::string& query, uint64_t from, int direction) const;
    void jump_to_match(int direction);
    void show_finding_call();

    const SessionModel& model_;
    UiState& ui_;
    ControllerServices services_;
    bool show_secrets_;
    Glyphs glyphs_;
};

}  // namespace pcscspy::dashboard
