// pcsc-tools' list of known ATRs (smartcard_list.txt): parsed from its text
// (the caller reads the file: protocol/ does no I/O) and searched by ATR.
//
// Format: '#' starts a comment line; an ATR line is a pattern over the ATR
// written as upper-case hex bytes separated by single spaces ("3B 8F 80 01"),
// in Perl regular-expression syntax, anchored at both ends: ".." is any byte,
// "[...]" a character class, "*", "+" and "?" quantifiers; the lines after it
// that start with a tab (or space) describe the card; an empty line ends the
// entry. Consecutive ATR lines share the descriptions that follow them.
// Matching is case-insensitive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/hex.hpp"

namespace pcscspy {

inline constexpr std::string_view kSmartcardListPath = "/usr/share/pcsc/smartcard_list.txt";

struct CardListEntry {
    std::string pattern;                    // the ATR line, trailing blanks removed
    std::vector<std::string> descriptions;  // printable UTF-8: control characters and bad bytes are '?'
    size_t line = 0;                        // of the pattern, from 1
    bool supported = false;                 // false: syntax the matcher does not know, never matches
};

class CardList {
public:
    CardList();
    ~CardList();
    CardList(CardList&&) noexcept;
    CardList& operator=(CardList&&) noexcept;

    // Never fails: lines it cannot use are kept as unsupported entries.
    static CardList parse(std::string_view text);

    // Entries whose pattern matches the ATR, in file order. ATRs longer than
    // kMaxAtrLength bytes match nothing.
    std::vector<const CardListEntry*> lookup(ByteView atr) const;
    // The descriptions of every matching entry, in file order.
    std::vector<std::string> describe(ByteView atr) const;

    // The descriptions for an ATR as a user pastes it. An ATR whose TCK is
    // wrong is searched as given first (cards that send a wrong TCK are listed
    // with it); when that finds nothing, with its TCK corrected (a TCK mangled
    // on the way), and `corrected_tck` says so.
    struct Names {
        std::vector<std::string> descriptions;
        std::optional<uint8_t> corrected_tck;
    };
    Names names_for(ByteView atr) const;

    const std::vector<CardListEntry>& entries() const { return entries_; }
    size_t unsupported_patterns() const;

    static constexpr size_t kMaxAtrLength = 64;
    static constexpr size_t kMaxPatternLength = 1024;

private:
    struct Pattern;
    friend bool card_pattern_matches(std::string_view pattern, std::string_view atr_text);
    std::vector<CardListEntry> entries_;
    std::vector<Pattern> patterns_;  // one per entry
};

// True when `pattern` (smartcard_list.txt syntax) matches `atr_text` (upper-case
// hex bytes separated by single spaces). Unsupported syntax matches nothing.
bool card_pattern_matches(std::string_view pattern, std::string_view atr_text);

// Text from outside made safe for a terminal: valid UTF-8 kept, C0/C1 control
// characters, DEL and invalid bytes replaced by '?'.
std::string printable_utf8(std::string_view text);

}  // namespace pcscspy
