#include "monitor/model/call_filter_expression.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "monitor/model/process_name.hpp"
#include "protocol/ins_names.hpp"
#include "protocol/pcsc_names.hpp"

namespace pcscspy {

namespace {

// ---------------------------------------------------------------- the fields

enum class FieldId : uint8_t {
    Function, Process, Pid, Tid, Seq, Reader, Ins, Cla, P1, P2, Sw, Rv, Dur, Error, Apdu, Applet, Sent, Received,
};

// What values a field takes (and so which operators apply).
enum class FilterValueKind : uint8_t {
    Text,        // ==, !=, contains; ignores case
    Integer,     // decimal or 0x hex; every comparison
    Byte,        // hex byte (A4, 0xA4); every comparison; ins also takes a name
    StatusWord,  // 4 hex digits, X a wildcard nibble; ordering without wildcards
    ReturnCode,  // a name (SCARD_E_TIMEOUT, E_TIMEOUT) or a number; == and !=
    Duration,    // a number with a unit; every comparison
    Flag,        // no value: the bare field
};

struct FilterField {
    FieldId id;
    std::string_view name;
    std::string_view alias;  // "" none
    FilterValueKind kind;
    std::string_view help;
};

constexpr FilterField kFilterFields[] = {
    {FieldId::Function, "fn", "function", FilterValueKind::Text, "function: SCardTransmit, or Transmit"},
    {FieldId::Process, "process", "proc", FilterValueKind::Text, "the program: its executable's name or the script it runs"},
    {FieldId::Pid, "pid", "", FilterValueKind::Integer, "process id"},
    {FieldId::Tid, "tid", "", FilterValueKind::Integer, "thread id"},
    {FieldId::Seq, "seq", "", FilterValueKind::Integer, "the call's number in its process"},
    {FieldId::Reader, "reader", "", FilterValueKind::Text, "reader name (quote names with spaces)"},
    {FieldId::Ins, "ins", "", FilterValueKind::Byte, "instruction: hex byte (A4) or name (SELECT, \"GET CHALLENGE\")"},
    {FieldId::Cla, "cla", "", FilterValueKind::Byte, "class byte, hex"},
    {FieldId::P1, "p1", "", FilterValueKind::Byte, "P1, hex"},
    {FieldId::P2, "p2", "", FilterValueKind::Byte, "P2, hex"},
    {FieldId::Sw, "sw", "", FilterValueKind::StatusWord, "status word: 4 hex digits, X for any (9000, 63XX)"},
    {FieldId::Rv, "rv", "", FilterValueKind::ReturnCode, "return code: SCARD_E_TIMEOUT, E_TIMEOUT, 0x8010000A, 0"},
    {FieldId::Dur, "dur", "duration", FilterValueKind::Duration, "duration with a unit: 300us, 50ms, 1.5s"},
    {FieldId::Error, "error", "", FilterValueKind::Flag, "the call failed (as counted in ERR)"},
    {FieldId::Apdu, "apdu", "", FilterValueKind::Text, "the decoded APDU as the call list shows it"},
    {FieldId::Applet, "applet", "", FilterValueKind::Text, "the applet selected on the card handle (PIV, OpenPGP...)"},
    {FieldId::Sent, "sent", "", FilterValueKind::Integer, "bytes sent (transmit, control)"},
    {FieldId::Received, "received", "", FilterValueKind::Integer, "bytes received (transmit, control)"},
};

enum class Op : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, Contains };

struct OpName {
    std::string_view symbol;
    std::string_view word;
    Op op;
};
constexpr OpName kOps[] = {
    {"==", "eq", Op::Eq}, {"!=", "ne", Op::Ne}, {"<", "lt", Op::Lt},         {"<=", "le", Op::Le},
    {">", "gt", Op::Gt},  {">=", "ge", Op::Ge}, {"contains", "contains", Op::Contains},
};

bool is_ordering(Op op) { return op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge; }

std::string_view op_text(Op op) {
    for (const OpName& o : kOps)
        if (o.op == op) return o.symbol;
    return "?";
}

struct DurationUnit {
    std::string_view suffix;
    int64_t ns;
};
// µs: the micro sign (U+00B5) and the Greek mu (U+03BC) alike.
constexpr DurationUnit kDurationUnits[] = {{"ns", 1},          {"us", 1'000},         {"\u00B5s", 1'000},
                                           {"\u03BCs", 1'000}, {"ms", 1'000'000}, {"s", 1'000'000'000}};

// ---------------------------------------------------------------- text helpers

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

bool equal_nocase(std::string_view a, std::string_view lower_b) {
    return a.size() == lower_b.size() && std::equal(a.begin(), a.end(), lower_b.begin(), [](char x, char y) { return lower(x) == y; });
}

bool contains_nocase(std::string_view text, std::string_view lower_needle) {
    if (lower_needle.empty()) return true;
    return std::search(text.begin(), text.end(), lower_needle.begin(), lower_needle.end(),
                       [](char x, char y) { return lower(x) == y; }) != text.end();
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// An unsigned number: decimal, or hex after 0x.
std::optional<uint64_t> parse_number(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && lower(s[1]) == 'x') {
        s.remove_prefix(2);
        base = 16;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// One or two hex digits, optionally after 0x.
std::optional<uint8_t> parse_byte(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && lower(s[1]) == 'x') s.remove_prefix(2);
    if (s.empty() || s.size() > 2) return std::nullopt;
    int v = 0;
    for (char c : s) {
        int d = hex_digit(c);
        if (d < 0) return std::nullopt;
        v = v << 4 | d;
    }
    return static_cast<uint8_t>(v);
}

// "Too long to quote" values are cut in messages.
std::string in_quotes(std::string_view s) {
    constexpr size_t kMax = 40;
    return "\"" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "…" : "") + "\"";
}

std::string field_names() {
    std::string s;
    for (const FilterField& f : kFilterFields) s += (s.empty() ? "" : ", ") + std::string(f.name);
    return s;
}

// ---------------------------------------------------------------- tokens

enum class Tok : uint8_t { Word, String, Compare, And, Or, Not, Open, Close, End };

struct Token {
    Tok kind = Tok::End;
    size_t column = 0;  // 1-based
    std::string text;   // Word: as written; String: unescaped
    Op op = Op::Eq;     // Compare
};

bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '/' || c == ':' || c == '+' || c == '*' || c >= 0x80;
}

struct Tokens {
    std::vector<Token> list;
    std::optional<FilterError> error;
};

Tokens tokenize(std::string_view s) {
    Tokens out;
    auto fail = [&](size_t at, std::string message) {
        out.error = FilterError{at + 1, std::move(message)};
        return out;
    };
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == ' ' || c == '\t') {
            ++i;
            continue;
        }
        if (c < 0x20 || c == 0x7F) return fail(i, "control character (byte " + hex_value(c, 2) + ") in the expression");
        Token t;
        t.column = i + 1;
        const std::string_view rest = s.substr(i);
        auto two = [&](std::string_view p) { return rest.starts_with(p); };
        if (two("&&")) t.kind = Tok::And, i += 2;
        else if (two("||")) t.kind = Tok::Or, i += 2;
        else if (two("==")) t.kind = Tok::Compare, t.op = Op::Eq, i += 2;
        else if (two("!=")) t.kind = Tok::Compare, t.op = Op::Ne, i += 2;
        else if (two("<=")) t.kind = Tok::Compare, t.op = Op::Le, i += 2;
        else if (two(">=")) t.kind = Tok::Compare, t.op = Op::Ge, i += 2;
        else if (c == '<') t.kind = Tok::Compare, t.op = Op::Lt, ++i;
        else if (c == '>') t.kind = Tok::Compare, t.op = Op::Gt, ++i;
        else if (c == '!') t.kind = Tok::Not, ++i;
        else if (c == '(') t.kind = Tok::Open, ++i;
        else if (c == ')') t.kind = Tok::Close, ++i;
        else if (c == '=') return fail(i, "= alone is not an operator: compare with ==");
        else if (c == '&') return fail(i, "& alone is not an operator: and is && (or the word and)");
        else if (c == '|') return fail(i, "| alone is not an operator: or is || (or the word or)");
        else if (c == '"') {
            t.kind = Tok::String;
            size_t j = i + 1;
            bool closed = false;
            while (j < s.size()) {
                const auto d = static_cast<unsigned char>(s[j]);
                if (d == '"') {
                    closed = true;
                    break;
                }
                if (d < 0x20 || d == 0x7F) return fail(j, "control character (byte " + hex_value(d, 2) + ") in a string");
                if (d == '\\') {
                    if (j + 1 >= s.size()) break;
                    const char e = s[j + 1];
                    if (e != '"' && e != '\\') return fail(j, "unknown escape \\" + std::string(1, e) + " (only \\\" and \\\\)");
                    t.text += e;
                    j += 2;
                    continue;
                }
                t.text += static_cast<char>(d);
                ++j;
            }
            if (!closed) return fail(i, "unterminated string: a \" is missing");
            i = j + 1;
        } else if (word_byte(c)) {
            size_t j = i;
            while (j < s.size() && word_byte(static_cast<unsigned char>(s[j]))) ++j;
            t.text = std::string(s.substr(i, j - i));
            i = j;
            const std::string w = lowered(t.text);
            t.kind = Tok::Word;
            if (w == "and") t.kind = Tok::And;
            else if (w == "or") t.kind = Tok::Or;
            else if (w == "not") t.kind = Tok::Not;
            else
                for (const OpName& o : kOps)
                    if (w == o.word) {
                        t.kind = Tok::Compare;
                        t.op = o.op;
                    }
        } else {
            return fail(i, "unexpected character " + in_quotes(s.substr(i, 1)));
        }
        out.list.push_back(std::move(t));
    }
    Token end;
    end.column = s.size() + 1;
    out.list.push_back(end);
    return out;
}

std::string describe(const Token& t) {
    switch (t.kind) {
        case Tok::Word: return in_quotes(t.text);
        case Tok::String: return "the string " + in_quotes(t.text);
        case Tok::Compare: return std::string(op_text(t.op));
        case Tok::And: return "&&";
        case Tok::Or: return "||";
        case Tok::Not: return "!";
        case Tok::Open: return "(";
        case Tok::Close: return ")";
        case Tok::End: return "the end";
    }
    return "?";
}

}  // namespace

// ---------------------------------------------------------------- the tree

struct CallFilterExpression::Node {
    enum class Kind : uint8_t { And, Or, Not, Has, Compare } kind = Kind::Has;
    std::vector<size_t> children;  // And, Or: two or more; Not: one
    FieldId field = FieldId::Function;
    Op op = Op::Eq;
    // The value, as the field's kind reads it.
    int64_t number = 0;     // Integer, Byte, StatusWord (the digits), ReturnCode, Duration (ns)
    uint16_t mask = 0xFFFF; // StatusWord: the nibbles that count
    std::string text;       // Text, and ins by name: lower case
    bool by_name = false;   // ins compared by its name
};

std::string FilterError::text() const {
    return column ? "column " + std::to_string(column) + ": " + message : message;
}

CallFilterExpression::CallFilterExpression() = default;
CallFilterExpression::~CallFilterExpression() = default;

namespace {

const FilterField* find_field(std::string_view word) {
    const std::string w = lowered(word);
    for (const FilterField& f : kFilterFields)
        if (w == f.name || (!f.alias.empty() && w == f.alias)) return &f;
    return nullptr;
}

}  // namespace

namespace {

// Recursive descent over the tokens; depth counts ( and ! (and/or chains are
// flat n-ary nodes, so a long chain is not deep).
class FilterParser {
public:
    using Node = CallFilterExpression::Node;
    FilterParser(std::vector<Token> tokens, std::vector<Node>& nodes) : t_(std::move(tokens)), nodes_(nodes) {}

    std::optional<FilterError> error;

    std::optional<size_t> parse_all() {
        auto root = parse_or(0);
        if (!root) return std::nullopt;
        if (peek().kind != Tok::End) {
            if (peek().kind == Tok::Close) return fail(peek(), "unexpected ): no ( to close");
            return fail(peek(), "expected && or || or the end, found " + describe(peek()));
        }
        return root;
    }

private:
    const Token& peek() const { return t_[pos_]; }
    const Token& next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
    std::nullopt_t fail(const Token& at, std::string message) {
        if (!error) error = FilterError{at.column, std::move(message)};
        return std::nullopt;
    }
    size_t add(Node n) {
        nodes_.push_back(std::move(n));
        return nodes_.size() - 1;
    }

    std::optional<size_t> parse_chain(size_t depth, Tok joiner, Node::Kind kind) {
        auto first = joiner == Tok::Or ? parse_chain(depth, Tok::And, Node::Kind::And) : parse_unary(depth);
        if (!first) return std::nullopt;
        if (peek().kind != joiner) return first;
        Node n;
        n.kind = kind;
        n.children.push_back(*first);
        while (peek().kind == joiner) {
            const Token& op = next();
            if (peek().kind == Tok::End)
                return fail(peek(), "expected an expression after " + describe(op) + ", found the end");
            auto more = joiner == Tok::Or ? parse_chain(depth, Tok::And, Node::Kind::And) : parse_unary(depth);
            if (!more) return std::nullopt;
            n.children.push_back(*more);
        }
        return add(std::move(n));
    }
    std::optional<size_t> parse_or(size_t depth) { return parse_chain(depth, Tok::Or, Node::Kind::Or); }

    std::optional<size_t> parse_unary(size_t depth) {
        const Token& t = peek();
        if (t.kind == Tok::Not || t.kind == Tok::Open) {
            if (depth >= kFilterMaxDepth)
                return fail(t, "nested too deeply (more than " + std::to_string(kFilterMaxDepth) + " levels of ( and !)");
            next();
            if (t.kind == Tok::Not) {
                auto inner = parse_unary(depth + 1);
                if (!inner) return std::nullopt;
                Node n;
                n.kind = Node::Kind::Not;
                n.children.push_back(*inner);
                return add(std::move(n));
            }
            auto inner = parse_or(depth + 1);
            if (!inner) return std::nullopt;
            if (peek().kind != Tok::Close)
                return fail(peek(), "expected ) to close the ( at column " + std::to_string(t.column) + ", found " +
                                        describe(peek()));
            next();
            return inner;
        }
        return parse_test();
    }

    std::optional<size_t> parse_test() {
        const Token& name = next();
        if (name.kind != Tok::Word)
            return fail(name, "expected a field (" + field_names() + "), found " + describe(name));
        const FilterField* field = find_field(name.text);
        if (!field) return fail(name, "unknown field " + in_quotes(name.text) + "; the fields are " + field_names());
        Node n;
        n.field = field->id;
        if (peek().kind != Tok::Compare) {
            if (peek().kind == Tok::Word || peek().kind == Tok::String)
                return fail(peek(), "expected an operator (== != < <= > >= contains) after " + std::string(field->name) +
                                        ", found " + describe(peek()));
            n.kind = Node::Kind::Has;
            return add(std::move(n));
        }
        const Token& op = next();
        n.kind = Node::Kind::Compare;
        n.op = op.op;
        if (field->kind == FilterValueKind::Flag)
            return fail(op, std::string(field->name) + " takes no value: write " + std::string(field->name) + " or !" +
                                std::string(field->name));
        const Token& value = next();
        if (value.kind != Tok::Word && value.kind != Tok::String)
            return fail(value, "expected a value after " + describe(op) + ", found " + describe(value));
        if (auto err = read_value(*field, value, n)) return fail(value, *err);
        return add(std::move(n));
    }

    // Reads the value for the field's kind into n; an error message when it does not fit.
    static std::optional<std::string> read_value(const FilterField& f, const Token& v, Node& n) {
        const std::string& s = v.text;
        const std::string field(f.name);
        const bool ordering = is_ordering(n.op);
        switch (f.kind) {
            case FilterValueKind::Text:
                if (ordering) return field + " is text: compare it with ==, != or contains";
                n.text = lowered(s);
                return std::nullopt;
            case FilterValueKind::Integer: {
                if (n.op == Op::Contains) return "contains applies to text; " + field + " is a number";
                auto num = parse_number(s);
                if (!num || *num > static_cast<uint64_t>(INT64_MAX)) return field + " takes a number, not " + in_quotes(s);
                n.number = static_cast<int64_t>(*num);
                return std::nullopt;
            }
            case FilterValueKind::Byte: {
                auto b = v.kind == Tok::Word ? parse_byte(s) : std::nullopt;
                if (b && n.op != Op::Contains) {
                    n.number = *b;
                    return std::nullopt;
                }
                if (f.id == FieldId::Ins) {
                    if (ordering) return "an instruction name cannot be ordered: use a hex byte (ins>=B0)";
                    n.by_name = true;
                    n.text = lowered(s);
                    return std::nullopt;
                }
                if (n.op == Op::Contains) return "contains applies to text; " + field + " is a byte";
                return field + " takes a byte in hex (00 to FF), not " + in_quotes(s);
            }
            case FilterValueKind::StatusWord: {
                if (n.op == Op::Contains) return "contains applies to text; compare sw with a pattern: sw==63XX";
                if (s.size() != 4) return "sw takes 4 hex digits, X for any (9000, 63XX), not " + in_quotes(s);
                int64_t value = 0;
                uint16_t mask = 0;
                for (char c : s) {
                    value <<= 4;
                    mask = static_cast<uint16_t>(mask << 4);
                    if (lower(c) == 'x') continue;
                    int d = hex_digit(c);
                    if (d < 0) return "sw takes 4 hex digits, X for any (9000, 63XX), not " + in_quotes(s);
                    value |= d;
                    mask |= 0xF;
                }
                if (ordering && mask != 0xFFFF) return "a pattern with X cannot be ordered: use == or !=";
                n.number = value;
                n.mask = mask;
                return std::nullopt;
            }
            case FilterValueKind::ReturnCode: {
                if (ordering || n.op == Op::Contains) return "rv is compared with == or != only";
                if (auto num = parse_number(s)) {
                    if (*num > UINT32_MAX) return "rv is 32 bits: " + in_quotes(s) + " is too large";
                    n.number = static_cast<int64_t>(*num);
                    return std::nullopt;
                }
                std::string upper(s);
                for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
                if (!upper.starts_with("SCARD_")) upper = "SCARD_" + upper;
                const Named* rc = find_name(kReturnCodes, upper);
                // SUCCESS for SCARD_S_SUCCESS, the one code whose class letter users leave out.
                if (!rc && !upper.starts_with("SCARD_S_")) rc = find_name(kReturnCodes, "SCARD_S_" + upper.substr(6));
                if (!rc)
                    return "unknown return code " + in_quotes(s) + " (SCARD_E_TIMEOUT, E_TIMEOUT, SUCCESS, or a number)";
                n.number = static_cast<int64_t>(rc->value);
                return std::nullopt;
            }
            case FilterValueKind::Duration: {
                if (n.op == Op::Contains) return "contains applies to text; dur is a duration";
                for (const DurationUnit& u : kDurationUnits) {
                    if (!s.ends_with(u.suffix)) continue;
                    std::string_view digits = std::string_view(s).substr(0, s.size() - u.suffix.size());
                    // "ms" also ends with "s": the longest unit that leaves a number wins.
                    if (digits.empty() || !(std::isdigit(static_cast<unsigned char>(digits.back())) || digits.back() == '.'))
                        continue;
                    double amount = 0;
                    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
                    if (ec != std::errc() || end != digits.data() + digits.size() || !(amount >= 0))
                        return "dur takes a number and a unit (300us, 50ms, 1.5s), not " + in_quotes(s);
                    const double ns = amount * static_cast<double>(u.ns);
                    if (ns > 9.2e18) return "dur " + in_quotes(s) + " is too long";
                    n.number = static_cast<int64_t>(std::llround(ns));
                    return std::nullopt;
                }
                if (parse_number(s)) return "dur needs a unit: " + s + "ms, " + s + "us or " + s + "s?";
                return "dur takes a number and a unit (300us, 50ms, 1.5s), not " + in_quotes(s);
            }
            case FilterValueKind::Flag: break;
        }
        return field + " takes no value";
    }

    std::vector<Token> t_;
    size_t pos_ = 0;
    std::vector<Node>& nodes_;
};

}  // namespace

CallFilterExpression::Parse CallFilterExpression::parse(std::string_view text) {
    Parse p;
    if (text.size() > kFilterMaxBytes) {
        p.error = FilterError{0, "the expression is too long (" + std::to_string(text.size()) + " bytes; at most " +
                                     std::to_string(kFilterMaxBytes) + ")"};
        return p;
    }
    Tokens tokens = tokenize(text);
    if (tokens.error) {
        p.error = tokens.error;
        return p;
    }
    if (tokens.list.size() == 1) {
        p.error = FilterError{0, "empty expression"};
        return p;
    }
    std::shared_ptr<CallFilterExpression> e(new CallFilterExpression());
    FilterParser parser(std::move(tokens.list), e->nodes_);
    auto root = parser.parse_all();
    if (!root) {
        p.error = parser.error;
        return p;
    }
    e->root_ = *root;
    e->text_ = std::string(text);
    p.expression = std::move(e);
    return p;
}

namespace {

template <typename T>
bool compare(T a, Op op, T b) {
    switch (op) {
        case Op::Eq: return a == b;
        case Op::Ne: return a != b;
        case Op::Lt: return a < b;
        case Op::Le: return a <= b;
        case Op::Gt: return a > b;
        case Op::Ge: return a >= b;
        case Op::Contains: return false;
    }
    return false;
}

bool compare_text(std::string_view value, Op op, std::string_view lower_wanted) {
    switch (op) {
        case Op::Eq: return equal_nocase(value, lower_wanted);
        case Op::Ne: return !equal_nocase(value, lower_wanted);
        case Op::Contains: return contains_nocase(value, lower_wanted);
        default: return false;
    }
}

}  // namespace

bool CallFilterExpression::matches(const SessionModel& model, const CallRecord& call) const {
    return eval(model, call, root_);
}

bool CallFilterExpression::eval(const SessionModel& model, const CallRecord& c, size_t index) const {
    const Node& n = nodes_[index];
    switch (n.kind) {
        case Node::Kind::And:
            for (size_t child : n.children)
                if (!eval(model, c, child)) return false;
            return true;
        case Node::Kind::Or:
            for (size_t child : n.children)
                if (eval(model, c, child)) return true;
            return false;
        case Node::Kind::Not: return !eval(model, c, n.children.front());
        case Node::Kind::Has:
        case Node::Kind::Compare: break;
    }
    const bool has = n.kind == Node::Kind::Has;
    const ProcessInfo* process = model.process_at(c.process);
    const ReaderInfo* reader =
        c.reader >= 0 && static_cast<size_t>(c.reader) < model.readers().size() ? &model.readers()[static_cast<size_t>(c.reader)]
                                                                                  : nullptr;
    auto number = [&](int64_t v) { return has || compare(v, n.op, n.number); };
    auto text = [&](std::string_view v) { return has || compare_text(v, n.op, n.text); };
    auto byte = [&](uint8_t v) { return c.has_apdu() && number(v); };
    switch (n.field) {
        case FieldId::Function: {
            std::string_view fn = model.function_name(c);
            if (has) return true;
            // "Transmit" for "SCardTransmit".
            if (n.op != Op::Contains && fn.size() > 5 && equal_nocase(fn.substr(0, 5), "scard") &&
                equal_nocase(fn.substr(5), n.text))
                return n.op == Op::Eq;
            return compare_text(fn, n.op, n.text);
        }
        case FieldId::Process: {
            if (!process) return false;
            if (has) return true;
            // The name every view shows (the script an interpreter runs), or the executable's.
            const std::string exe = process->exe_name();
            const std::string name = process_name(*process);
            if (n.op == Op::Ne) return !compare_text(exe, Op::Eq, n.text) && !compare_text(name, Op::Eq, n.text);
            return compare_text(exe, n.op, n.text) || compare_text(name, n.op, n.text);
        }
        case FieldId::Pid: return number(c.pid);
        case FieldId::Tid: return number(c.tid);
        case FieldId::Seq: return number(static_cast<int64_t>(c.seq));
        case FieldId::Reader: return reader && text(reader->name);
        case FieldId::Ins:
            if (!c.has_apdu()) return false;
            if (n.by_name) {
                InsName name = name_instruction(static_cast<AppletKind>(c.applet_kind), c.cla, c.ins, c.p1);
                return compare_text(ins_display_name(name, c.ins), n.op, n.text);
            }
            return byte(c.ins);
        case FieldId::Cla: return byte(c.cla);
        case FieldId::P1: return byte(c.p1);
        case FieldId::P2: return byte(c.p2);
        case FieldId::Sw:
            if (!c.has_sw()) return false;
            if (has) return true;
            if (n.mask != 0xFFFF) return ((c.sw & n.mask) == n.number) == (n.op == Op::Eq);
            return compare<int64_t>(c.sw, n.op, n.number);
        case FieldId::Rv: return has || compare<int64_t>(static_cast<uint32_t>(c.rv), n.op, n.number);
        case FieldId::Dur: return number(c.dur_ns);
        case FieldId::Error: return c.error();
        case FieldId::Apdu: return !c.apdu.empty() && text(c.apdu);
        case FieldId::Applet:
            return c.applet != 0 && c.applet < model.applet_names().size() && text(model.applet_names()[c.applet]);
        case FieldId::Sent: return number(c.sent);
        case FieldId::Received: return number(c.received);
    }
    return false;
}

std::vector<std::string> CallFilterExpression::field_help() {
    std::vector<std::string> lines;
    for (const FilterField& f : kFilterFields) {
        std::string name(f.name);
        if (!f.alias.empty()) name += "|" + std::string(f.alias);
        name.resize(std::max<size_t>(name.size(), 14), ' ');
        lines.push_back(name + " " + std::string(f.help));
    }
    return lines;
}

}  // namespace pcscspy
