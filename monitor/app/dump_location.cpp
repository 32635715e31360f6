#include "monitor/app/dump_location.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pcscspy {

namespace {

bool exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

std::string home_of_user() {
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir && pw->pw_dir[0] == '/') return pw->pw_dir;
    return "/";
}

}  // namespace

std::string dump_folder(const std::optional<std::string>& option, const char* xdg_state_home, const char* home) {
    if (option) return *option;
    if (xdg_state_home && xdg_state_home[0] == '/') return std::string(xdg_state_home) + "/pcscspy";
    std::string h = home && home[0] == '/' ? home : home_of_user();
    if (h.size() > 1 && h.back() == '/') h.pop_back();
    return (h == "/" ? "" : h) + "/.local/state/pcscspy";
}

std::string new_dump_file(const std::string& folder, std::time_t t) {
    char stamp[64];
    std::tm local{};
    localtime_r(&t, &local);
    std::strftime(stamp, sizeof stamp, "pcscspy-dump-%Y%m%d-%H%M%S", &local);
    const std::string base = (folder.empty() || folder.back() == '/' ? folder : folder + "/") + stamp;
    std::string path = base + ".json";
    for (int n = 2; exists(path) && n < 1000; ++n) path = base + "-" + std::to_string(n) + ".json";
    return path;
}

std::optional<std::string> make_folder(const std::string& folder) {
    if (folder.empty()) return std::nullopt;
    // Each missing component in turn, from the root down.
    for (size_t at = folder.find('/', 1);; at = folder.find('/', at + 1)) {
        const std::string part = folder.substr(0, at);
        if (!part.empty() && mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            return "cannot create the folder " + part + ": " + std::strerror(errno);
        if (at == std::string::npos) break;
    }
    struct stat st;
    if (stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return folder + " is not a folder";
    return std::nullopt;
}

}  // namespace pcscspy
