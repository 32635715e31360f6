// Before running the command, pcscspy-run looks whether a monitor listens on
// the socket the command's interposer will send to, by the interposer's own
// rules (interposer/transport.cpp): a folder that is a real directory of our
// euid with mode 0700, a socket in it, a listener that accepts, run by us or by
// root. When none does, it says so once, and where a monitor does listen (a
// pcscspy-top of the same user on another socket, or of another user, as with
// `sudo pcscspy-top`), it says that too; when a monitor captures every program
// on the machine, the command is seen there anyway, and the note says only that.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace pcscspy::run {

struct MonitorProbe {
    bool listening = false;
    std::string why;  // when not listening: "no socket there", "the folder ... belongs to uid 0", ...
};
MonitorProbe probe_monitor(const std::string& socket_path);

// A pcscspy-top running on this machine (from /proc), and the socket it listens
// on when we can tell (its own user's processes show their environment).
struct RunningMonitor {
    pid_t pid = 0;
    uid_t uid = 0;
    std::string socket;  // empty when unknown
};
std::vector<RunningMonitor> running_monitors(const std::string& proc = "/proc");

// A pcscspy-top that captures every program on the machine (its system-wide
// capture, announced in <proc>/net/unix; protocol/socket_path.hpp): its pid.
std::optional<pid_t> system_capture_monitor(const std::string& proc = "/proc");

// The note for stderr when no monitor listens on `socket_path` (empty when one
// does): one line, and a second one when a running monitor is found elsewhere.
std::string no_monitor_note(const std::string& socket_path, const std::string& command,
                            const std::string& proc = "/proc");

}  // namespace pcscspy::run
