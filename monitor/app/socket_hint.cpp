#include "monitor/app/socket_hint.hpp"

#include <unistd.h>

#include <cstdlib>

#include "protocol/socket_path.hpp"

namespace pcscspy {

namespace {
// The user sudo was run by, when this is root through sudo.
std::optional<std::string> sudo_user() {
    const char* uid = std::getenv("SUDO_UID");
    if (geteuid() != 0 || !uid || !*uid || std::string(uid) == "0") return std::nullopt;
    return std::string(uid);
}
}  // namespace

std::string trace_command_for(const std::string& socket_path) {
    const std::string run = sudo_user() ? "sudo pcscspy-run" : "pcscspy-run";
    if (socket_path == default_socket_path(std::getenv("XDG_RUNTIME_DIR"), getuid())) return run + " -- CMD";
    return run + " --socket " + socket_path + " -- CMD";
}

std::optional<std::string> sudo_hint() {
    auto user = sudo_user();
    if (!user) return std::nullopt;
    return "running as root (sudo): programs that uid " + *user +
           " traces with its own pcscspy-run send to a socket of its own and do not reach this monitor; trace them "
           "with sudo pcscspy-run, or run pcscspy-top without sudo";
}

}  // namespace pcscspy
