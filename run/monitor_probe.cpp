#include "run/monitor_probe.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "protocol/socket_path.hpp"

namespace pcscspy::run {

namespace {

std::string folder_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// NUL-separated lists (/proc/PID/cmdline, /proc/PID/environ).
std::vector<std::string> split_nul(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::optional<std::string> env_value(const std::vector<std::string>& environ, std::string_view name) {
    for (const std::string& e : environ)
        if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
            return e.substr(name.size() + 1);
    return std::nullopt;
}

// The effective uid of a process (second field of "Uid:" in /proc/PID/status).
std::optional<uid_t> effective_uid(const std::string& status) {
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Uid:", 0) == 0) {
            std::istringstream fields(line.substr(4));
            unsigned long real = 0, effective = 0;
            if (fields >> real >> effective) return static_cast<uid_t>(effective);
        }
    return std::nullopt;
}

// The socket a pcscspy-top listens on, by its own rule (--socket, PCSCSPY_SOCKET,
// XDG_RUNTIME_DIR, uid); empty when it does not listen (--replay) or we cannot tell.
std::string monitor_socket(const std::string& dir, uid_t uid, bool same_user) {
    std::vector<std::string> argv = split_nul(read_all(dir + "/cmdline"));
    std::string option;
    for (size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") break;
        if (a == "--replay" || a.rfind("--replay=", 0) == 0) return "";
        if (a == "--socket" && i + 1 < argv.size()) option = argv[++i];
        else if (a.rfind("--socket=", 0) == 0) option = a.substr(9);
    }
    if (!option.empty() && option.front() != '/') {
        if (!same_user) return "";
        char cwd[4096];
        ssize_t n = readlink((dir + "/cwd").c_str(), cwd, sizeof cwd - 1);
        if (n <= 0) return "";
        option = std::string(cwd, static_cast<size_t>(n)) + "/" + option;
    }
    if (!option.empty()) return option;
    if (!same_user) return "";  // another user's environment is not ours to read
    std::vector<std::string> environ = split_nul(read_all(dir + "/environ"));
    auto forced = env_value(environ, "PCSCSPY_SOCKET");
    auto xdg = env_value(environ, "XDG_RUNTIME_DIR");
    return effective_socket_path("", forced ? forced->c_str() : nullptr, xdg ? xdg->c_str() : nullptr, uid);
}

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

MonitorProbe probe_monitor(const std::string& socket_path) {
    MonitorProbe r;
    const std::string dir = folder_of(socket_path);
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0) return r;  // nothing there: no monitor has run there
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        r.why = "its folder " + dir + " is not a directory, and traced programs only send through a real one";
        return r;
    }
    if (st.st_uid != geteuid()) {
        r.why = "its folder " + dir + " belongs to uid " + std::to_string(st.st_uid) +
                ", and traced programs only send through a folder of their own uid (" + std::to_string(geteuid()) + ")";
        return r;
    }
    if ((st.st_mode & 07777) != 0700) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        r.why = "its folder " + dir + " has mode " + mode + ", and traced programs only send through mode 0700";
        return r;
    }
    if (lstat(socket_path.c_str(), &st) != 0) return r;
    if (!S_ISSOCK(st.st_mode)) {
        r.why = socket_path + " is not a socket";
        return r;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) {
        r.why = "the path is too long for a socket";
        return r;
    }
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return r;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        // ECONNREFUSED: a socket left behind by a monitor that ended.
        if (errno != ECONNREFUSED) r.why = std::string("connecting: ") + std::strerror(errno);
        close(fd);
        return r;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid != geteuid() && cred.uid != 0)
        r.why = "the listener runs as uid " + std::to_string(cred.uid) + ", which traced programs do not send to";
    else
        r.listening = true;
    close(fd);
    return r;
}

std::vector<RunningMonitor> running_monitors(const std::string& proc) {
    std::vector<RunningMonitor> out;
    DIR* d = opendir(proc.c_str());
    if (!d) return out;
    const pid_t self = getpid();
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end || pid == self) continue;
        const std::string dir = proc + "/" + e->d_name;
        std::string comm = read_all(dir + "/comm");
        if (comm != "pcscspy-top\n") continue;
        const std::string status = read_all(dir + "/status");
        if (status.find("\nState:\tZ") != std::string::npos) continue;  // a zombie listens no more
        auto uid = effective_uid(status);
        if (!uid) continue;
        RunningMonitor m;
        m.pid = static_cast<pid_t>(pid);
        m.uid = *uid;
        m.socket = monitor_socket(dir, *uid, *uid == geteuid());
        out.push_back(m);
    }
    closedir(d);
    return out;
}

std::optional<pid_t> system_capture_monitor(const std::string& proc) {
    // Lines end with the path; abstract names show with a leading '@'.
    std::istringstream lines(read_all(proc + "/net/unix"));
    const std::string marker = "@" + std::string(kSystemCaptureSocketPrefix);
    for (std::string line; std::getline(lines, line);) {
        const size_t at = line.rfind(' ');
        if (at == std::string::npos || line.compare(at + 1, marker.size(), marker) != 0) continue;
        const std::string digits = line.substr(at + 1 + marker.size());
        char* end = nullptr;
        const long pid = std::strtol(digits.c_str(), &end, 10);
        if (pid > 0 && end && *end == '\0') return static_cast<pid_t>(pid);
    }
    return std::nullopt;
}

std::string no_monitor_note(const std::string& socket_path, const std::string& command, const std::string& proc) {
    MonitorProbe here = probe_monitor(socket_path);
    if (here.listening) return "";
    const std::string name = base_name(command);
    if (auto pid = system_capture_monitor(proc))
        return "pcscspy-run: no monitor listens on " + socket_path + ", but pcscspy-top (pid " + std::to_string(*pid) +
               ") captures every program on this machine: " + name + " is traced there\n";
    const std::vector<RunningMonitor> monitors = running_monitors(proc);
    std::string note = "pcscspy-run: ";
    if (here.why.empty())
        note += "no monitor listens on " + socket_path + " yet; " + name +
                " runs, and is traced once pcscspy-top listens there\n";
    else
        note += "no monitor can be reached on " + socket_path + ": " + here.why + "; " + name + " runs untraced\n";

    // Where a monitor does listen: one of ours on another socket first.
    const uid_t me = geteuid();
    for (const RunningMonitor& m : monitors)
        if (m.uid == me && !m.socket.empty() && m.socket != socket_path && probe_monitor(m.socket).listening)
            return note + "pcscspy-run: pcscspy-top (pid " + std::to_string(m.pid) + ") listens on " + m.socket +
                   ": pcscspy-run --socket " + m.socket + " -- " + name + " ... (or export PCSCSPY_SOCKET=" +
                   m.socket + " for both)\n";
    for (const RunningMonitor& m : monitors) {
        if (m.uid == me) continue;
        std::string who = "pcscspy-run: pcscspy-top (pid " + std::to_string(m.pid) + ") runs as " +
                          (m.uid == 0 ? std::string("root") : "uid " + std::to_string(m.uid));
        if (me == 0)
            return note + who + ", but programs run as root only send to a monitor run as root: start it with sudo "
                          "too (sudo pcscspy-top), or run " + name + " without sudo\n";
        return note + who + ", but programs of uid " + std::to_string(me) +
               " only send to a monitor of their own uid: run pcscspy-top as uid " + std::to_string(me) +
               (m.uid == 0 ? " (without sudo)" : "") + "\n";
    }
    return note;
}

}  // namespace pcscspy::run
