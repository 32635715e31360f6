#include "interposer/lifecycle.hpp"

#include <cstdlib>
#include <cstring>
#include <pthread.h>

#include "interposer/backend.hpp"
#include "interposer/debug_log.hpp"
#include "interposer/event_lines.hpp"
#include "interposer/handle_table.hpp"
#include "interposer/redaction.hpp"
#include "interposer/thread_state.hpp"
#include "interposer/tracer.hpp"
#include "interposer/transport.hpp"

namespace pcscspy::interposer {

namespace {

pthread_once_t g_once = PTHREAD_ONCE_INIT;
bool g_redact = false;
RedactPolicy g_redact_policy{};  // the scratch buffer is the calling thread's

void before_fork() {
    // Every lock a call may hold, in the order calls take them, so that none is
    // held by another thread at fork time.
    transport_before_fork();
    handles_lock();
}

void after_fork_parent() {
    handles_unlock();
    transport_after_fork_parent();
}

void after_fork_child() {
    handles_reset_lock();
    transport_after_fork_child();
    tracer_after_fork_child();
    process_id_after_fork();
    thread_state_after_fork();
}

void initialize() {
    debug_log_init();
    const char* redact = getenv("PCSCSPY_REDACT");
    g_redact = redact && strcmp(redact, "1") == 0;
    if (g_redact) g_redact_policy.redact = redact_apdu;
    backend_init();
    transport_init();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

// Runs at exit (the library is never unloaded: -z nodelete). Does nothing in a
// process that never connected.
__attribute__((destructor)) void at_exit() { transport_shutdown(calls_seen()); }

}  // namespace

void ensure_initialized() { pthread_once(&g_once, initialize); }

const RedactPolicy& redact_policy() { return g_redact_policy; }

}  // namespace pcscspy::interposer
