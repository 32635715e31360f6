// Who a process is, for the `hello` the system-wide capture sends for it: read
// from /proc/PID (exe, argv, ppid, uid) when its first call is seen; if the
// process has already ended by then, what the probes captured in the kernel
// (its command line, uid, parent, command name) stands in.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/ebpf/probe_record.hpp"

namespace pcscspy::ebpf {

struct ProcessIdentity {
    int64_t ppid = 0;
    int64_t uid = -1;
    std::string exe;
    std::vector<std::string> argv;
    bool argv_truncated = false;
    // pcscspy's interposer is loaded in it: its events may come through the
    // socket too (that stream wins).
    bool interposer_loaded = false;
};

// From `proc` (normally "/proc") for `pid`; nullopt if it is gone. The
// interposer is recognised by its file name, or by inode when it was installed
// in place of libpcsclite.so.1 (`interposer_inodes`).
std::optional<ProcessIdentity> read_proc_identity(const std::string& proc, uint32_t pid,
                                                  const std::vector<ino_t>& interposer_inodes = {});

// Whether a /proc/PID/maps text maps the interposer.
bool maps_interposer(std::string_view maps, const std::vector<ino_t>& interposer_inodes);

// From a PROCESS_FIRST record.
ProcessIdentity identity_from_record(const ProbeRecord& first);

// The arguments in a NUL-separated command line (a last one may lack its NUL).
std::vector<std::string> split_command_line(std::string_view bytes);

}  // namespace pcscspy::ebpf
