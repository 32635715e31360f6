// TerminalText: what every view passes text from outside through (reader names,
// exe, argv, strings of events, findings) before it reaches a terminal. No control
// character or escape sequence from a traced program or a rogue client ever gets
// through: C0/C1 controls, DEL, invalid UTF-8 bytes and Unicode bidirectional
// controls are rendered visibly (\x1b, \u202e), everything else is kept.
#pragma once

#include <string>
#include <string_view>

namespace pcscspy {

class TerminalText {
public:
    static std::string clean(std::string_view text);
    static void append(std::string& out, std::string_view text);
    // True when clean(text) == text.
    static bool is_clean(std::string_view text);
};

}  // namespace pcscspy
