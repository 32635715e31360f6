#include "protocol/card_list.hpp"

#include "protocol/atr.hpp"

#include <algorithm>
#include <bitset>
#include <optional>

namespace pcscspy {

// The matcher is hand-written rather than std::regex because the list is text
// from outside: std::regex backtracks (exponential time on patterns such as
// "(.*)*X") and recurses per character, and the file uses only a tiny subset
// (".", "[...]", "*"). This subset is matched by an NFA simulation in
// O(pattern x text). tests/protocol/test_card_list.cpp checks it against
// std::regex on every pattern of the installed list.
struct CardList::Pattern {
    enum class Quant : uint8_t { One, Star, Plus, Optional };
    struct Token {
        std::bitset<128> chars;  // upper-cased ASCII the token accepts
        Quant quant = Quant::One;
    };
    std::vector<Token> tokens;
    bool supported = false;

    static Pattern compile(std::string_view text);
    bool matches(std::string_view subject) const;
};

namespace {
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }
}  // namespace

CardList::Pattern CardList::Pattern::compile(std::string_view text) {
    Pattern p;
    if (text.empty() || text.size() > kMaxPatternLength) return p;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (!is_ascii(c)) return p;
        Token t;
        if (c == '.') {
            t.chars.set();
            t.chars.reset(0);  // never matches NUL (not in an ATR text anyway)
            ++i;
        } else if (c == '[') {
            ++i;
            bool negate = i < text.size() && text[i] == '^';
            if (negate) ++i;
            bool closed = false, first = true;
            while (i < text.size()) {
                char a = text[i];
                if (a == ']' && !first) {
                    closed = true;
                    ++i;
                    break;
                }
                if (!is_ascii(a) || a == '\\' || a == '[') return p;
                first = false;
                if (i + 2 < text.size() && text[i + 1] == '-' && text[i + 2] != ']') {
                    char lo = upper(a), hi = upper(text[i + 2]);
                    if (!is_ascii(text[i + 2]) || text[i + 2] == '\\' || lo > hi) return p;
                    for (int x = lo; x <= hi; ++x) t.chars.set(static_cast<size_t>(x));
                    i += 3;
                } else {
                    t.chars.set(static_cast<size_t>(upper(a)));
                    ++i;
                }
            }
            if (!closed) return p;
            if (negate) {
                t.chars.flip();
                t.chars.reset(0);
            }
        } else if (c == '*' || c == '+' || c == '?' || c == '(' || c == ')' || c == '|' || c == '\\' || c == '{' ||
                   c == '}' || c == '^' || c == '$' || c == ']') {
            return p;  // a quantifier with nothing to repeat, or syntax outside the subset
        } else {
            t.chars.set(static_cast<size_t>(upper(c)));
            ++i;
        }
        if (i < text.size() && (text[i] == '*' || text[i] == '+' || text[i] == '?')) {
            t.quant = text[i] == '*' ? Quant::Star : text[i] == '+' ? Quant::Plus : Quant::Optional;
            ++i;
            if (i < text.size() && (text[i] == '*' || text[i] == '+' || text[i] == '?'))
                return p;  // lazy/possessive forms: outside the subset
        }
        p.tokens.push_back(t);
    }
    p.supported = true;
    return p;
}

bool CardList::Pattern::matches(std::string_view subject) const {
    if (!supported) return false;
    const size_t m = tokens.size();
    std::vector<char> active(m + 1, 0), next(m + 1, 0);
    auto close = [&](std::vector<char>& set) {
        // Tokens that may match nothing let the state after them be active too.
        for (size_t i = 0; i < m; ++i)
            if (set[i] && (tokens[i].quant == Quant::Star || tokens[i].quant == Quant::Optional)) set[i + 1] = 1;
    };
    active[0] = 1;
    close(active);
    for (char raw : subject) {
        if (!is_ascii(raw)) return false;
        size_t c = static_cast<size_t>(upper(raw));
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        for (size_t i = 0; i < m; ++i) {
            if (!active[i] || !tokens[i].chars.test(c)) continue;
            any = true;
            next[i + 1] = 1;
            if (tokens[i].quant == Quant::Star || tokens[i].quant == Quant::Plus) next[i] = 1;
        }
        if (!any) return false;
        close(next);
        active.swap(next);
    }
    return active[m] != 0;
}

std::string printable_utf8(std::string_view text) {
    // A few lines of UTF-8 validation instead of a library: the standard
    // library has none, and the rule needed is narrow (replace, never throw).
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        size_t len = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size();
        uint32_t cp = ok ? (c & (0x7F >> len)) : 0;
        for (size_t k = 1; ok && k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) ok = false;
            cp = cp << 6 | (cc & 0x3F);
        }
        // Overlong forms, surrogates and beyond U+10FFFF are invalid (each byte
        // replaced); a C1 control is valid UTF-8 but replaced as one character.
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                   (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        if (ok && cp >= 0x80 && cp <= 0x9F) {
            out += '?';
            i += len;
        } else if (ok) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

CardList::CardList() = default;
CardList::~CardList() = default;
CardList::CardList(CardList&&) noexcept = default;
CardList& CardList::operator=(CardList&&) noexcept = default;

namespace {
std::string_view trim_right(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}
}  // namespace

CardList CardList::parse(std::string_view text) {
    CardList list;
    size_t group_start = 0;       // first entry of the current group of ATR lines
    bool in_descriptions = false;  // the current group has had a description line
    bool in_group = false;
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = trim_right(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty()) {
            in_group = false;
            continue;
        }
        if (line.front() == '#') continue;
        if (line.front() == '\t' || line.front() == ' ') {
            if (!in_group) continue;  // a description with no ATR before it
            std::string d = printable_utf8(trim_left(line));
            for (size_t k = group_start; k < list.entries_.size(); ++k) list.entries_[k].descriptions.push_back(d);
            in_descriptions = true;
            continue;
        }
        if (!in_group || in_descriptions) {
            group_start = list.entries_.size();
            in_group = true;
            in_descriptions = false;
        }
        Pattern p = Pattern::compile(line);
        CardListEntry e;
        e.pattern = printable_utf8(line);
        e.line = line_no;
        e.supported = p.supported;
        list.entries_.push_back(std::move(e));
        list.patterns_.push_back(std::move(p));
    }
    return list;
}

std::vector<const CardListEntry*> CardList::lookup(ByteView atr) const {
    std::vector<const CardListEntry*> found;
    if (atr.empty() || atr.size() > kMaxAtrLength) return found;
    std::string subject = to_hex_spaced(atr);
    for (size_t i = 0; i < entries_.size(); ++i)
        if (patterns_[i].matches(subject)) found.push_back(&entries_[i]);
    return found;
}

std::vector<std::string> CardList::describe(ByteView atr) const {
    std::vector<std::string> out;
    for (const CardListEntry* e : lookup(atr)) out.insert(out.end(), e->descriptions.begin(), e->descriptions.end());
    return out;
}

CardList::Names CardList::names_for(ByteView atr) const {
    Names out{describe(atr), std::nullopt};
    if (!out.descriptions.empty()) return out;
    const Atr parsed = parse_atr(atr);
    if (!parsed.tck || parsed.tck_valid) return out;
    // TCK is the byte before the extra bytes; the right one makes T0..TCK XOR to 0.
    Bytes fixed(atr.begin(), atr.end());
    const size_t at = fixed.size() - parsed.extra.size() - 1;
    uint8_t tck = 0;
    for (size_t i = 1; i < at; ++i) tck ^= fixed[i];
    fixed[at] = tck;
    out.descriptions = describe(fixed);
    if (!out.descriptions.empty()) out.corrected_tck = tck;
    return out;
}

size_t CardList::unsupported_patterns() const {
    return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [](const CardListEntry& e) { return !e.supported; }));
}

bool card_pattern_matches(std::string_view pattern, std::string_view atr_text) {
    return CardList::Pattern::compile(trim_right(pattern)).matches(atr_text);
}

}  // namespace pcscspy
