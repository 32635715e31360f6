// Display widths come from wcwidth(), which needs a UTF-8 locale, as the
// dashboard sets from the environment (setlocale(LC_ALL, "")).
#include <clocale>

namespace {
struct Utf8Locale {
    Utf8Locale() { std::setlocale(LC_CTYPE, "C.UTF-8"); }
} const utf8_locale;
}  // namespace
