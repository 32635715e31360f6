// The dlopen hook: a program that dlopens libpcsclite (OpenSC, pyscard, scdaemon)
// by soname or by path gets a handle to this library instead, so each dlsym on it
// finds the wrappers. Used only when the interposer was preloaded: installed as
// libpcsclite.so.1 (replace) or loaded as a delegate it is already what the
// program gets.
//
// Every other dlopen must behave exactly as if we were not there, including the
// caller-dependent parts (the caller's RUNPATH, $ORIGIN, namespace): glibc takes
// the caller from dlopen's return address, so the pass-through is a tail call
// (jmp) to the real dlopen and the return address stays the program's. The tests
// check a RUNPATH-relative dlopen under the interposer.
#include <cstring>
#include <dlfcn.h>

#include "interposer/backend.hpp"
#include "interposer/debug_log.hpp"

namespace pcscspy::interposer {
namespace {

// "libpcsclite.so", optionally followed by ".<digits and dots>", as the file
// part of the name. libpcsclite_real.so.1 and the like are not matched: those
// are backends.
bool names_pcsclite(const char* file) {
    const char* base = strrchr(file, '/');
    base = base ? base + 1 : file;
    static constexpr char kStem[] = "libpcsclite.so";
    if (strncmp(base, kStem, sizeof kStem - 1) != 0) return false;
    const char* rest = base + sizeof kStem - 1;
    if (*rest == '\0') return true;
    if (*rest != '.') return false;
    for (++rest; *rest; ++rest)
        if (!((*rest >= '0' && *rest <= '9') || *rest == '.')) return false;
    return true;
}

}  // namespace

// Returns a handle to ourselves when `file` is the PC/SC library, else nullptr.
void* redirect_dlopen(const char* file, int mode, const void* caller) {
    if (file == nullptr || !names_pcsclite(file) || load_mode() != Via::Preload) return nullptr;
    // A shim we forward to (e.g. pcsc-lite's own spy) loading the real library
    // must get it, not us.
    if (address_in_backend(caller)) return nullptr;
    DlopenFn real = real_dlopen();
    if (!real) return nullptr;
    void* self = real(self_path(), mode);
    if (self) {
        note_dlopen_redirect();
        debug_log("dlopen(\"%s\") answered with the interposer", file);
    }
    return self;
}

}  // namespace pcscspy::interposer

#pragma GCC visibility push(default)
extern "C" void* dlopen(const char* file, int mode) {
    if (void* self = pcscspy::interposer::redirect_dlopen(file, mode, __builtin_return_address(0))) return self;
    pcscspy::interposer::DlopenFn real = pcscspy::interposer::real_dlopen();
    return real ? real(file, mode) : nullptr;
}
#pragma GCC visibility pop
