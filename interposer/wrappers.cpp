// The exported PC/SC API: the 18 functions, generated from protocol/pcsc_api.def
// (each captures its arguments in .def order and goes through the tracer), plus
// what replaces libpcsclite.so.1 must also export: pcsc_stringify_error and the
// g_rgSCardT0Pci/T1Pci/RawPci data.

// pcsc-lite's declarations, first of all, as exported (everything else is
// hidden): our definitions must match them exactly, which the compiler checks.
#pragma GCC visibility push(default)
#include <winscard.h>
#pragma GCC visibility pop

#include "interposer/backend.hpp"
#include "interposer/lifecycle.hpp"
#include "interposer/tracer.hpp"

#include <cstdio>
#include <type_traits>

#include "protocol/pcsc_names.hpp"

namespace {

template <class T>
uint64_t arg_bits(T v) {
    if constexpr (std::is_pointer_v<T>) return reinterpret_cast<uintptr_t>(v);
    else return static_cast<uint64_t>(v);
}

}  // namespace

#define PCSCSPY_ARG(kind, name, related) arg_bits(name),
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args)                 \
    extern "C" LONG fn params {                                            \
        using namespace pcscspy::interposer;                               \
        const uint64_t values[] = {args};                                  \
        TraceState st;                                                     \
        trace_before(pcscspy::PcscFunction::fn, values, st);               \
        const LONG rv = g_backend.fn names;                                \
        trace_after(pcscspy::PcscFunction::fn, values, st, rv);            \
        return rv;                                                         \
    }
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
#undef PCSCSPY_ARG

extern "C" const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
extern "C" const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
extern "C" const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

// The backend's own text when it has one (same answers as without us), else
// pcsc-lite's wording from protocol/'s table.
extern "C" const char* pcsc_stringify_error(const LONG rv) {
    using namespace pcscspy::interposer;
    ensure_initialized();
    if (g_backend.pcsc_stringify_error) return g_backend.pcsc_stringify_error(rv);
    if (const pcscspy::Named* n = pcscspy::find_return_code(rv)) return n->meaning.data();
    static thread_local char unknown[40];
    snprintf(unknown, sizeof unknown, "Unknown error: 0x%08lX", static_cast<unsigned long>(rv));
    return unknown;
}
