// What the dashboard's view-model hands to the screen: lines of styled spans.
// A span's role says what the text is (an error, a heading, dim detail...), not
// how it looks: the ncurses layer maps roles to colours, or to bold/reverse
// without colour. Texts are already sanitised and fitted to their width.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monitor/views/dashboard/activity_light.hpp"

namespace pcscspy::dashboard {

enum class Role : uint8_t {
    Normal,
    Dim,           // secondary detail, exited processes, idle
    Strong,        // emphasis (bold)
    Ok,            // success: green
    Warn,          // warnings, long waits: yellow
    Error,         // errors: red
    Info,          // decoded APDU names: cyan
    Accent,        // applets, card names: magenta
    Heading,       // a pane's heading bar (column names)
    HeadingTitle,  // the pane's title within its heading bar
    Bar,           // the top status bar
    BarStrong,     // emphasised text on the top bar
    Live,          // LIVE badge
    Paused,        // PAUSED badge, search prompt
    Key,           // a key name (footer, help)
    KeyLabel,      // what the key does (footer)
    Border,        // overlay frames
};
inline constexpr size_t kRoleCount = static_cast<size_t>(Role::Border) + 1;

struct Span {
    std::string text;
    Role role = Role::Normal;
    // Set on the cell of an activity light: the screen may draw it as a coloured
    // dot; `text` then holds the no-colour character for it.
    std::optional<Light> light;
    bool operator==(const Span&) const = default;
};

// One line of a pane: spans left to right, filling exactly the pane's width.
struct StyledLine {
    std::vector<Span> spans;
    Role fill = Role::Normal;  // what the rest of the line is drawn with
    bool selected = false;     // the selection bar (drawn over every span)
    bool operator==(const StyledLine&) const = default;

    StyledLine& add(std::string text, Role role = Role::Normal) {
        spans.push_back(Span{std::move(text), role, std::nullopt});
        return *this;
    }
    std::string text() const;  // the spans' texts joined (tests, search)
};

}  // namespace pcscspy::dashboard
