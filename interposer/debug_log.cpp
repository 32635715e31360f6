#include "interposer/debug_log.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace pcscspy::interposer {

namespace {
bool g_debug = false;
}

void debug_log_init() {
    const char* v = getenv("PCSCSPY_DEBUG");
    g_debug = v != nullptr && strcmp(v, "1") == 0;
}

bool debug_enabled() { return g_debug; }

void debug_log(const char* format, ...) {
    if (!g_debug) return;
    int saved = errno;
    char line[512];
    int n = snprintf(line, sizeof line, "pcscspy[%d]: ", static_cast<int>(getpid()));
    va_list args;
    va_start(args, format);
    int m = vsnprintf(line + n, sizeof line - n - 1, format, args);
    va_end(args);
    size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : (static_cast<size_t>(m) < sizeof line - n - 1 ? m : sizeof line - n - 2));
    line[len++] = '\n';
    ssize_t r = write(STDERR_FILENO, line, len);
    (void)r;
    errno = saved;
}

}  // namespace pcscspy::interposer
