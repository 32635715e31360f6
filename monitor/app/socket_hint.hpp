// What the monitor says about its socket when it starts listening: the
// pcscspy-run line whose programs reach it, and, when it runs as root through
// sudo, why the programs a user traces with their own pcscspy-run do not (the
// interposer only sends through a socket folder of its own uid).
#pragma once

#include <optional>
#include <string>

namespace pcscspy {

// "pcscspy-run -- CMD" when a pcscspy-run started like this monitor (same user,
// same XDG_RUNTIME_DIR) sends here by default, else "pcscspy-run --socket P -- CMD";
// "sudo pcscspy-run ..." when this monitor runs as root through sudo.
std::string trace_command_for(const std::string& socket_path);

// Under sudo (root, SUDO_UID of another user): one line saying that user's own
// pcscspy-run does not reach this monitor, and what does.
std::optional<std::string> sudo_hint();

}  // namespace pcscspy
