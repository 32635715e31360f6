// What pcscspy-run does before exec: find the interposer of its own installation,
// resolve the real PC/SC library once, and prepare the environment.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pcscspy::run {

// The interposer next to this program: <bindir>/<relative install path>, the
// build tree (same folder), or ../lib*/[<multiarch>/]pcscspy/.
std::optional<std::string> locate_interposer(const std::string& exe_dir);
std::string own_directory();  // folder of /proc/self/exe

struct Backend {
    std::string path;   // absolute path, empty when none found
    std::string error;  // why, when empty
};
// The library the traced program would load as libpcsclite.so.1, resolved by the
// normal library search (so another shim on the library path stays in front).
// When that is a pcscspy interposer installed system-wide, its backend
// (libpcsclite_real.so.1) instead.
Backend resolve_backend(const std::string& requested);
// True when the library defines its own dlopen, as the interposer does.
bool is_interposer(void* handle);

struct LaunchOptions {
    std::string interposer;
    std::string backend;  // empty: leave PCSCSPY_BACKEND as it is
    std::string socket;   // empty: leave PCSCSPY_SOCKET as it is
    bool redact = false;
    bool debug = false;
};
// Sets LD_PRELOAD (interposer first, existing entries kept), PCSCSPY_* .
void prepare_environment(const LaunchOptions& o);
std::string join_preload(const std::string& interposer, const char* existing);

// The file execvp would run for `command` (PATH search), or empty.
std::string find_in_path(const std::string& command);
// "set-uid", "set-gid" or empty.
std::string privilege_bits(const std::string& file);

}  // namespace pcscspy::run
