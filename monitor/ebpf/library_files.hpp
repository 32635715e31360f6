// Which files hold the PC/SC library that programs call, so that the probes
// see every program: the one the dynamic linker resolves for libpcsclite.so.1
// (its cache, as `ldconfig -p` prints it), plus every libpcsclite*.so* that a
// running process has mapped (a container's, a custom build's), found in
// /proc/*/maps. A file that only forwards to the real library (pcscspy's
// interposer installed in place of libpcsclite.so.1 by `pcscspy-run
// --install-system`, pcsc-lite's spy) is replaced by the library it forwards
// to, so that each call is seen once, where it is really served.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace pcscspy::ebpf {

struct LibraryFile {
    std::string path;  // a path the monitor can open (under /proc/PID/root for another mount namespace)
    dev_t dev = 0;
    ino_t ino = 0;
};

// The path the dynamic linker resolves libpcsclite.so.1 to (x86-64), if any.
std::optional<std::string> resolve_pcsclite();

// True when the file forwards PC/SC calls to another library.
bool is_forwarder(const std::string& path);
// The library a forwarder at `path` forwards to, looked up beside it.
std::optional<std::string> forwarded_to(const std::string& path);

// libpcsclite*.so* files mapped by the processes under `proc` (distinct files).
std::vector<LibraryFile> mapped_libraries(const std::string& proc = "/proc");

struct LibraryScan {
    // The files to probe now: the resolved one and the mapped ones, forwarders
    // replaced, each distinct file once.
    std::vector<LibraryFile> probe;
    // The forwarders met (a process that maps one may have the interposer).
    std::vector<LibraryFile> forwarders;
};
LibraryScan library_files(const std::string& proc = "/proc");

}  // namespace pcscspy::ebpf
