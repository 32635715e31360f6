#include "run/daemon_check.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>

namespace pcscspy::run {

namespace {

// Which programs do their card work through which daemons, and how to stop
// each. gpg asks gpg-agent, which starts scdaemon; both inherit the environment
// of whoever started them. An untraced gpg-agent starts its scdaemon untraced
// again after `gpgconf --kill scdaemon` (checked on the test bed), so the agent
// is looked at first: stopping it stops its scdaemon too, and the traced gpg
// then starts traced ones.
struct Daemon {
    std::string_view name;  // its /proc/PID/comm
    std::string_view stop;
};
struct DaemonRule {
    std::string_view clients[8];  // program names (basename), exactly
    Daemon daemons[2];            // in the order they are looked at
};
constexpr DaemonRule kRules[] = {
    {{"gpg", "gpg2", "gpg-card", "gpgsm", "gpg-connect-agent", "gpg-agent", "ssh", "ssh-add"},
     {{"gpg-agent", "gpgconf --kill gpg-agent"}, {"scdaemon", "gpgconf --kill scdaemon"}}},
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Traced when the interposer is mapped: preloaded (libpcscspy-interposer.so) or
// installed system-wide (which keeps the real library as libpcsclite_real.so.1).
bool traced(const std::string& maps) {
    return maps.find("libpcscspy-interposer") != std::string::npos ||
           maps.find("libpcsclite_real.so") != std::string::npos;
}

// The first process named `name` of our uid that runs without the interposer.
std::optional<pid_t> untraced_process(std::string_view name, const std::string& proc) {
    DIR* d = opendir(proc.c_str());
    if (!d) return std::nullopt;
    std::optional<pid_t> found;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end) continue;
        const std::string dir = proc + "/" + e->d_name;
        struct stat st;
        if (stat(dir.c_str(), &st) != 0 || st.st_uid != geteuid()) continue;  // another user's daemon is not ours
        if (read_all(dir + "/comm") != std::string(name) + "\n") continue;
        const std::string maps = read_all(dir + "/maps");
        if (maps.empty() || traced(maps)) continue;  // empty: a zombie, nothing runs there any more
        found = static_cast<pid_t>(pid);
        break;
    }
    closedir(d);
    return found;
}

}  // namespace

std::optional<UntracedDaemon> untraced_daemon_for(const std::string& command, const std::string& proc) {
    const std::string name = base_name(command);
    for (const DaemonRule& r : kRules) {
        bool client = false;
        for (std::string_view c : r.clients) client = client || (!c.empty() && c == name);
        if (!client) continue;
        for (const Daemon& d : r.daemons)
            if (auto pid = untraced_process(d.name, proc)) return UntracedDaemon{*pid, std::string(d.name), std::string(d.stop)};
    }
    return std::nullopt;
}

std::string untraced_daemon_note(const UntracedDaemon& d, const std::string& command) {
    return "pcscspy-run: " + d.name + " (pid " + std::to_string(d.pid) + ") already runs untraced, and " +
           base_name(command) + " does its card work through it: no card calls will be seen; stop it first with `" +
           d.stop + "`, and this command starts a traced one\n";
}

}  // namespace pcscspy::run
