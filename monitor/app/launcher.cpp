#include "monitor/app/launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace pcscspy {

namespace {
bool executable(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}
std::string folder_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}
}  // namespace

std::optional<std::string> find_launcher(const std::string& self_exe) {
    std::string here = folder_of(self_exe);
    // Relative to this executable, as pcscspy-run finds the interposer: installed
    // side by side in the prefix's bin/, or in the build tree (build/monitor and
    // build/run). Nothing of the build is compiled in: a relocated installation
    // works, and an installed one never runs a build tree's launcher.
    const std::string candidates[] = {
        here + "/pcscspy-run",
        here + "/../run/pcscspy-run",
    };
    for (const std::string& c : candidates)
        if (executable(c)) return c;
    return std::nullopt;
}

std::string default_command_log(const std::string& socket_path) { return folder_of(socket_path) + "/command.log"; }

// pcscspy-run looks CMD up the same way (run/launch.cpp); the monitor does not
// link run/, and these few lines are the rule execvp follows.
std::optional<std::string> command_start_problem(const std::string& command, int& exit_status) {
    auto problem_with = [&](const std::string& file) -> std::optional<std::string> {
        struct stat st;
        if (stat(file.c_str(), &st) != 0) {
            exit_status = 127;
            return "cannot run " + command + ": " + std::strerror(errno);
        }
        if (!S_ISREG(st.st_mode) || access(file.c_str(), X_OK) != 0) {
            exit_status = 126;
            return "cannot run " + command + ": " + (S_ISDIR(st.st_mode) ? "it is a folder" : "not executable");
        }
        return std::nullopt;
    };
    if (command.find('/') != std::string::npos) return problem_with(command);
    const char* path = getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::optional<std::string> unusable;  // the first one found that cannot be run
    for (size_t start = 0; start <= dirs.size();) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string file = (dir.empty() ? std::string(".") : dir) + "/" + command;
        start = end + 1;
        if (access(file.c_str(), F_OK) != 0) continue;
        auto problem = problem_with(file);
        if (!problem) return std::nullopt;
        if (!unusable) unusable = problem;
    }
    exit_status = unusable ? 126 : 127;
    if (unusable) return unusable;
    return "cannot run " + command + ": command not found";
}

LaunchResult launch_command(const std::string& launcher, const std::string& socket_path,
                            const std::vector<std::string>& command, const std::optional<std::string>& log_path) {
    LaunchResult r;
    if (command.empty()) {
        r.error = "no command to run";
        return r;
    }
    if (auto problem = command_start_problem(command.front(), r.exit_status)) {
        r.error = *problem;
        return r;
    }
    r.exit_status = 1;
    int log = -1;
    if (log_path) {
        log = ::open(log_path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (log < 0) {
            r.error = "cannot create the command log " + *log_path + ": " + std::strerror(errno);
            return r;
        }
    }
    auto fail = [&](std::string error) {
        if (log >= 0) {
            ::close(log);
            ::unlink(log_path->c_str());
        }
        r.error = std::move(error);
        return r;
    };
    int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::vector<std::string> args = {launcher, "--socket", socket_path, "--"};
    args.insert(args.end(), command.begin(), command.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // A pipe that closes on exec tells the parent whether exec worked.
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
    pid_t pid = fork();
    if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(status_pipe[0]);
        // The monitor blocks SIGINT/SIGTERM/SIGCHLD for its signalfd and exec keeps
        // the mask: the command must get the default one. Its own process group
        // lets the monitor stop the whole command (and its children) when it ends.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        setpgid(0, 0);
        if (null_in >= 0) dup2(null_in, 0);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        } else {
            dup2(2, 1);  // both to the monitor's stderr: its stdout is the calls
        }
        setenv("PCSCSPY_SOCKET", socket_path.c_str(), 1);
        execv(launcher.c_str(), argv.data());
        int e = errno;
        (void)!write(status_pipe[1], &e, sizeof e);
        _exit(127);
    }
    ::close(status_pipe[1]);
    if (null_in >= 0) ::close(null_in);
    int child_errno = 0;
    ssize_t n = read(status_pipe[0], &child_errno, sizeof child_errno);
    ::close(status_pipe[0]);
    if (n == sizeof child_errno) {
        waitpid(pid, nullptr, 0);
        return fail("cannot run " + launcher + ": " + std::strerror(child_errno));
    }
    if (log >= 0) ::close(log);
    LaunchedCommand c;
    c.pid = pid;
    c.log_path = log_path.value_or("");
    for (const std::string& a : command) c.description += (c.description.empty() ? "" : " ") + a;
    r.command = c;
    return r;
}

int command_exit_status(int wait_status) {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

std::optional<int> stop_command(const LaunchedCommand& command, int grace_ms) {
    // The command runs in its own process group (see launch_command).
    if (command.pid <= 0) return std::nullopt;
    ::kill(-command.pid, SIGTERM);
    int status = 0;
    for (int waited = 0; waited < grace_ms; waited += 10) {
        if (waitpid(command.pid, &status, WNOHANG) == command.pid) return command_exit_status(status);
        usleep(10'000);
    }
    ::kill(-command.pid, SIGKILL);
    if (waitpid(command.pid, &status, 0) == command.pid) return command_exit_status(status);
    return std::nullopt;
}

}  // namespace pcscspy
