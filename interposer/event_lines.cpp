#include "interposer/event_lines.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "interposer/backend.hpp"
#include "interposer/clock.hpp"
#include "interposer/thread_state.hpp"

#ifndef PCSCSPY_VERSION
#define PCSCSPY_VERSION "unknown"
#endif

namespace pcscspy::interposer {

namespace {

int64_t g_pid = 0;

// Reads a whole small /proc file into buf (NUL-free count returned).
size_t read_file(const char* path, char* buf, size_t cap, bool* truncated) {
    *truncated = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += static_cast<size_t>(r);
    }
    if (n == cap) {
        char extra;
        *truncated = read(fd, &extra, 1) == 1;
    }
    close(fd);
    return n;
}

// The raw command line, read only while connecting (one thread at a time).
char g_cmdline[32768];

int64_t timespec_us(const timespec& t) { return int64_t{t.tv_sec} * 1'000'000 + t.tv_nsec / 1000; }

// When this process started, on the wall clock: /proc/self/stat's starttime
// (clock ticks since boot, field 22) seen from now. To a tick (10 ms); 0 if unknown.
int64_t process_started_us() {
    char stat[1024];
    bool truncated = false;
    size_t n = read_file("/proc/self/stat", stat, sizeof stat - 1, &truncated);
    stat[n] = '\0';
    const char* p = strrchr(stat, ')');  // the command name may hold spaces and ')'
    for (int field = 3; p && field <= 22; ++field) p = strchr(p + 1, ' ');
    const long hz = sysconf(_SC_CLK_TCK);
    timespec boot{}, wall{};
    if (!p || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0 || clock_gettime(CLOCK_REALTIME, &wall) != 0)
        return 0;
    const int64_t started_since_boot_us = static_cast<int64_t>(strtoull(p + 1, nullptr, 10) * 1'000'000 / hz);
    return timespec_us(wall) - (timespec_us(boot) - started_since_boot_us);
}

}  // namespace

int64_t process_id() {
    if (g_pid == 0) g_pid = getpid();
    return g_pid;
}

void process_id_after_fork() { g_pid = getpid(); }

EventHeader header_now() { return EventHeader{.pid = process_id(), .tid = thread_id(), .ts_us = wall_us()}; }

size_t encode_begin(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn, BeginHandle handle) {
    BeginView v{.seq = seq, .fn = function_name(fn)};
    if (handle.target == FunctionTarget::Context) v.ctx = handle.value;
    if (handle.target == FunctionTarget::Card) v.card = handle.value;
    return write_event_line(out, cap, h, v);
}

size_t encode_call_fallback(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn,
                            int64_t dur_ns, int64_t rv) {
    static constexpr char kEvent[] = "event";  // a list of one string, NUL-ended
    char rv_name[kReturnCodeNameBytes];
    return write_event_line(out, cap, h,
                            CallView{.seq = seq,
                                     .fn = function_name(fn),
                                     .dur_ns = dur_ns,
                                     .rv = rv,
                                     .rv_name = return_code_name(rv, rv_name),
                                     .truncated = StringListView{kEvent, sizeof kEvent}});
}

size_t encode_lost(char* out, size_t cap, const EventHeader& h, uint64_t count) {
    return write_event_line(out, cap, h, LostView{.count = count});
}

size_t encode_bye(char* out, size_t cap, const EventHeader& h, uint64_t calls, uint64_t lost) {
    return write_event_line(out, cap, h, ByeView{.calls = calls, .lost = lost});
}

size_t encode_hello(char* out, size_t cap, const EventHeader& h) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe);
    bool truncated = false;
    size_t len = read_file("/proc/self/cmdline", g_cmdline, sizeof g_cmdline, &truncated);
    HelloView v{.ppid = getppid(),
                .uid = getuid(),
                .started_us = process_started_us(),
                .exe = std::string_view(exe, n > 0 ? static_cast<size_t>(n) : 0),
                .argv = StringListView{g_cmdline, len},
                .via = via_name(via()),
                .backend = backend_path(),
                .spy = PCSCSPY_VERSION};
    if (truncated) v.argv_truncated = true;
    if (!*backend_path()) v.backend_error = backend_error();
    return write_event_line(out, cap, h, v);
}

}  // namespace pcscspy::interposer
