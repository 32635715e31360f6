#include "interposer/backend.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include "interposer/debug_log.hpp"

#ifndef PCSCSPY_SYSTEM_PCSCLITE
#define PCSCSPY_SYSTEM_PCSCLITE "/usr/lib/x86_64-linux-gnu/libpcsclite.so.1"
#endif

namespace pcscspy::interposer {

namespace {

template <class>
struct NoService;
template <class... A>
struct NoService<LONG (*)(A...)> {
    static LONG call(A...) { return SCARD_E_NO_SERVICE; }
};

constexpr BackendFunctions kNoBackend = {
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) &NoService<decltype(BackendFunctions::fn)>::call,
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
    nullptr,
};

constexpr const char* kRealName = "libpcsclite_real.so.1";

char g_path[PATH_MAX];
char g_error[256];
void* g_handle = nullptr;
const void* g_backend_base = nullptr;
Via g_via = Via::Preload;
std::atomic<bool> g_redirected{false};
std::atomic<int> g_load_mode{-1};
std::atomic<DlopenFn> g_real_dlopen{nullptr};

const void* object_base(const void* address) {
    Dl_info info;
    if (address == nullptr || dladdr(address, &info) == 0) return nullptr;
    return info.dli_fbase;
}

const void* self_base() { return object_base(reinterpret_cast<const void*>(&backend_init)); }

const char* base_name(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool same_file(const char* a, const char* b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Via detect_via() {
    const char* self = self_path();
    const char* delegate = getenv("LIBPCSCLITE_DELEGATE");
    if (delegate && *delegate &&
        (strchr(delegate, '/') ? same_file(delegate, self) : strcmp(delegate, base_name(self)) == 0))
        return Via::Delegate;
    if (strncmp(base_name(self), "libpcsclite", 11) == 0) return Via::Replace;
    return Via::Preload;
}

void set_error(const char* what, const char* detail) {
    snprintf(g_error, sizeof g_error, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

bool try_candidate(const char* name) {
    DlopenFn open = real_dlopen();
    void* h = open ? open(name, RTLD_LAZY | RTLD_LOCAL) : nullptr;
    if (!h) {
        const char* e = dlerror();
        set_error("cannot load the backend", e ? e : name);
        debug_log("backend %s: %s", name, g_error);
        return false;
    }
    void* establish = dlsym(h, "SCardEstablishContext");
    const void* base = object_base(establish);
    if (!establish || !base) {
        set_error("not a PC/SC library (no SCardEstablishContext)", name);
    } else if (base == self_base()) {
        // Guard against loops by identity: the loader may know us by any name.
        set_error("the backend would be the interposer itself", name);
    } else if (object_base(dlsym(h, "dlopen")) == base) {
        set_error("the backend is another pcscspy interposer", name);
    } else {
        g_handle = h;
        g_backend_base = base;
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) \
    if (void* f = dlsym(h, #fn)) g_backend.fn = reinterpret_cast<decltype(g_backend.fn)>(f);
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
        g_backend.pcsc_stringify_error =
            reinterpret_cast<const char* (*)(LONG)>(dlsym(h, "pcsc_stringify_error"));
        link_map* lm = nullptr;
        const char* where = (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name) ? lm->l_name : name;
        snprintf(g_path, sizeof g_path, "%s", where);
        g_error[0] = '\0';
        debug_log("backend %s (%s)", g_path, name);
        return true;
    }
    debug_log("backend %s: %s", name, g_error);
    dlclose(h);
    return false;
}

}  // namespace

BackendFunctions g_backend = kNoBackend;

DlopenFn real_dlopen() {
    DlopenFn f = g_real_dlopen.load(std::memory_order_acquire);
    if (f) return f;
    // The next definition after this library: libc's (never our own hook).
    void* p = dlsym(RTLD_NEXT, "dlopen");
    if (!p) p = dlvsym(RTLD_DEFAULT, "dlopen", "GLIBC_2.34");
    if (!p) p = dlvsym(RTLD_DEFAULT, "dlopen", "GLIBC_2.2.5");
    f = reinterpret_cast<DlopenFn>(p);
    g_real_dlopen.store(f, std::memory_order_release);
    return f;
}

const char* self_path() {
    Dl_info info;
    if (dladdr(reinterpret_cast<const void*>(&backend_init), &info) == 0 || !info.dli_fname) return "";
    return info.dli_fname;
}

bool address_in_backend(const void* address) {
    return g_backend_base != nullptr && object_base(address) == g_backend_base;
}

void note_dlopen_redirect() { g_redirected.store(true, std::memory_order_relaxed); }

Via via() {
    if (g_via == Via::Preload && g_redirected.load(std::memory_order_relaxed)) return Via::Dlopen;
    return g_via;
}

std::string_view via_name(Via v) {
    static constexpr std::string_view kNames[] = {"preload", "dlopen", "replace", "delegate"};
    return kNames[static_cast<size_t>(v)];
}

const char* backend_path() { return g_path; }
const char* backend_error() { return g_error; }

Via load_mode() {
    int m = g_load_mode.load(std::memory_order_relaxed);
    if (m < 0) {
        m = static_cast<int>(detect_via());
        g_load_mode.store(m, std::memory_order_relaxed);
    }
    return static_cast<Via>(m);
}

void backend_init() {
    g_via = load_mode();
    debug_log("loaded as %s (%s)", self_path(), via_name(g_via).data());

    const char* forced = getenv("PCSCSPY_BACKEND");
    if (forced && *forced) {
        try_candidate(forced);
        return;
    }
    char beside[PATH_MAX];
    const char* self = self_path();
    snprintf(beside, sizeof beside, "%.*s%s", static_cast<int>(base_name(self) - self), self, kRealName);

    const char* candidates[3] = {};
    switch (g_via) {
        case Via::Preload:
        case Via::Dlopen:
            candidates[0] = "libpcsclite.so.1";
            candidates[1] = kRealName;
            candidates[2] = PCSCSPY_SYSTEM_PCSCLITE;
            break;
        case Via::Replace:
            candidates[0] = beside;
            candidates[1] = kRealName;
            candidates[2] = PCSCSPY_SYSTEM_PCSCLITE;
            break;
        case Via::Delegate:
            // Never the system libpcsclite.so.1: on pcsc-lite >= 2.1 that is the
            // redirector that loaded us, and it would call us back.
            candidates[0] = kRealName;
            break;
    }
    for (const char* c : candidates)
        if (c && try_candidate(c)) return;
}

}  // namespace pcscspy::interposer
