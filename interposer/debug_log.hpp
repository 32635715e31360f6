// Diagnostics on stderr, only with PCSCSPY_DEBUG=1: the interposer prints nothing
// otherwise, ever.
#pragma once

namespace pcscspy::interposer {

// Reads PCSCSPY_DEBUG (once, at the first PC/SC call).
void debug_log_init();
bool debug_enabled();
// printf-style; one write(2) per message, errno preserved.
void debug_log(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace pcscspy::interposer
