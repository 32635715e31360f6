// pcscspy-run --install-system / --uninstall-system [--root DIR]: the reversible
// system-wide mode, for programs started where no environment can be set.
//
// Install: in the folder that holds libpcsclite.so.1 (under DIR, default /), keep
// the real library reachable as libpcsclite_real.so.1 (a symlink to what
// libpcsclite.so.1 pointed to, unless pcsc-lite >= 2.1 already has one), and put
// a copy of the interposer in place of libpcsclite.so.1 as a regular file (a
// symlink would be "repaired" by the next ldconfig run). What was there is
// recorded in DIR/var/lib/pcscspy/system-install (and backed up when it was a
// regular file). Uninstall restores exactly that (bytes, links, modes), removes
// what install (and ldconfig, for the interposer's soname) added, and rebuilds
// the loader cache. Both refuse, changing nothing, on a state they did not leave.
// Crash-safe: a journal (.pcscspy-journal next to the library) exists from
// before the first change to after the last; a run killed anywhere leaves it,
// and the next install or uninstall first goes back to the original from it.
// Every path is resolved inside DIR (rooted_tree.hpp).
#pragma once

#include <iosfwd>
#include <string>

namespace pcscspy::run {

struct SystemInstallOptions {
    std::string root = "/";
    std::string interposer;  // the file to install (install only)
};

// Return the process exit status; messages go to out/err.
int install_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err);
int uninstall_system(const SystemInstallOptions& o, std::ostream& out, std::ostream& err);

}  // namespace pcscspy::run
