// Every key of the dashboard, in one table: key, label, description, action,
// and where it applies. The controller dispatches through it, the `?` overlay
// and the footer's hints are generated from it, so they cannot disagree.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "monitor/views/dashboard/styled_text.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

namespace pcscspy::dashboard {

// Keys as the controller sees them: a character is its Unicode code point,
// other keys are these codes (the screen layer translates its own).
namespace keys {
inline constexpr int kBase = 0x110000;  // past every code point
inline constexpr int Up = kBase + 1, Down = kBase + 2, PageUp = kBase + 3, PageDown = kBase + 4, Home = kBase + 5,
                     End = kBase + 6, Enter = kBase + 7, Escape = kBase + 8, Backspace = kBase + 9,
                     F1 = kBase + 10, Resize = kBase + 11, Left = kBase + 12, Right = kBase + 13,
                     Tab = kBase + 14, BackTab = kBase + 15;
}  // namespace keys

enum class Action : uint8_t {
    Help,
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Open,          // Enter: detail of the selected call; in the findings, go to the call
    Pause,
    CycleProcess,
    CycleReader,
    ClearFilters,
    Search,
    Filter,        // the filter expression prompt
    NextMatch,
    PreviousMatch,
    ScrollLeft,    // the call text, horizontally
    ScrollRight,
    NextPane,      // focus: calls, processes, readers
    PreviousPane,
    SortProcesses,     // the process pane's sort column
    ReverseProcesses,  // its direction
    ProcessTree,
    CycleStats,
    ToggleStats,
    Findings,
    Dump,
    Pick,          // in the process or reader pane: filter by the selected row
    LeavePane,     // back to the call list
    Close,         // an overlay
    PromptConfirm,
    PromptCancel,
    PromptErase,
};

enum class KeyScope : uint8_t {
    Main,     // the panes (the call list has the focus)
    Pane,     // the process or reader pane has the focus (Tab); other keys as Main
    Overlay,  // help, detail, findings
    Prompt,   // the search and filter prompts (other keys are typed in)
};

struct KeyBinding {
    KeyScope scope;
    int key;
    std::string_view label;        // as shown: "p", "PgUp", "↑"
    std::string_view description;  // for the help overlay
    Action action;
    std::string_view hint = {};    // short word for the footer ("" not in the footer)
};

std::span<const KeyBinding> key_table();

// The action bound to `key` in `scope`, nullptr when none.
const KeyBinding* find_binding(KeyScope scope, int key);

// The help overlay's lines: per scope, one line per action with all its keys.
std::vector<StyledLine> help_lines(const Glyphs& glyphs);

// The footer's hints: "key word" pairs of the Main scope, in table order.
std::vector<const KeyBinding*> footer_hints();

}  // namespace pcscspy::dashboard
