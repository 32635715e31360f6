// Fitting text into terminal columns: display width of UTF-8 text (wide and
// combining characters counted as the terminal does, by wcwidth), truncation
// with an ellipsis, padding, and the glyphs the dashboard draws with (Unicode,
// or plain ASCII when the terminal's locale is not UTF-8).
//
// Every text that comes from the model goes through display_text() first: the
// sanitiser (TerminalText) turns control characters and escape sequences into
// visible escapes, so nothing from a traced program reaches the terminal as a
// control sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pcscspy::dashboard {

struct Glyphs {
    bool unicode = true;
    std::string_view ellipsis = "…";
    std::string_view arrow = "→";
    std::string_view light_on = "●";    // coloured activity light
    std::string_view bar_full = "█";    // share-of-time bars
    std::string_view bar_half = "▌";
    std::string_view rule = "─";        // overlay frames
    std::string_view side = "│";
    std::string_view corner_tl = "┌", corner_tr = "┐", corner_bl = "└", corner_br = "┘";
    std::string_view separator = "│";   // between fields of the top bar
    std::string_view micro = "µ";

    static Glyphs for_locale(bool utf8);
};

// Sanitised (TerminalText::clean) and, without Unicode, reduced to ASCII: the
// glyphs above become their ASCII forms, other non-ASCII characters '?'.
std::string display_text(std::string_view text, const Glyphs& glyphs);

// Columns the text takes (UTF-8; wide characters 2, combining 0; a byte that
// is not UTF-8 or a character wcwidth does not know counts 1).
size_t display_width(std::string_view text);

enum class Align : uint8_t { Left, Right };
enum class Cut : uint8_t { End, Middle };  // where an ellipsis replaces what does not fit

// Exactly `width` columns: cut with an ellipsis when too long, padded with
// spaces when short (on the right for Left, on the left for Right).
std::string fit(std::string_view text, size_t width, const Glyphs& glyphs, Align align = Align::Left,
                Cut cut = Cut::End);

// At most `width` columns, cut with an ellipsis, never padded.
std::string truncate(std::string_view text, size_t width, const Glyphs& glyphs, Cut cut = Cut::End);

// `width` spaces.
inline std::string spaces(size_t width) { return std::string(width, ' '); }

}  // namespace pcscspy::dashboard
