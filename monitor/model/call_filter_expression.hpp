// Filter expressions over a session's calls, in the manner of Wireshark's
// display filters:
//   ins==A4 && sw!=9000            SELECTs that did not answer 9000
//   fn==SCardTransmit && dur>50ms  slow transmits
//   process contains opensc || reader=="Virtual PCD 00 01"
//   error && !(rv==E_TIMEOUT)
//
// Grammar (`!` binds tighter than `&&`, which binds tighter than `||`):
//   expr   := and { ("||" | "or") and }
//   and    := unary { ("&&" | "and") unary }
//   unary  := ("!" | "not") unary | "(" expr ")" | test
//   test   := FIELD [ OP VALUE ]      a bare FIELD: the call has that field
//   OP     := == != < <= > >= contains   (also eq ne lt le gt ge)
//   VALUE  := a word (letters, digits and _ - . / : + *) or a "quoted string"
//             (\" and \\ inside)
// The fields, the values and operators each takes are one table (kFilterFields
// in the .cpp); the help lines and the errors are generated from it.
//
// As in Wireshark, a comparison with a field the call does not have is false,
// `!=` included: `sw!=9000` selects the calls that have a status word other than
// 9000 (a context call has none); `!(sw==9000)` selects every other call.
// Text compares ignore case. No field shows APDU data, so a filter cannot
// reveal a masked PIN.
//
// The parser is written here: the language is small, its errors must point at
// a column and say what was expected, and its limits (length, nesting) are
// ours to set; no Debian-packaged parser library would make this simpler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

// Bounds on hostile input: a longer expression or a deeper nesting of ( and !
// is refused with an error (the evaluator's recursion is bounded by the depth).
inline constexpr size_t kFilterMaxBytes = 4096;
inline constexpr size_t kFilterMaxDepth = 64;

struct FilterError {
    size_t column = 0;  // 1-based byte offset of the culprit in the expression; 0: the whole expression
    std::string message;
    // "column 9: expected a value after ==" (or the message alone).
    std::string text() const;
};

class CallFilterExpression {
public:
    struct Parse {
        std::shared_ptr<const CallFilterExpression> expression;  // null on error
        std::optional<FilterError> error;
    };
    static Parse parse(std::string_view text);

    bool matches(const SessionModel& model, const CallRecord& call) const;
    const std::string& text() const { return text_; }

    // One line per field: "sw  status word: 4 hex digits, X for any (9000, 63XX)".
    static std::vector<std::string> field_help();

    // The parsed form; public for the parser in the .cpp only.
    struct Node;
    ~CallFilterExpression();
    CallFilterExpression(const CallFilterExpression&) = delete;
    CallFilterExpression& operator=(const CallFilterExpression&) = delete;

private:
    CallFilterExpression();
    bool eval(const SessionModel& model, const CallRecord& call, size_t node) const;

    std::string text_;
    std::vector<Node> nodes_;
    size_t root_ = 0;
};

}  // namespace pcscspy
