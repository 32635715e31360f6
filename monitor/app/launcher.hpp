// pcscspy-top -- CMD ARGS: runs CMD through pcscspy-run (found next to our own
// executable, else in the build tree) with the interposer on this monitor's
// socket. CMD's stdin is /dev/null and its stdout/stderr go to a log file (the
// dashboard owns the terminal; the text mode's output stays the monitor's).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace pcscspy {

// Where pcscspy-run is: next to `self_exe`, or in the build tree; nullopt if nowhere.
std::optional<std::string> find_launcher(const std::string& self_exe);

struct LaunchedCommand {
    pid_t pid = -1;
    std::string log_path;
    std::string description;  // "opensc-tool -a" (for status lines)
};

struct LaunchResult {
    std::optional<LaunchedCommand> command;
    std::string error;
};

LaunchResult launch_command(const std::string& launcher, const std::string& socket_path,
                            const std::vector<std::string>& command, const std::string& log_path);

// Ends a command that is still running when the monitor ends: SIGTERM to its
// process group, SIGKILL after grace_ms. Its exit status once reaped.
std::optional<int> stop_command(const LaunchedCommand& command, int grace_ms = 2000);

// A waitpid() status as a shell would show it (128 + signal when killed).
int command_exit_status(int wait_status);

// The default log file: next to the socket (a private 0700 folder).
std::string default_command_log(const std::string& socket_path);

}  // namespace pcscspy
