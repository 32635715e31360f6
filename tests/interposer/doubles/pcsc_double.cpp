// A scripted stand-in for libpcsclite.so.1 (same exports), for what the real
// stack cannot produce on demand: forced errors, blocking calls, 16 readers with
// non-UTF-8 names, huge buffers, SCARD_AUTOALLOCATE, insufficient buffers, and
// lengths that lie about their buffers.
//
// Configured with pcscdouble_configure("key=value ...") or, at the first call,
// the PCSCDOUBLE environment variable. Keys:
//   readers=N        number of readers (default 2; names "Double Reader NN")
//   badnames=1       reader names with bytes that are not UTF-8
//   bigmsz=1         SCardListReaders returns a 65000-byte reader name of 0xFF
//   rv=FN:HEX        SCardFoo returns HEX without doing anything (repeatable)
//   delay_us=N       every call takes N µs more
//   block=1          SCardGetStatusChange waits for SCardCancel or its timeout
//   lie=1            output lengths claim more than the buffers hold; the
//                    multi-string returned has no terminator; cbAtr > 33
//   errno=N          every call leaves errno = N
//   resp=N           SCardTransmit answers N data bytes + 9000
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <pthread.h>

#include <reader.h>
#include <winscard.h>

namespace {

struct Config {
    int readers = 2;
    bool badnames = false;
    bool bigmsz = false;
    bool block = false;
    bool lie = false;
    long delay_us = 0;
    int set_errno = -1;
    long resp = -1;
    struct Forced {
        char fn[32];
        LONG rv;
    } forced[8];
    int forced_count = 0;
};

Config g;
pthread_once_t g_env_once = PTHREAD_ONCE_INIT;
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
unsigned g_cancels = 0;
long g_next_handle = 0x1000;

void apply(const char* spec) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char* save = nullptr, *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(nullptr, " ,", &save)) {
        char* eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        const char* v = eq + 1;
        if (!strcmp(tok, "readers")) g.readers = atoi(v);
        else if (!strcmp(tok, "badnames")) g.badnames = atoi(v);
        else if (!strcmp(tok, "bigmsz")) g.bigmsz = atoi(v);
        else if (!strcmp(tok, "block")) g.block = atoi(v);
        else if (!strcmp(tok, "lie")) g.lie = atoi(v);
        else if (!strcmp(tok, "delay_us")) g.delay_us = atol(v);
        else if (!strcmp(tok, "errno")) g.set_errno = atoi(v);
        else if (!strcmp(tok, "resp")) g.resp = atol(v);
        else if (!strcmp(tok, "rv") && g.forced_count < 8) {
            const char* colon = strchr(v, ':');
            if (!colon) continue;
            Config::Forced& f = g.forced[g.forced_count++];
            snprintf(f.fn, sizeof f.fn, "%.*s", static_cast<int>(colon - v), v);
            f.rv = static_cast<LONG>(strtoul(colon + 1, nullptr, 16));
        }
    }
}

void env_config() {
    if (const char* e = getenv("PCSCDOUBLE")) apply(e);
}

// Common prologue/epilogue of every function.
struct Call {
    const char* fn;
    explicit Call(const char* name) : fn(name) {
        pthread_once(&g_env_once, env_config);
        if (g.delay_us > 0) {
            timespec ts{g.delay_us / 1000000, (g.delay_us % 1000000) * 1000};
            nanosleep(&ts, nullptr);
        }
    }
    bool forced(LONG* rv) const {
        for (int i = 0; i < g.forced_count; ++i)
            if (!strcmp(g.forced[i].fn, fn)) {
                *rv = g.forced[i].rv;
                return true;
            }
        return false;
    }
    LONG ret(LONG rv) const {
        if (g.set_errno >= 0) errno = g.set_errno;
        return rv;
    }
};

#define PROLOGUE(name)                 \
    Call call(name);                   \
    if (LONG forced_rv; call.forced(&forced_rv)) return call.ret(forced_rv)

void reader_name(int i, char* out, size_t cap) {
    if (g.badnames) snprintf(out, cap, "Double \xff\xfe Reader %02d", i);
    else snprintf(out, cap, "Double Reader %02d", i);
}

// The reader list as a multi-string; returns its length (with the final NUL).
size_t reader_list(char* out, size_t cap) {
    size_t n = 0;
    if (g.bigmsz) {
        size_t len = 65000 < cap - 2 ? 65000 : cap - 2;
        memset(out, 0xFF, len);
        out[len] = out[len + 1] = '\0';
        return len + 2;
    }
    for (int i = 0; i < g.readers; ++i) {
        char name[64];
        reader_name(i, name, sizeof name);
        size_t len = strlen(name) + 1;
        if (n + len + 1 > cap) break;
        memcpy(out + n, name, len);
        n += len;
    }
    out[n++] = '\0';
    return n;
}

const unsigned char kAtr[] = {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B};

// Returns data into a caller buffer, pcsc-lite style: NULL buffer = length only,
// SCARD_AUTOALLOCATE = malloc'd copy, too small = SCARD_E_INSUFFICIENT_BUFFER.
LONG give(const void* data, DWORD n, void* buffer, LPDWORD len) {
    if (!len) return SCARD_E_INVALID_PARAMETER;
    if (*len == SCARD_AUTOALLOCATE) {
        if (!buffer) return SCARD_E_INVALID_PARAMETER;
        void* p = malloc(n ? n : 1);
        memcpy(p, data, n);
        *static_cast<void**>(buffer) = p;
        *len = n;
        return SCARD_S_SUCCESS;
    }
    if (!buffer) {
        *len = n;
        return SCARD_S_SUCCESS;
    }
    if (*len < n) {
        *len = n;
        return SCARD_E_INSUFFICIENT_BUFFER;
    }
    memcpy(buffer, data, n);
    if (g.lie) {
        *len = *len + 10;  // claims more than the buffer holds
        return SCARD_S_SUCCESS;
    }
    *len = n;
    return SCARD_S_SUCCESS;
}

}  // namespace

extern "C" {

void pcscdouble_configure(const char* spec) {
    pthread_once(&g_env_once, env_config);
    g = Config{};
    apply(spec);
}

LONG SCardEstablishContext(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT phContext) {
    PROLOGUE("SCardEstablishContext");
    if (!phContext) return call.ret(SCARD_E_INVALID_PARAMETER);
    pthread_mutex_lock(&g_mutex);
    *phContext = ++g_next_handle;
    pthread_mutex_unlock(&g_mutex);
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardReleaseContext(SCARDCONTEXT hContext) {
    PROLOGUE("SCardReleaseContext");
    return call.ret(hContext ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE);
}

LONG SCardIsValidContext(SCARDCONTEXT hContext) {
    PROLOGUE("SCardIsValidContext");
    return call.ret(hContext ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE);
}

LONG SCardConnect(SCARDCONTEXT, LPCSTR szReader, DWORD, DWORD, LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol) {
    PROLOGUE("SCardConnect");
    if (!szReader || !phCard) return call.ret(SCARD_E_INVALID_PARAMETER);
    pthread_mutex_lock(&g_mutex);
    *phCard = ++g_next_handle;
    pthread_mutex_unlock(&g_mutex);
    if (pdwActiveProtocol) *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardReconnect(SCARDHANDLE, DWORD, DWORD, DWORD, LPDWORD pdwActiveProtocol) {
    PROLOGUE("SCardReconnect");
    if (pdwActiveProtocol) *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardDisconnect(SCARDHANDLE, DWORD) {
    PROLOGUE("SCardDisconnect");
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardBeginTransaction(SCARDHANDLE) {
    PROLOGUE("SCardBeginTransaction");
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardEndTransaction(SCARDHANDLE, DWORD) {
    PROLOGUE("SCardEndTransaction");
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardStatus(SCARDHANDLE, LPSTR szReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState, LPDWORD pdwProtocol,
                 LPBYTE pbAtr, LPDWORD pcbAtrLen) {
    PROLOGUE("SCardStatus");
    char name[64];
    reader_name(0, name, sizeof name);
    if (pcchReaderLen) {
        LONG rv = give(name, static_cast<DWORD>(strlen(name) + 1), szReaderName, pcchReaderLen);
        if (rv != SCARD_S_SUCCESS) return call.ret(rv);
    }
    if (pdwState) *pdwState = SCARD_SPECIFIC;
    if (pdwProtocol) *pdwProtocol = SCARD_PROTOCOL_T1;
    if (pcbAtrLen) return call.ret(give(kAtr, sizeof kAtr, pbAtr, pcbAtrLen));
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardGetStatusChange(SCARDCONTEXT, DWORD dwTimeout, SCARD_READERSTATE* rgReaderStates, DWORD cReaders) {
    PROLOGUE("SCardGetStatusChange");
    if ((rgReaderStates == nullptr && cReaders > 0) || cReaders > PCSCLITE_MAX_READERS_CONTEXTS + 1)
        return call.ret(SCARD_E_INVALID_PARAMETER);
    if (g.block) {
        pthread_mutex_lock(&g_mutex);
        unsigned seen = g_cancels;
        timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += dwTimeout == INFINITE ? 3600 : dwTimeout / 1000;
        until.tv_nsec += dwTimeout == INFINITE ? 0 : (dwTimeout % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int r = 0;
        while (g_cancels == seen && r == 0) r = pthread_cond_timedwait(&g_cond, &g_mutex, &until);
        bool cancelled = g_cancels != seen;
        pthread_mutex_unlock(&g_mutex);
        return call.ret(cancelled ? SCARD_E_CANCELLED : SCARD_E_TIMEOUT);
    }
    for (DWORD i = 0; i < cReaders; ++i) {
        SCARD_READERSTATE& s = rgReaderStates[i];
        if (!s.szReader) return call.ret(SCARD_E_INVALID_VALUE);
        if (!strcmp(s.szReader, "\\\\?PnP?\\Notification")) {
            s.dwEventState = (static_cast<DWORD>(g.readers) << 16) | SCARD_STATE_CHANGED;
            continue;
        }
        s.dwEventState = SCARD_STATE_PRESENT | SCARD_STATE_CHANGED;
        memcpy(s.rgbAtr, kAtr, sizeof kAtr);
        s.cbAtr = g.lie ? MAX_ATR_SIZE + 7 : sizeof kAtr;
    }
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardControl(SCARDHANDLE, DWORD dwControlCode, LPCVOID pbSendBuffer, DWORD cbSendLength, LPVOID pbRecvBuffer,
                  DWORD cbRecvLength, LPDWORD lpBytesReturned) {
    PROLOGUE("SCardControl");
    if (lpBytesReturned) *lpBytesReturned = 0;
    if (cbSendLength > MAX_BUFFER_SIZE_EXTENDED) return call.ret(SCARD_E_INSUFFICIENT_BUFFER);
    static const unsigned char kFeatures[] = {0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x12, 0x04, 0x42, 0x33, 0x00, 0x12};
    const void* answer = dwControlCode == 0x42000D48 ? kFeatures : pbSendBuffer;
    DWORD n = dwControlCode == 0x42000D48 ? sizeof kFeatures : (pbSendBuffer ? cbSendLength : 0);
    if (n > cbRecvLength) {
        if (lpBytesReturned) *lpBytesReturned = n;
        return call.ret(SCARD_E_INSUFFICIENT_BUFFER);
    }
    if (n) memcpy(pbRecvBuffer, answer, n);
    if (lpBytesReturned) *lpBytesReturned = g.lie ? cbRecvLength + 50 : n;
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardTransmit(SCARDHANDLE, const SCARD_IO_REQUEST*, LPCBYTE pbSendBuffer, DWORD cbSendLength,
                   SCARD_IO_REQUEST* pioRecvPci, LPBYTE pbRecvBuffer, LPDWORD pcbRecvLength) {
    PROLOGUE("SCardTransmit");
    if (!pbSendBuffer || !pbRecvBuffer || !pcbRecvLength || cbSendLength > MAX_BUFFER_SIZE_EXTENDED)
        return call.ret(SCARD_E_INVALID_PARAMETER);
    // GET CHALLENGE answers Le bytes, anything else resp= bytes (default none).
    size_t data = g.resp >= 0 ? static_cast<size_t>(g.resp) : 0;
    if (g.resp < 0 && cbSendLength == 5 && pbSendBuffer[1] == 0x84) data = pbSendBuffer[4];
    DWORD needed = static_cast<DWORD>(data + 2);
    if (*pcbRecvLength < needed) {
        *pcbRecvLength = needed;
        return call.ret(SCARD_E_INSUFFICIENT_BUFFER);
    }
    for (size_t i = 0; i < data; ++i) pbRecvBuffer[i] = static_cast<BYTE>(i);
    pbRecvBuffer[data] = 0x90;
    pbRecvBuffer[data + 1] = 0x00;
    if (pioRecvPci) {
        pioRecvPci->dwProtocol = SCARD_PROTOCOL_T1;
        pioRecvPci->cbPciLength = sizeof(SCARD_IO_REQUEST);
    }
    *pcbRecvLength = g.lie ? *pcbRecvLength + 100 : needed;
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardListReaderGroups(SCARDCONTEXT, LPSTR mszGroups, LPDWORD pcchGroups) {
    PROLOGUE("SCardListReaderGroups");
    static const char kGroups[] = "SCard$DefaultReaders\0";
    return call.ret(give(kGroups, sizeof kGroups, mszGroups, pcchGroups));
}

LONG SCardListReaders(SCARDCONTEXT, LPCSTR, LPSTR mszReaders, LPDWORD pcchReaders) {
    PROLOGUE("SCardListReaders");
    static char list[70000];
    size_t n = reader_list(list, sizeof list);
    if (g.lie && mszReaders && pcchReaders && *pcchReaders != SCARD_AUTOALLOCATE && *pcchReaders >= n) {
        // Fill the whole buffer with names and no terminator, claim more.
        memset(mszReaders, 'x', *pcchReaders);
        memcpy(mszReaders, list, n - 2);
        *pcchReaders += 10;
        return call.ret(SCARD_S_SUCCESS);
    }
    return call.ret(give(list, static_cast<DWORD>(n), mszReaders, pcchReaders));
}

LONG SCardFreeMemory(SCARDCONTEXT, LPCVOID pvMem) {
    PROLOGUE("SCardFreeMemory");
    free(const_cast<void*>(pvMem));
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardCancel(SCARDCONTEXT) {
    PROLOGUE("SCardCancel");
    pthread_mutex_lock(&g_mutex);
    ++g_cancels;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_mutex);
    return call.ret(SCARD_S_SUCCESS);
}

LONG SCardGetAttrib(SCARDHANDLE, DWORD dwAttrId, LPBYTE pbAttr, LPDWORD pcbAttrLen) {
    PROLOGUE("SCardGetAttrib");
    static const char kVendor[] = "Double Vendor";
    if (dwAttrId != SCARD_ATTR_VENDOR_NAME) return call.ret(SCARD_E_UNSUPPORTED_FEATURE);
    return call.ret(give(kVendor, sizeof kVendor, pbAttr, pcbAttrLen));
}

LONG SCardSetAttrib(SCARDHANDLE, DWORD, LPCBYTE, DWORD) {
    PROLOGUE("SCardSetAttrib");
    return call.ret(SCARD_S_SUCCESS);
}

const char* pcsc_stringify_error(const LONG rv) {
    static thread_local char text[64];
    snprintf(text, sizeof text, "double error 0x%08lX", static_cast<unsigned long>(rv));
    return text;
}

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

}  // extern "C"
