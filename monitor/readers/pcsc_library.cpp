#include "monitor/readers/pcsc_library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <vector>

#ifndef PCSCSPY_PCSC_LIBDIR
#define PCSCSPY_PCSC_LIBDIR "/usr/lib/x86_64-linux-gnu"
#endif

namespace pcscspy::readers {

namespace {

using DlopenFn = void* (*)(const char*, int);

// libc's own dlopen: looked up in libc's handle, not by symbol search, which
// would find a preloaded interposer's hook first.
DlopenFn libc_dlopen() {
    void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void* f = libc ? dlsym(libc, "dlopen") : nullptr;
    if (libc) dlclose(libc);
    return f ? reinterpret_cast<DlopenFn>(f) : &dlopen;
}

const void* object_of(const void* address) {
    Dl_info info;
    return address && dladdr(address, &info) ? info.dli_fbase : nullptr;
}

}  // namespace

PcscLibrary::Result PcscLibrary::load(const std::optional<std::string>& path) {
    std::vector<std::string> candidates;
    if (path) {
        candidates.push_back(*path);
    } else {
        candidates.push_back(PCSCSPY_PCSC_LIBDIR "/libpcsclite_real.so.1");
        candidates.push_back(PCSCSPY_PCSC_LIBDIR "/libpcsclite.so.1");
        candidates.push_back("libpcsclite.so.1");
    }
    const DlopenFn open = libc_dlopen();
    std::string error = "libpcsclite.so.1 not found (Debian: libpcsclite1)";
    for (const std::string& name : candidates) {
        void* h = open(name.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            if (path) error = std::string("cannot load ") + name + ": " + dlerror();
            continue;
        }
        void* establish = dlsym(h, "SCardEstablishContext");
        const void* base = object_of(establish);
        if (!base || object_of(dlsym(h, "dlopen")) == base) {
            // Not a PC/SC library, or the interposer standing in for one.
            error = name + (base ? " is the pcscspy interposer, not libpcsclite" : " is not a PC/SC library");
            dlclose(h);
            continue;
        }
        std::unique_ptr<PcscLibrary> lib(new PcscLibrary());
        lib->handle_ = h;
        PcscFunctions& f = lib->fn_;
        f.establish_context = reinterpret_cast<decltype(f.establish_context)>(establish);
        f.release_context = reinterpret_cast<decltype(f.release_context)>(dlsym(h, "SCardReleaseContext"));
        f.list_readers = reinterpret_cast<decltype(f.list_readers)>(dlsym(h, "SCardListReaders"));
        f.get_status_change = reinterpret_cast<decltype(f.get_status_change)>(dlsym(h, "SCardGetStatusChange"));
        f.cancel = reinterpret_cast<decltype(f.cancel)>(dlsym(h, "SCardCancel"));
        if (!f.release_context || !f.list_readers || !f.get_status_change || !f.cancel) {
            error = name + " lacks a PC/SC function the watcher needs";
            continue;  // the handle stays with `lib`, freed here
        }
        link_map* lm = nullptr;
        lib->path_ = dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name ? lm->l_name : name;
        return {std::move(lib), ""};
    }
    return {nullptr, error};
}

PcscLibrary::~PcscLibrary() {
    if (handle_) dlclose(handle_);
}

}  // namespace pcscspy::readers
