// probe_dump: a test tool for the system-wide capture without the monitor.
// Loads the probes, attaches them to the libpcsclite files in use (or to the
// given files), and prints every record they send, one line each, or with
// --events the event lines made of them (monitor/ebpf/event_builder), for a
// while:
//
//   probe_dump [--seconds S] [--pid PID] [--calls N] [--library PATH]... [--events]
//
// --pid prints only that process's records; --calls stops after N returns
// (of that process), and with --events also its bye. Prints "ready" on stderr
// once attached. Exit status 77 (CTest's skip) when the kernel or the
// privileges do not allow probes, with the reason on stderr.
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <time.h>

#include <vector>

#include "monitor/ebpf/event_builder.hpp"
#include "monitor/ebpf/kernel_probes.hpp"
#include "monitor/ebpf/library_files.hpp"
#include "monitor/ebpf/probe_record.hpp"
#include "protocol/pcsc_functions.hpp"

using namespace pcscspy;
using namespace pcscspy::ebpf;

namespace {

const char* type_name(uint32_t t) {
    switch (t) {
        case PROBE_CALL_ENTRY: return "entry";
        case PROBE_CALL_RETURN: return "return";
        case PROBE_PROCESS_FIRST: return "first";
        case PROBE_PROCESS_EXIT: return "exit";
        case PROBE_PROCESS_EXEC: return "exec";
    }
    return "?";
}

const char* item_name(pcscspy_probe_item_kind k) {
    switch (k) {
        case PROBE_ITEM_VALUE: return "value";
        case PROBE_ITEM_BYTES: return "bytes";
        case PROBE_ITEM_STRING: return "string";
        case PROBE_ITEM_ALLOC_POINTER: return "alloc";
        case PROBE_ITEM_STATES: return "states";
        case PROBE_ITEM_STATE_NAME: return "state_name";
        case PROBE_ITEM_UNREADABLE: return "unreadable";
        case PROBE_ITEM_COMM: return "comm";
        case PROBE_ITEM_ARGV: return "argv";
        case PROBE_ITEM_IDS: return "ids";
    }
    return "?";
}

void print(const ProbeRecord& r) {
    const pcscspy_probe_header& h = r.header;
    std::printf("%s pid=%u tid=%u seq=%llu", type_name(h.type), h.pid, h.tid, static_cast<unsigned long long>(h.seq));
    if (h.type == PROBE_CALL_ENTRY || h.type == PROBE_CALL_RETURN)
        std::printf(" fn=%.*s", static_cast<int>(function_name(static_cast<PcscFunction>(h.fn % kFunctionCount)).size()),
                    function_name(static_cast<PcscFunction>(h.fn % kFunctionCount)).data());
    if (h.type == PROBE_CALL_RETURN) std::printf(" rv=0x%llx", static_cast<unsigned long long>(h.rv));
    if (h.type == PROBE_PROCESS_EXIT || h.type == PROBE_PROCESS_EXEC)
        std::printf(" lost=%llu", static_cast<unsigned long long>(h.lost));
    if (r.incomplete()) std::printf(" incomplete");
    for (const ProbeItem& it : r.items) {
        std::printf(" [%u.%s", it.arg, item_name(it.kind));
        if (it.kind == PROBE_ITEM_STATE_NAME) std::printf("#%u", it.index);
        std::printf("=");
        if (it.kind == PROBE_ITEM_STRING || it.kind == PROBE_ITEM_STATE_NAME || it.kind == PROBE_ITEM_COMM) {
            for (uint8_t c : it.bytes) std::putchar(c >= 0x20 && c < 0x7f ? c : '.');
        } else if (it.kind == PROBE_ITEM_VALUE || it.kind == PROBE_ITEM_ALLOC_POINTER) {
            std::printf("%llu", static_cast<unsigned long long>(it.value()));
        } else {
            for (uint8_t b : it.bytes) std::printf("%02X", b);
        }
        std::printf("]");
    }
    std::printf("\n");
}

int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 5;
    long pid = 0, calls = 0;
    bool events = false, bye = false;
    std::vector<std::string> libraries;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        bool more = i + 1 < argc;
        if (a == "--events") events = true;
        else if (a == "--seconds" && more) seconds = std::atof(argv[++i]);
        else if (a == "--pid" && more) pid = std::atol(argv[++i]);
        else if (a == "--calls" && more) calls = std::atol(argv[++i]);
        else if (a == "--library" && more) libraries.push_back(argv[++i]);
        else {
            std::fprintf(stderr, "probe_dump: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    EventBuilderOptions eo;
    if (pid) eo.pids.insert(pid);
    eo.identify = [](uint32_t p) { return read_proc_identity("/proc", p); };
    eo.spy_version = "probe_dump";
    long returns = 0;
    EventBuilder builder(eo, [&](std::string_view line) {
        std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
        if (line.find("\"type\":\"call\"") != std::string_view::npos) ++returns;
        if (line.find("\"type\":\"bye\"") != std::string_view::npos) bye = true;
    });
    ProbeRecord record;
    auto handler = [&](const void* data, size_t size) {
        if (events) return builder.on_record(data, size) || true;
        if (!parse_probe_record(data, size, record)) {
            std::printf("malformed record of %zu bytes\n", size);
            return true;
        }
        if (pid && record.header.pid != static_cast<uint32_t>(pid)) return true;
        print(record);
        if (record.header.type == PROBE_CALL_RETURN) ++returns;
        return true;
    };
    KernelProbes::Result loaded = KernelProbes::load({}, handler);
    if (!loaded.probes) {
        std::fprintf(stderr, "probe_dump: %s\n", loaded.error->message.c_str());
        return loaded.error->failure == ProbeFailure::NoLibrary ? 1 : 77;
    }
    KernelProbes& probes = *loaded.probes;
    if (libraries.empty())
        for (const LibraryFile& f : library_files().probe) libraries.push_back(f.path);
    for (const std::string& path : libraries) {
        if (auto err = probes.attach_library(path)) std::fprintf(stderr, "probe_dump: %s\n", err->c_str());
        else std::fprintf(stderr, "probe_dump: probing %s\n", path.c_str());
    }
    if (probes.libraries().empty()) {
        std::fprintf(stderr, "probe_dump: no libpcsclite found\n");
        return 1;
    }
    for (const ProbeLibrary& l : probes.libraries()) builder.set_library(l.index, l.path);
    builder.set_wall_offset(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
    std::fprintf(stderr, "probe_dump: ready\n");
    std::fflush(stdout);
    std::fflush(stderr);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    auto done = [&] { return (calls && returns >= calls && (!events || !pid || bye)); };
    while (std::chrono::steady_clock::now() < end && !done()) {
        pollfd p{probes.fd(), POLLIN, 0};
        poll(&p, 1, 20);
        probes.drain(4096);
        if (events) {
            builder.set_wall_offset(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
            builder.tick(static_cast<uint64_t>(clock_ns(CLOCK_MONOTONIC)));
            for (const ProbeProcessCounts& c : probes.process_counts())
                builder.lost_total(c.pid, c.lost, static_cast<uint64_t>(clock_ns(CLOCK_MONOTONIC)));
        }
        std::fflush(stdout);
    }
    if (!events)
        for (const ProbeProcessCounts& c : probes.process_counts())
            if (!pid || c.pid == static_cast<uint32_t>(pid))
                std::printf("counts pid=%u calls=%llu lost=%llu\n", c.pid, static_cast<unsigned long long>(c.calls),
                            static_cast<unsigned long long>(c.lost));
    return 0;
}
