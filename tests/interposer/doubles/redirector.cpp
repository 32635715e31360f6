// A stand-in for pcsc-lite >= 2.1's libpcsclite.so.1, the redirector (Debian 12
// ships 1.9.9): at the first SCardEstablishContext it dlopens
// $LIBPCSCLITE_DELEGATE (else libpcsclite_real.so.1) and forwards every call to
// it, refusing a delegate that resolves to itself; until then, and when loading
// fails, calls return SCARD_F_INTERNAL_ERROR. As in pcsc-lite 2.1 (built from
// error.c and libredirect.c), pcsc_stringify_error is its own.
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

#include <winscard.h>

namespace {

template <class>
struct Internal;
template <class... A>
struct Internal<LONG (*)(A...)> {
    static LONG call(A...) { return SCARD_F_INTERNAL_ERROR; }
};

struct Redirect {
#define FN(name) decltype(&::name) name = &Internal<decltype(&::name)>::call;
    FN(SCardEstablishContext) FN(SCardReleaseContext) FN(SCardIsValidContext) FN(SCardConnect)
    FN(SCardReconnect) FN(SCardDisconnect) FN(SCardBeginTransaction) FN(SCardEndTransaction)
    FN(SCardStatus) FN(SCardGetStatusChange) FN(SCardControl) FN(SCardTransmit)
    FN(SCardListReaderGroups) FN(SCardListReaders) FN(SCardFreeMemory) FN(SCardCancel)
    FN(SCardGetAttrib) FN(SCardSetAttrib)
#undef FN
};
Redirect g_redirect;

LONG load() {
    const char* lib = getenv("LIBPCSCLITE_DELEGATE");
    if (!lib) lib = "libpcsclite_real.so.1";
    void* h = dlopen(lib, RTLD_LAZY);
    if (!h) {
        fprintf(stderr, "loading \"%s\" failed: %s\n", lib, dlerror());
        return SCARD_F_INTERNAL_ERROR;
    }
    if (dlsym(h, "SCardEstablishContext") == reinterpret_cast<void*>(&SCardEstablishContext)) return SCARD_F_INTERNAL_ERROR;
#define GET(name)                                                                          \
    if (void* f = dlsym(h, #name)) g_redirect.name = reinterpret_cast<decltype(&::name)>(f); \
    else return SCARD_F_INTERNAL_ERROR;
    GET(SCardEstablishContext) GET(SCardReleaseContext) GET(SCardIsValidContext) GET(SCardConnect)
    GET(SCardReconnect) GET(SCardDisconnect) GET(SCardBeginTransaction) GET(SCardEndTransaction)
    GET(SCardStatus) GET(SCardGetStatusChange) GET(SCardControl) GET(SCardTransmit)
    GET(SCardListReaderGroups) GET(SCardListReaders) GET(SCardFreeMemory) GET(SCardCancel)
    GET(SCardGetAttrib) GET(SCardSetAttrib)
#undef GET
    return SCARD_S_SUCCESS;
}

}  // namespace

extern "C" {

LONG SCardEstablishContext(DWORD a, LPCVOID b, LPCVOID c, LPSCARDCONTEXT d) {
    static bool loaded = false;
    if (!loaded) {
        loaded = true;
        if (LONG rv = load(); rv != SCARD_S_SUCCESS) return rv;
    }
    return g_redirect.SCardEstablishContext(a, b, c, d);
}
#define FWD(ret, name, params, args) \
    ret name params { return g_redirect.name args; }
FWD(LONG, SCardReleaseContext, (SCARDCONTEXT a), (a))
FWD(LONG, SCardIsValidContext, (SCARDCONTEXT a), (a))
FWD(LONG, SCardConnect, (SCARDCONTEXT a, LPCSTR b, DWORD c, DWORD d, LPSCARDHANDLE e, LPDWORD f), (a, b, c, d, e, f))
FWD(LONG, SCardReconnect, (SCARDHANDLE a, DWORD b, DWORD c, DWORD d, LPDWORD e), (a, b, c, d, e))
FWD(LONG, SCardDisconnect, (SCARDHANDLE a, DWORD b), (a, b))
FWD(LONG, SCardBeginTransaction, (SCARDHANDLE a), (a))
FWD(LONG, SCardEndTransaction, (SCARDHANDLE a, DWORD b), (a, b))
FWD(LONG, SCardStatus, (SCARDHANDLE a, LPSTR b, LPDWORD c, LPDWORD d, LPDWORD e, LPBYTE f, LPDWORD g), (a, b, c, d, e, f, g))
FWD(LONG, SCardGetStatusChange, (SCARDCONTEXT a, DWORD b, SCARD_READERSTATE* c, DWORD d), (a, b, c, d))
FWD(LONG, SCardControl, (SCARDHANDLE a, DWORD b, LPCVOID c, DWORD d, LPVOID e, DWORD f, LPDWORD g), (a, b, c, d, e, f, g))
FWD(LONG, SCardTransmit, (SCARDHANDLE a, const SCARD_IO_REQUEST* b, LPCBYTE c, DWORD d, SCARD_IO_REQUEST* e, LPBYTE f, LPDWORD g), (a, b, c, d, e, f, g))
FWD(LONG, SCardListReaderGroups, (SCARDCONTEXT a, LPSTR b, LPDWORD c), (a, b, c))
FWD(LONG, SCardListReaders, (SCARDCONTEXT a, LPCSTR b, LPSTR c, LPDWORD d), (a, b, c, d))
FWD(LONG, SCardFreeMemory, (SCARDCONTEXT a, LPCVOID b), (a, b))
FWD(LONG, SCardCancel, (SCARDCONTEXT a), (a))
FWD(LONG, SCardGetAttrib, (SCARDHANDLE a, DWORD b, LPBYTE c, LPDWORD d), (a, b, c, d))
FWD(LONG, SCardSetAttrib, (SCARDHANDLE a, DWORD b, LPCBYTE c, DWORD d), (a, b, c, d))
#undef FWD

const char* pcsc_stringify_error(const LONG rv) {
    static thread_local char text[64];
    snprintf(text, sizeof text, "redirector error 0x%08lX", static_cast<unsigned long>(rv));
    return text;
}

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

}  // extern "C"
