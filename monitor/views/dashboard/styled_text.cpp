#include "monitor/views/dashboard/styled_text.hpp"

namespace pcscspy::dashboard {

std::string StyledLine::text() const {
    std::string s;
    for (const Span& span : spans) s += span.text;
    return s;
}

}  // namespace pcscspy::dashboard
