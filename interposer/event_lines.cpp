#include "interposer/event_lines.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <unistd.h>

#include "interposer/backend.hpp"
#include "interposer/clock.hpp"
#include "interposer/thread_state.hpp"
#include "protocol/json_writer.hpp"

#ifndef PCSCSPY_VERSION
#define PCSCSPY_VERSION "unknown"
#endif

namespace pcscspy::interposer {

namespace {

int64_t g_pid = 0;

void put_header(JsonWriter& w, const EventHeader& h, std::string_view type) {
    w.begin_object();
    w.member_int("v", h.v);
    w.member_string("type", type);
    w.member_int("pid", h.pid);
    w.member_int("tid", h.tid);
    w.member_int("ts_us", h.ts_us);
}

size_t close_line(JsonWriter& w, char* out, size_t cap) {
    w.end_object();
    if (w.overflowed() || w.size() + 1 > cap) return 0;
    out[w.size()] = '\n';
    return w.size() + 1;
}

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

}  // namespace

int64_t process_id() {
    if (g_pid == 0) g_pid = getpid();
    return g_pid;
}

void process_id_after_fork() { g_pid = getpid(); }

EventHeader header_now() { return EventHeader{.pid = process_id(), .tid = thread_id(), .ts_us = wall_us()}; }

size_t encode_begin(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn, BeginHandle handle) {
    JsonWriter w(out, cap - 1);
    put_header(w, h, "begin");
    w.key("seq");
    w.unsigned_integer(seq);
    w.member_string("fn", function_name(fn));
    if (handle.target == FunctionTarget::Context) w.member_int("ctx", handle.value);
    if (handle.target == FunctionTarget::Card) w.member_int("card", handle.value);
    return close_line(w, out, cap);
}

size_t encode_call_fallback(char* out, size_t cap, const EventHeader& h, uint64_t seq, PcscFunction fn,
                            int64_t dur_ns, int64_t rv) {
    JsonWriter w(out, cap - 1);
    put_header(w, h, "call");
    w.key("seq");
    w.unsigned_integer(seq);
    w.member_string("fn", function_name(fn));
    w.member_int("dur_ns", dur_ns);
    w.member_int("rv", rv);
    w.key("in");
    w.begin_object();
    w.end_object();
    w.key("out");
    w.begin_object();
    w.end_object();
    w.key("truncated");
    w.begin_array();
    w.string("event");
    w.end_array();
    return close_line(w, out, cap);
}

size_t encode_lost(char* out, size_t cap, const EventHeader& h, uint64_t count) {
    JsonWriter w(out, cap - 1);
    put_header(w, h, "lost");
    w.key("count");
    w.unsigned_integer(count);
    return close_line(w, out, cap);
}

size_t encode_bye(char* out, size_t cap, const EventHeader& h, uint64_t calls, uint64_t lost) {
    JsonWriter w(out, cap - 1);
    put_header(w, h, "bye");
    w.key("calls");
    w.unsigned_integer(calls);
    w.key("lost");
    w.unsigned_integer(lost);
    return close_line(w, out, cap);
}

size_t encode_hello(char* out, size_t cap, const EventHeader& h) {
    JsonWriter w(out, cap - 1);
    put_header(w, h, "hello");
    w.member_int("ppid", getppid());
    w.member_int("uid", getuid());

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe);
    w.key("exe");
    w.string(exe, n > 0 ? static_cast<size_t>(n) : 0);

    bool truncated = false;
    size_t len = read_file("/proc/self/cmdline", g_cmdline, sizeof g_cmdline, &truncated);
    w.key("argv");
    w.begin_array();
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && g_cmdline[end] != '\0') ++end;
        w.string(g_cmdline + i, end - i);
        i = end + 1;
    }
    w.end_array();
    if (truncated) {
        w.key("argv_truncated");
        w.boolean(true);
    }
    w.member_string("via", via_name(via()));
    w.member_string("backend", backend_path());
    if (!*backend_path()) w.member_string("backend_error", backend_error());
    w.member_string("spy", PCSCSPY_VERSION);
    return close_line(w, out, cap);
}

}  // namespace pcscspy::interposer
