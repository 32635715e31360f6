// probe_dump: a test tool for the kernel half of the system-wide capture. Loads
// the probes, attaches them to the libpcsclite files in use, and prints every
// record they send, one line each, for a while:
//
//   probe_dump [--seconds S] [--pid PID] [--calls N]
//
// --pid prints only that process's records; --calls stops after N returns
// (of that process). Exit status 77 (CTest's skip) when the kernel or the
// privileges do not allow probes, with the reason on stderr.
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
    double seconds = 5;
    long pid = 0, calls = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--pid")) pid = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--calls")) calls = std::atol(argv[i + 1]);
    }
    ProbeRecord record;
    long returns = 0;
    auto handler = [&](const void* data, size_t size) {
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
    for (const LibraryFile& f : library_files()) {
        if (auto err = probes.attach_library(f.path)) std::fprintf(stderr, "probe_dump: %s\n", err->c_str());
        else std::fprintf(stderr, "probe_dump: probing %s\n", f.path.c_str());
    }
    if (probes.libraries().empty()) {
        std::fprintf(stderr, "probe_dump: no libpcsclite found\n");
        return 1;
    }
    std::fprintf(stderr, "probe_dump: ready\n");
    std::fflush(stdout);
    std::fflush(stderr);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end && (!calls || returns < calls)) {
        pollfd p{probes.fd(), POLLIN, 0};
        poll(&p, 1, 50);
        probes.drain(4096);
        std::fflush(stdout);
    }
    for (const ProbeProcessCounts& c : probes.process_counts())
        if (!pid || c.pid == static_cast<uint32_t>(pid))
            std::printf("counts pid=%u calls=%llu lost=%llu\n", c.pid, static_cast<unsigned long long>(c.calls),
                        static_cast<unsigned long long>(c.lost));
    return 0;
}
