// The real PC/SC library calls are forwarded to, and how the interposer got into
// the process (the `via` of hello).
//
// PCSCSPY_BACKEND, when set, is the only candidate. Otherwise the candidates
// depend on the mode:
//   preload/dlopen  libpcsclite.so.1, libpcsclite_real.so.1, the system library
//   replace         <own folder>/libpcsclite_real.so.1, libpcsclite_real.so.1,
//                   the system library
//   delegate        libpcsclite_real.so.1 (as pcsc-lite 2.1's redirector)
// Names are opened through the normal library search, so another shim on the
// library path still sees the calls. A candidate that is this very library, or
// another pcscspy interposer (it defines its own dlopen), is skipped. With no
// backend every function returns SCARD_E_NO_SERVICE, as without pcscd.
#pragma once

#include <string_view>

#include <winscard.h>

namespace pcscspy::interposer {

enum class Via : uint8_t { Preload, Dlopen, Replace, Delegate };

struct BackendFunctions {
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) LONG(*fn) params;
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
    const char* (*pcsc_stringify_error)(LONG);  // nullptr when the backend has none
};

// Loads the backend (once; the first PC/SC call does it).
void backend_init();
extern BackendFunctions g_backend;

const char* backend_path();   // "" when none could be loaded
const char* backend_error();  // why, when none could be loaded
Via via();
// How this library was loaded (preload, replace or delegate), known from the
// start (the dlopen hook may run before the first PC/SC call).
Via load_mode();
std::string_view via_name(Via v);

// For the dlopen hook.
using DlopenFn = void* (*)(const char*, int);
DlopenFn real_dlopen();
const char* self_path();  // this library's file as the loader knows it
bool address_in_backend(const void* address);
void note_dlopen_redirect();

}  // namespace pcscspy::interposer
