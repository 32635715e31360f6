// KernelProbes: the loaded BPF program (pcsc_probes.bpf.c) and its probes.
// Loads it with libbpf, gives it the capture plan and the monitor's PID
// namespace, attaches one uprobe and one uretprobe per PC/SC function to each
// library file it is given (once per file: device and inode), and the exit and
// exec tracepoints. Everything is held by descriptors: when the monitor ends,
// even by SIGKILL, the kernel removes the probes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pcsc_probes;
struct ring_buffer;
struct bpf_link;

namespace pcscspy::ebpf {

// Why the capture cannot run (for `--attach`'s one-line reason).
enum class ProbeFailure : uint8_t {
    NotPermitted,  // neither root nor CAP_BPF + CAP_PERFMON
    NoKernelSupport,  // no BPF, no BTF, or a kernel too old for what the program uses
    NoLibrary,        // no libpcsclite found
};

struct ProbeError {
    ProbeFailure failure;
    std::string message;  // one line
};

struct ProbeLibrary {
    std::string path;  // as attached (may be under /proc/PID/root)
    dev_t dev = 0;
    ino_t ino = 0;
    uint32_t index = 0;  // its number in the records (PCSCSPY_PROBE_COOKIE)
};

// Counts the kernel side keeps per process, as read from its table.
struct ProbeProcessCounts {
    uint32_t pid = 0;  // in the monitor's PID namespace
    uint64_t calls = 0;
    uint64_t lost = 0;
};

class KernelProbes {
public:
    struct Options {
        size_t ring_bytes = size_t{16} << 20;  // a power of two, at least a page
    };
    // Raw records as the ring buffer delivers them; returning false stops the
    // current drain (the record was handled).
    using RecordHandler = std::function<bool(const void* data, size_t size)>;

    struct Result {
        std::unique_ptr<KernelProbes> probes;
        std::optional<ProbeError> error;
    };
    // Loads the program and attaches the process tracepoints (no library yet).
    static Result load(const Options& options, RecordHandler handler);
    ~KernelProbes();
    KernelProbes(const KernelProbes&) = delete;
    KernelProbes& operator=(const KernelProbes&) = delete;

    // Probes the 18 functions in the file at `path`; nothing if that file (same
    // device and inode) already is. nullopt on success.
    std::optional<std::string> attach_library(const std::string& path);
    bool attached(dev_t dev, ino_t ino) const;
    const std::vector<ProbeLibrary>& libraries() const { return libraries_; }

    // Readable when records wait.
    int fd() const;
    // Hands waiting records to the handler, at most `budget` of them; returns
    // how many.
    size_t drain(size_t budget);

    // Calls of a pid that the monitor gets another way are not captured.
    void mute(uint32_t pid);
    // Every process the kernel side knows now (calls numbered, calls lost).
    std::vector<ProbeProcessCounts> process_counts() const;
    // Forgets a process the monitor found gone (its exit record was lost).
    void forget(uint32_t pid);
    // Calls of processes the kernel's process table had no room for.
    uint64_t unregistered_calls() const;

private:
    KernelProbes() = default;
    static int on_record(void* ctx, void* data, size_t size);

    pcsc_probes* skel_ = nullptr;
    ring_buffer* ring_ = nullptr;
    RecordHandler handler_;
    size_t budget_left_ = 0;
    size_t handled_ = 0;
    std::vector<ProbeLibrary> libraries_;
    std::vector<bpf_link*> links_;
};

// The capabilities test behind the default: may this process load probes?
bool may_load_probes();

}  // namespace pcscspy::ebpf
