// A program that hands its smart card work to a daemon already running is not
// traced by `pcscspy-run -- PROGRAM`: the PC/SC calls are the daemon's, and the
// daemon was started without the interposer. gpg and friends talk to the card
// through gpg-agent's scdaemon; when one runs untraced for this user,
// pcscspy-run says so before running the command, and how to stop it so that
// the command starts a traced one.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace pcscspy::run {

struct UntracedDaemon {
    pid_t pid = 0;
    std::string name;  // "gpg-agent", "scdaemon"
    std::string stop;  // the command that stops it ("gpgconf --kill gpg-agent")
};

// The daemon `command` would use that runs for our uid without the interposer
// (neither preloaded nor installed system-wide), if any.
std::optional<UntracedDaemon> untraced_daemon_for(const std::string& command, const std::string& proc = "/proc");

// The note for stderr (one line).
std::string untraced_daemon_note(const UntracedDaemon& d, const std::string& command);

}  // namespace pcscspy::run
