// A PC/SC library that answers instantly: the "no-op backend" of the interposer
// benchmark. Same exports as libpcsclite.so.1; SCardStatus fills its outputs as
// a real reader would, so that the traced event has a realistic size.
#include <cstring>

#include <winscard.h>

namespace {
const char kReader[] = "Noop Reader 00 00";
const unsigned char kAtr[] = {0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B};
}  // namespace

extern "C" {

LONG SCardEstablishContext(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT phContext) {
    if (phContext) *phContext = 0x1001;
    return SCARD_S_SUCCESS;
}
LONG SCardReleaseContext(SCARDCONTEXT) { return SCARD_S_SUCCESS; }
LONG SCardIsValidContext(SCARDCONTEXT) { return SCARD_S_SUCCESS; }
LONG SCardConnect(SCARDCONTEXT, LPCSTR, DWORD, DWORD, LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol) {
    if (phCard) *phCard = 0x2001;
    if (pdwActiveProtocol) *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}
LONG SCardReconnect(SCARDHANDLE, DWORD, DWORD, DWORD, LPDWORD pdwActiveProtocol) {
    if (pdwActiveProtocol) *pdwActiveProtocol = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}
LONG SCardDisconnect(SCARDHANDLE, DWORD) { return SCARD_S_SUCCESS; }
LONG SCardBeginTransaction(SCARDHANDLE) { return SCARD_S_SUCCESS; }
LONG SCardEndTransaction(SCARDHANDLE, DWORD) { return SCARD_S_SUCCESS; }
LONG SCardStatus(SCARDHANDLE, LPSTR szReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState, LPDWORD pdwProtocol,
                 LPBYTE pbAtr, LPDWORD pcbAtrLen) {
    if (pcchReaderLen) {
        if (szReaderName && *pcchReaderLen >= sizeof kReader) memcpy(szReaderName, kReader, sizeof kReader);
        *pcchReaderLen = sizeof kReader;
    }
    if (pdwState) *pdwState = SCARD_SPECIFIC;
    if (pdwProtocol) *pdwProtocol = SCARD_PROTOCOL_T1;
    if (pcbAtrLen) {
        if (pbAtr && *pcbAtrLen >= sizeof kAtr) memcpy(pbAtr, kAtr, sizeof kAtr);
        *pcbAtrLen = sizeof kAtr;
    }
    return SCARD_S_SUCCESS;
}
LONG SCardGetStatusChange(SCARDCONTEXT, DWORD, SCARD_READERSTATE*, DWORD) { return SCARD_S_SUCCESS; }
LONG SCardControl(SCARDHANDLE, DWORD, LPCVOID, DWORD, LPVOID, DWORD, LPDWORD lpBytesReturned) {
    if (lpBytesReturned) *lpBytesReturned = 0;
    return SCARD_S_SUCCESS;
}
LONG SCardTransmit(SCARDHANDLE, const SCARD_IO_REQUEST*, LPCBYTE, DWORD, SCARD_IO_REQUEST*, LPBYTE pbRecvBuffer,
                   LPDWORD pcbRecvLength) {
    if (pbRecvBuffer && pcbRecvLength && *pcbRecvLength >= 2) {
        pbRecvBuffer[0] = 0x90;
        pbRecvBuffer[1] = 0x00;
        *pcbRecvLength = 2;
    }
    return SCARD_S_SUCCESS;
}
LONG SCardListReaderGroups(SCARDCONTEXT, LPSTR, LPDWORD pcchGroups) {
    if (pcchGroups) *pcchGroups = 0;
    return SCARD_S_SUCCESS;
}
LONG SCardListReaders(SCARDCONTEXT, LPCSTR, LPSTR mszReaders, LPDWORD pcchReaders) {
    if (pcchReaders) {
        if (mszReaders && *pcchReaders >= sizeof kReader + 1) {
            memcpy(mszReaders, kReader, sizeof kReader);
            mszReaders[sizeof kReader] = '\0';
        }
        *pcchReaders = sizeof kReader + 1;
    }
    return SCARD_S_SUCCESS;
}
LONG SCardFreeMemory(SCARDCONTEXT, LPCVOID) { return SCARD_S_SUCCESS; }
LONG SCardCancel(SCARDCONTEXT) { return SCARD_S_SUCCESS; }
LONG SCardGetAttrib(SCARDHANDLE, DWORD, LPBYTE, LPDWORD) { return SCARD_E_UNSUPPORTED_FEATURE; }
LONG SCardSetAttrib(SCARDHANDLE, DWORD, LPCBYTE, DWORD) { return SCARD_S_SUCCESS; }
const char* pcsc_stringify_error(const LONG) { return "noop"; }
const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

}  // extern "C"
