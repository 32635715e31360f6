// pcscspy-top -- CMD ARGS: runs CMD through pcscspy-run (found next to our own
// executable, else in the build tree) with the interposer on this monitor's
// socket. CMD's stdin is /dev/null; its stdout and stderr go to a log file (the
// dashboard owns the terminal; --command-log F) or, in text mode, to the
// monitor's stderr (stdout stays the monitor's calls).
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
    std::string log_path;     // empty: its output goes to the monitor's stderr
    std::string description;  // "opensc-tool -a" (for status lines)
};

struct LaunchResult {
    std::optional<LaunchedCommand> command;
    std::string error;
    int exit_status = 1;  // with an error: 127 no such command, 126 not executable (as a shell)
};

// Checks first that CMD can be run (found in PATH as execvp would, executable),
// so that a typo is one line and exit 127 before anything starts. With no
// log_path, CMD's output goes to the monitor's stderr. A log made for a command
// that could not start is removed.
LaunchResult launch_command(const std::string& launcher, const std::string& socket_path,
                            const std::vector<std::string>& command, const std::optional<std::string>& log_path);

// Ends a command that is still running when the monitor ends: SIGTERM to its
// process group, SIGKILL after grace_ms. Its exit status once reaped.
std::optional<int> stop_command(const LaunchedCommand& command, int grace_ms = 2000);

// A waitpid() status as a shell would show it (128 + signal when killed).
int command_exit_status(int wait_status);

// The default log file: next to the socket (a private 0700 folder that one
// monitor at a time listens in), so one file that each run replaces.
std::string default_command_log(const std::string& socket_path);

// Why CMD cannot be run, nullopt when it can: found in PATH (or a path with a
// slash), a regular file, executable. Sets `exit_status` as a shell would.
std::optional<std::string> command_start_problem(const std::string& command, int& exit_status);

}  // namespace pcscspy
