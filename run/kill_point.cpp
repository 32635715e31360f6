#include "run/kill_point.hpp"

#ifdef PCSCSPY_RUN_TEST_BUILD
#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace pcscspy::run {

void kill_point() {
    static const long at = [] {
        const char* v = getenv("PCSCSPY_RUN_KILL_AT");
        return v ? atol(v) : 0L;
    }();
    static long passed = 0;
    if (++passed == at) kill(getpid(), SIGKILL);
}

}  // namespace pcscspy::run
#endif
