// pcscspy-run: runs a command with the interposer active, or installs it
// system-wide. See man/pcscspy-run.1.
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "protocol/socket_path.hpp"
#include "run/daemon_check.hpp"
#include "run/launch.hpp"
#include "run/monitor_probe.hpp"
#include "run/system_install.hpp"

#ifndef PCSCSPY_VERSION
#define PCSCSPY_VERSION "unknown"
#endif

namespace {

constexpr std::string_view kUsage =
    "usage: pcscspy-run [--socket PATH] [--backend LIBRARY] [--redact] [--debug] [--quiet] -- COMMAND [ARGS...]\n"
    "       pcscspy-run --install-system [--root DIR]\n"
    "       pcscspy-run --uninstall-system [--root DIR]\n"
    "\n"
    "Runs COMMAND with libpcscspy-interposer.so preloaded, so that its PC/SC calls\n"
    "stream to the pcscspy-top monitor (see pcscspy-run(1)).\n"
    "\n"
    "  --socket PATH        the monitor's socket (default $PCSCSPY_SOCKET, else\n"
    "                       $XDG_RUNTIME_DIR/pcscspy/socket, else /tmp/pcscspy-<uid>/socket)\n"
    "  --backend LIBRARY    the real PC/SC library to forward to\n"
    "                       (default: what the program would load as libpcsclite.so.1)\n"
    "  --redact             mask secret-bearing APDU data (PINs) before it leaves COMMAND\n"
    "  --debug              interposer diagnostics on COMMAND's stderr\n"
    "  --quiet              no notes (no monitor listening, a daemon running untraced)\n"
    "  --install-system     replace the system's libpcsclite.so.1 by the interposer (reversible)\n"
    "  --uninstall-system   restore the system's libpcsclite.so.1 exactly\n"
    "  --root DIR           with --install-system/--uninstall-system: work under DIR instead of /\n"
    "  --help, --version\n";

// What is wrong, in one line, and where to read more (not the whole usage).
int usage_error(const std::string& message) {
    std::cerr << "pcscspy-run: " << message << " (pcscspy-run --help for more)\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    pcscspy::run::LaunchOptions launch;
    std::string backend_request;
    std::string root;
    bool install = false, uninstall = false, quiet = false;
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&](std::string& into) {
            if (i + 1 >= argc) return false;
            into = argv[++i];
            return true;
        };
        if (a == "--") {
            ++i;
            break;
        } else if (a == "--socket") {
            if (!value(launch.socket)) return usage_error("--socket needs a path");
        } else if (a == "--backend") {
            if (!value(backend_request)) return usage_error("--backend needs a library");
        } else if (a == "--root") {
            if (!value(root)) return usage_error("--root needs a folder");
        } else if (a == "--redact") {
            launch.redact = true;
        } else if (a == "--debug") {
            launch.debug = true;
        } else if (a == "--quiet") {
            quiet = true;
        } else if (a == "--install-system") {
            install = true;
        } else if (a == "--uninstall-system") {
            uninstall = true;
        } else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--version") {
            std::cout << "pcscspy-run " PCSCSPY_VERSION "\n";
            return 0;
        } else if (a.size() > 1 && a[0] == '-') {
            return usage_error("unknown option " + std::string(a));
        } else {
            break;  // the command, without "--"
        }
    }

    const std::string own_dir = pcscspy::run::own_directory();
    auto interposer = pcscspy::run::locate_interposer(own_dir);
    if (install && uninstall) return usage_error("--install-system and --uninstall-system exclude each other");
    if (install || uninstall) {
        if (i < argc) return usage_error("no command goes with --install-system/--uninstall-system");
        pcscspy::run::SystemInstallOptions o;
        if (!root.empty()) o.root = root;
        if (uninstall) return pcscspy::run::uninstall_system(o, std::cout, std::cerr);
        if (!interposer) {
            std::cerr << "pcscspy-run: cannot find libpcscspy-interposer.so next to " << own_dir << "\n";
            return 1;
        }
        o.interposer = *interposer;
        return pcscspy::run::install_system(o, std::cout, std::cerr);
    }
    if (!root.empty()) return usage_error("--root goes with --install-system or --uninstall-system");
    if (i >= argc) return usage_error("no command given: pcscspy-run [options] -- COMMAND [ARGS...]");
    if (!interposer) {
        std::cerr << "pcscspy-run: cannot find libpcscspy-interposer.so next to " << own_dir << "\n";
        return 127;
    }
    launch.interposer = *interposer;

    // Resolved once here and passed down, so that every process of COMMAND's
    // tree forwards to the same library.
    if (backend_request.empty() && getenv("PCSCSPY_BACKEND")) backend_request = getenv("PCSCSPY_BACKEND");
    pcscspy::run::Backend backend = pcscspy::run::resolve_backend(backend_request);
    if (backend.path.empty()) {
        std::cerr << "pcscspy-run: warning: no PC/SC library to forward to (" << backend.error
                  << "); PC/SC calls will fail with SCARD_E_NO_SERVICE\n";
        launch.backend = backend_request.empty() ? std::string() : backend_request;
    } else {
        launch.backend = backend.path;
    }

    const std::string command = argv[i];
    const std::string file = pcscspy::run::find_in_path(command);
    if (std::string bits = pcscspy::run::privilege_bits(file); !bits.empty())
        std::cerr << "pcscspy-run: warning: " << file << " is " << bits
                  << ": the loader ignores LD_PRELOAD for it, its PC/SC calls will not be traced\n";

    // Said before the command runs (and its own output starts): where its calls
    // go when nobody listens there, and a daemon that would do its card work untraced.
    if (!quiet) {
        const std::string socket = pcscspy::effective_socket_path(launch.socket, getenv("PCSCSPY_SOCKET"),
                                                                  getenv("XDG_RUNTIME_DIR"), getuid());
        std::cerr << pcscspy::run::no_monitor_note(socket, command);
        // Installed system-wide (the backend is then the kept libpcsclite_real.so.1),
        // every daemon is traced whoever started it.
        const bool system_wide = launch.backend.find("libpcsclite_real.so") != std::string::npos;
        if (!system_wide)
            if (auto daemon = pcscspy::run::untraced_daemon_for(command))
                std::cerr << pcscspy::run::untraced_daemon_note(*daemon, command);
    }

    pcscspy::run::prepare_environment(launch);
    execvp(command.c_str(), argv + i);
    const int e = errno;
    std::cerr << "pcscspy-run: cannot run " << command << ": " << strerror(e) << "\n";
    return e == ENOENT ? 127 : 126;
}
