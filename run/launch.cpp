#include "run/launch.hpp"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PCSCSPY_INTERPOSER_RELPATH
#define PCSCSPY_INTERPOSER_RELPATH "../lib/pcscspy/libpcscspy-interposer.so"
#endif

namespace fs = std::filesystem;

namespace pcscspy::run {

namespace {
constexpr const char* kLibraryName = "libpcscspy-interposer.so";

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

// glibc's dlopen itself: pcscspy-run may run with the interposer preloaded
// (nested runs), whose hook would answer libpcsclite names with itself.
void* open_library(const char* name) {
    using DlopenFn = void* (*)(const char*, int);
    static DlopenFn real = [] {
        void* p = dlvsym(RTLD_DEFAULT, "dlopen", "GLIBC_2.34");
        if (!p) p = dlvsym(RTLD_DEFAULT, "dlopen", "GLIBC_2.2.5");
        return p ? reinterpret_cast<DlopenFn>(p) : &dlopen;
    }();
    return real(name, RTLD_LAZY | RTLD_LOCAL);
}

std::string loaded_path(void* handle, const std::string& fallback) {
    link_map* lm = nullptr;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name) return lm->l_name;
    return fallback;
}
}  // namespace

std::string own_directory() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

std::optional<std::string> locate_interposer(const std::string& exe_dir) {
    // Installed (through the prefix's relative path), next to it, or in the build
    // tree (build/run/pcscspy-run, build/interposer/libpcscspy-interposer.so).
    std::vector<fs::path> candidates = {fs::path(exe_dir) / PCSCSPY_INTERPOSER_RELPATH, fs::path(exe_dir) / kLibraryName,
                                        fs::path(exe_dir) / "../interposer" / kLibraryName};
    std::error_code ec;
    fs::path up = fs::path(exe_dir).parent_path();
    for (const auto& entry : fs::directory_iterator(up, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("lib", 0) != 0) continue;
        candidates.push_back(entry.path() / "pcscspy" / kLibraryName);
        for (const auto& sub : fs::directory_iterator(entry.path(), ec))
            candidates.push_back(sub.path() / "pcscspy" / kLibraryName);
    }
    for (const fs::path& c : candidates)
        if (is_file(c)) return fs::weakly_canonical(c, ec).string();
    return std::nullopt;
}

bool is_interposer(void* handle) {
    Dl_info own, hook;
    void* establish = dlsym(handle, "SCardEstablishContext");
    void* open = dlsym(handle, "dlopen");
    return establish && open && dladdr(establish, &own) && dladdr(open, &hook) && own.dli_fbase == hook.dli_fbase;
}

Backend resolve_backend(const std::string& requested) {
    if (!requested.empty()) {
        void* h = open_library(requested.c_str());
        if (!h) return {"", dlerror()};
        std::string p = loaded_path(h, requested);
        std::error_code ec;
        return {fs::absolute(p, ec).string(), ""};
    }
    for (const char* name : {"libpcsclite.so.1", "libpcsclite_real.so.1"}) {
        void* h = open_library(name);
        if (!h) continue;
        if (is_interposer(h)) continue;  // installed system-wide: use its backend
        return {loaded_path(h, name), ""};
    }
    const char* e = dlerror();
    return {"", e ? e : "no libpcsclite.so.1 found"};
}

std::string join_preload(const std::string& interposer, const char* existing) {
    if (!existing || !*existing) return interposer;
    // Already there (pcscspy-run inside pcscspy-run): keep the list as it is.
    std::string list = existing;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find_first_of(": ", start);
        if (end == std::string::npos) end = list.size();
        if (list.compare(start, end - start, interposer) == 0) return list;
        start = end + 1;
    }
    return interposer + ":" + list;
}

void prepare_environment(const LaunchOptions& o) {
    setenv("LD_PRELOAD", join_preload(o.interposer, getenv("LD_PRELOAD")).c_str(), 1);
    if (!o.backend.empty()) setenv("PCSCSPY_BACKEND", o.backend.c_str(), 1);
    if (!o.socket.empty()) {
        std::error_code ec;
        setenv("PCSCSPY_SOCKET", fs::absolute(o.socket, ec).c_str(), 1);
    }
    if (o.redact) setenv("PCSCSPY_REDACT", "1", 1);
    if (o.debug) setenv("PCSCSPY_DEBUG", "1", 1);
}

std::string find_in_path(const std::string& command) {
    if (command.find('/') != std::string::npos) return command;
    const char* path = getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string file = (dir.empty() ? std::string(".") : dir) + "/" + command;
        if (access(file.c_str(), X_OK) == 0 && is_file(file)) return file;
        start = end + 1;
    }
    return "";
}

std::string privilege_bits(const std::string& file) {
    struct stat st;
    if (file.empty() || stat(file.c_str(), &st) != 0) return "";
    if (st.st_mode & S_ISUID) return "set-uid";
    if (st.st_mode & S_ISGID) return "set-gid";
    return "";
}

}  // namespace pcscspy::run
