#include "monitor/ebpf/process_identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstring>

namespace pcscspy::ebpf {

namespace {

std::optional<std::string> read_whole(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fd);
    if (n < 0) return std::nullopt;
    return text;
}

// The first number after "Key:" in /proc/PID/status.
std::optional<int64_t> status_field(std::string_view status, std::string_view key) {
    size_t at = 0;
    while (at < status.size()) {
        size_t eol = status.find('\n', at);
        std::string_view line = status.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
            int64_t v = 0;
            bool any = false;
            for (size_t i = key.size() + 1; i < line.size(); ++i) {
                char c = line[i];
                if (c >= '0' && c <= '9') {
                    v = v * 10 + (c - '0');
                    any = true;
                } else if (any) {
                    break;
                }
            }
            if (any) return v;
            return std::nullopt;
        }
        if (eol == std::string_view::npos) break;
        at = eol + 1;
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view bytes) {
    std::vector<std::string> argv;
    size_t at = 0;
    while (at < bytes.size()) {
        size_t nul = bytes.find('\0', at);
        if (nul == std::string_view::npos) nul = bytes.size();
        argv.emplace_back(bytes.substr(at, nul - at));
        at = nul + 1;
    }
    return argv;
}

bool maps_interposer(std::string_view maps, const std::vector<ino_t>& interposer_inodes) {
    if (maps.find("libpcscspy-interposer") != std::string_view::npos) return true;
    if (interposer_inodes.empty()) return false;
    // "start-end perms offset dev inode   path": the fifth field.
    size_t at = 0;
    while (at < maps.size()) {
        size_t eol = maps.find('\n', at);
        std::string_view line = maps.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
        size_t field = 0, i = 0;
        while (field < 4 && i < line.size()) {
            while (i < line.size() && line[i] != ' ') ++i;
            while (i < line.size() && line[i] == ' ') ++i;
            ++field;
        }
        ino_t inode = 0;
        while (i < line.size() && line[i] >= '0' && line[i] <= '9') inode = inode * 10 + static_cast<ino_t>(line[i++] - '0');
        for (ino_t ino : interposer_inodes)
            if (inode != 0 && inode == ino) return true;
        if (eol == std::string_view::npos) break;
        at = eol + 1;
    }
    return false;
}

std::optional<ProcessIdentity> read_proc_identity(const std::string& proc, uint32_t pid,
                                                  const std::vector<ino_t>& interposer_inodes) {
    const std::string base = proc + "/" + std::to_string(pid);
    auto status = read_whole(base + "/status");
    auto cmdline = read_whole(base + "/cmdline");
    if (!status || !cmdline) return std::nullopt;
    ProcessIdentity id;
    id.ppid = status_field(*status, "PPid").value_or(0);
    id.uid = status_field(*status, "Uid").value_or(-1);
    char exe[PATH_MAX];
    ssize_t n = readlink((base + "/exe").c_str(), exe, sizeof exe);
    if (n > 0) id.exe.assign(exe, static_cast<size_t>(n));
    id.argv = split_command_line(*cmdline);
    if (auto maps = read_whole(base + "/maps")) id.interposer_loaded = maps_interposer(*maps, interposer_inodes);
    // Gone in the meantime (the pid may even have been reused): not this process.
    if (!read_whole(base + "/status")) return std::nullopt;
    return id;
}

ProcessIdentity identity_from_record(const ProbeRecord& first) {
    ProcessIdentity id;
    std::string comm;
    for (const ProbeItem& item : first.items) {
        switch (item.kind) {
            case PROBE_ITEM_IDS:
                if (item.bytes.size() >= 2 * sizeof(uint32_t)) {
                    uint32_t ids[2];
                    std::memcpy(ids, item.bytes.data(), sizeof ids);
                    id.uid = ids[0];
                    id.ppid = ids[1];
                }
                break;
            case PROBE_ITEM_COMM: {
                std::string_view t = item.text();
                comm = std::string(t.substr(0, t.find('\0')));
                break;
            }
            case PROBE_ITEM_ARGV:
                id.argv = split_command_line(item.text());
                id.argv_truncated = item.bytes.size() >= PCSCSPY_PROBE_ARGV_CAP;
                break;
            default:
                break;
        }
    }
    // No path to the executable is known: its first argument, else its command name.
    id.exe = !id.argv.empty() && !id.argv[0].empty() ? id.argv[0] : comm;
    return id;
}

}  // namespace pcscspy::ebpf
