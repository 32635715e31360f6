// Where the monitor listens and the traced programs send (contract: "Default
// socket"), computed the same way by pcscspy-top and pcscspy-run (the
// interposer, which must not allocate, writes the same rule out by hand in
// transport.cpp). Pure: the caller passes the environment and the uid.
#pragma once

#include <string>
#include <string_view>

namespace pcscspy {

// $XDG_RUNTIME_DIR/pcscspy/socket when XDG_RUNTIME_DIR is set and not empty,
// else /tmp/pcscspy-<uid>/socket.
inline std::string default_socket_path(const char* xdg_runtime_dir, unsigned long uid) {
    if (xdg_runtime_dir && *xdg_runtime_dir) return std::string(xdg_runtime_dir) + "/pcscspy/socket";
    return "/tmp/pcscspy-" + std::to_string(uid) + "/socket";
}

// The socket in force: an explicit --socket, else PCSCSPY_SOCKET when set and
// not empty, else the default.
inline std::string effective_socket_path(std::string_view option, const char* pcscspy_socket,
                                         const char* xdg_runtime_dir, unsigned long uid) {
    if (!option.empty()) return std::string(option);
    if (pcscspy_socket && *pcscspy_socket) return pcscspy_socket;
    return default_socket_path(xdg_runtime_dir, uid);
}

// While a pcscspy-top captures every program on the machine (the eBPF
// source, not limited by --pid), it holds an abstract Unix socket of this name
// followed by its pid. It carries nothing: /proc/net/unix shows it to every
// user, and the kernel removes it with the process (also on SIGKILL), so that
// pcscspy-run can tell a user that such a monitor sees their program anyway.
inline constexpr std::string_view kSystemCaptureSocketPrefix = "pcscspy-top/system-capture/";

}  // namespace pcscspy
