// PC/SC constants of pcsc-lite as data: one table per kind, each entry with its
// symbolic name and, where useful, a short human meaning. Header-only and
// constexpr so that the interposer can name return codes without any runtime.
#pragma once

#include "protocol/xlat.hpp"

namespace pcscspy {

// Return codes (LONG). Meanings are pcsc_stringify_error()'s words where it has
// them, else the one-line description of pcsc-lite's pcsclite.h. 0x8010001F is
// both SCARD_E_UNEXPECTED and SCARD_E_UNSUPPORTED_FEATURE in pcsc-lite; it answers
// with the latter's meaning, so that name comes first.
inline constexpr Named kReturnCodes[] = {
    {0x00000000, "SCARD_S_SUCCESS", "Command successful."},
    {0x80100001, "SCARD_F_INTERNAL_ERROR", "Internal error."},
    {0x80100002, "SCARD_E_CANCELLED", "Command cancelled."},
    {0x80100003, "SCARD_E_INVALID_HANDLE", "Invalid handle."},
    {0x80100004, "SCARD_E_INVALID_PARAMETER", "Invalid parameter given."},
    {0x80100005, "SCARD_E_INVALID_TARGET", "Invalid target given."},
    {0x80100006, "SCARD_E_NO_MEMORY", "Not enough memory."},
    {0x80100007, "SCARD_F_WAITED_TOO_LONG", "Waited too long."},
    {0x80100008, "SCARD_E_INSUFFICIENT_BUFFER", "Insufficient buffer."},
    {0x80100009, "SCARD_E_UNKNOWN_READER", "Unknown reader specified."},
    {0x8010000A, "SCARD_E_TIMEOUT", "Command timeout."},
    {0x8010000B, "SCARD_E_SHARING_VIOLATION", "Sharing violation."},
    {0x8010000C, "SCARD_E_NO_SMARTCARD", "No smart card inserted."},
    {0x8010000D, "SCARD_E_UNKNOWN_CARD", "Unknown card."},
    {0x8010000E, "SCARD_E_CANT_DISPOSE", "Cannot dispose handle."},
    {0x8010000F, "SCARD_E_PROTO_MISMATCH", "Card protocol mismatch."},
    {0x80100010, "SCARD_E_NOT_READY", "Subsystem not ready."},
    {0x80100011, "SCARD_E_INVALID_VALUE", "Invalid value given."},
    {0x80100012, "SCARD_E_SYSTEM_CANCELLED", "System cancelled."},
    {0x80100013, "SCARD_F_COMM_ERROR", "RPC transport error."},
    {0x80100014, "SCARD_F_UNKNOWN_ERROR", "Unknown internal error."},
    {0x80100015, "SCARD_E_INVALID_ATR", "Invalid ATR."},
    {0x80100016, "SCARD_E_NOT_TRANSACTED", "Transaction failed."},
    {0x80100017, "SCARD_E_READER_UNAVAILABLE", "Reader is unavailable."},
    {0x80100018, "SCARD_P_SHUTDOWN", "Operation aborted so that the server can exit."},
    {0x80100019, "SCARD_E_PCI_TOO_SMALL", "PCI struct too small."},
    {0x8010001A, "SCARD_E_READER_UNSUPPORTED", "Reader is unsupported."},
    {0x8010001B, "SCARD_E_DUPLICATE_READER", "Reader already exists."},
    {0x8010001C, "SCARD_E_CARD_UNSUPPORTED", "Card is unsupported."},
    {0x8010001D, "SCARD_E_NO_SERVICE", "Service not available."},
    {0x8010001E, "SCARD_E_SERVICE_STOPPED", "Service was stopped."},
    {0x8010001F, "SCARD_E_UNSUPPORTED_FEATURE", "Feature not supported."},
    {0x8010001F, "SCARD_E_UNEXPECTED", "Unexpected card error."},
    {0x80100020, "SCARD_E_ICC_INSTALLATION", "No primary provider for the smart card."},
    {0x80100021, "SCARD_E_ICC_CREATEORDER", "Requested order of object creation not supported."},
    {0x80100023, "SCARD_E_DIR_NOT_FOUND", "Directory not found on the smart card."},
    {0x80100024, "SCARD_E_FILE_NOT_FOUND", "File not found on the smart card."},
    {0x80100025, "SCARD_E_NO_DIR", "Path is not a smart card directory."},
    {0x80100026, "SCARD_E_NO_FILE", "Path is not a smart card file."},
    {0x80100027, "SCARD_E_NO_ACCESS", "Access to this file is denied."},
    {0x80100028, "SCARD_E_WRITE_TOO_MANY", "Not enough memory on the smart card."},
    {0x80100029, "SCARD_E_BAD_SEEK", "Error setting the smart card file pointer."},
    {0x8010002A, "SCARD_E_INVALID_CHV", "The supplied PIN is incorrect."},
    {0x8010002B, "SCARD_E_UNKNOWN_RES_MNG", "Unrecognised error from a layered component."},
    {0x8010002C, "SCARD_E_NO_SUCH_CERTIFICATE", "The requested certificate does not exist."},
    {0x8010002D, "SCARD_E_CERTIFICATE_UNAVAILABLE", "The requested certificate could not be obtained."},
    {0x8010002E, "SCARD_E_NO_READERS_AVAILABLE", "Cannot find a smart card reader."},
    {0x8010002F, "SCARD_E_COMM_DATA_LOST", "Communication error with the card; retry."},
    {0x80100030, "SCARD_E_NO_KEY_CONTAINER", "The requested key container does not exist."},
    {0x80100031, "SCARD_E_SERVER_TOO_BUSY", "The resource manager is too busy."},
    {0x80100065, "SCARD_W_UNSUPPORTED_CARD", "Card is not supported."},
    {0x80100066, "SCARD_W_UNRESPONSIVE_CARD", "Card is unresponsive."},
    {0x80100067, "SCARD_W_UNPOWERED_CARD", "Card is unpowered."},
    {0x80100068, "SCARD_W_RESET_CARD", "Card was reset."},
    {0x80100069, "SCARD_W_REMOVED_CARD", "Card was removed."},
    {0x8010006A, "SCARD_W_SECURITY_VIOLATION", "Access denied."},
    {0x8010006B, "SCARD_W_WRONG_CHV", "Wrong PIN presented."},
    {0x8010006C, "SCARD_W_CHV_BLOCKED", "PIN blocked: too many wrong attempts."},
    {0x8010006D, "SCARD_W_EOF", "End of the smart card file reached."},
    {0x8010006E, "SCARD_W_CANCELLED_BY_USER", "Cancelled by the user."},
    {0x8010006F, "SCARD_W_CARD_NOT_AUTHENTICATED", "No PIN was presented to the card."},
};

// rv as pcsc-lite's LONG: negative on 64-bit for 0x8010xxxx; tables hold the
// 32-bit pattern.
constexpr const Named* find_return_code(int64_t rv) {
    return find_value(kReturnCodes, static_cast<uint32_t>(rv));
}

}  // namespace pcscspy
