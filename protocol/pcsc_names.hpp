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

// SCardEstablishContext dwScope.
inline constexpr Named kScopes[] = {
    {0x0000, "SCARD_SCOPE_USER", "Scope in user space."},
    {0x0001, "SCARD_SCOPE_TERMINAL", "Scope in terminal."},
    {0x0002, "SCARD_SCOPE_SYSTEM", "Scope in system."},
    {0x0003, "SCARD_SCOPE_GLOBAL", "Scope is global."},
};

// SCardConnect / SCardReconnect dwShareMode.
inline constexpr Named kShareModes[] = {
    {0x0001, "SCARD_SHARE_EXCLUSIVE", "Exclusive mode only."},
    {0x0002, "SCARD_SHARE_SHARED", "Shared mode only."},
    {0x0003, "SCARD_SHARE_DIRECT", "Raw mode only."},
};

// Protocol bits (dwPreferredProtocols, dwActiveProtocol, dwProtocol). The
// meaning is the short form pcsc-spy prints ("T=0, T=1" for 3);
// SCARD_PROTOCOL_ANY is T0|T1, not an entry of its own.
inline constexpr Named kProtocols[] = {
    {0x0000, "SCARD_PROTOCOL_UNDEFINED", "undefined"},
    {0x0001, "SCARD_PROTOCOL_T0", "T=0"},
    {0x0002, "SCARD_PROTOCOL_T1", "T=1"},
    {0x0004, "SCARD_PROTOCOL_RAW", "RAW"},
    {0x0008, "SCARD_PROTOCOL_T15", "T=15"},
};

// dwDisposition of SCardDisconnect/SCardEndTransaction, and dwInitialization of
// SCardReconnect (same values).
inline constexpr Named kDispositions[] = {
    {0x0000, "SCARD_LEAVE_CARD", "Do nothing."},
    {0x0001, "SCARD_RESET_CARD", "Reset the card (warm reset)."},
    {0x0002, "SCARD_UNPOWER_CARD", "Power down the card (cold reset)."},
    {0x0003, "SCARD_EJECT_CARD", "Eject the card."},
};

// SCARD_READERSTATE dwCurrentState/dwEventState bits (low 16 bits). The upper 16
// bits of dwEventState carry pcsc-lite's per-reader event counter.
inline constexpr Named kReaderStates[] = {
    {0x0000, "SCARD_STATE_UNAWARE", "The application wants the current state."},
    {0x0001, "SCARD_STATE_IGNORE", "Ignore this reader."},
    {0x0002, "SCARD_STATE_CHANGED", "The state has changed."},
    {0x0004, "SCARD_STATE_UNKNOWN", "Unknown reader."},
    {0x0008, "SCARD_STATE_UNAVAILABLE", "The state is unavailable."},
    {0x0010, "SCARD_STATE_EMPTY", "No card in the reader."},
    {0x0020, "SCARD_STATE_PRESENT", "A card is in the reader."},
    {0x0040, "SCARD_STATE_ATRMATCH", "The card's ATR matches."},
    {0x0080, "SCARD_STATE_EXCLUSIVE", "The card is used exclusively."},
    {0x0100, "SCARD_STATE_INUSE", "The card is in use (shared)."},
    {0x0200, "SCARD_STATE_MUTE", "The card is unresponsive."},
    {0x0400, "SCARD_STATE_UNPOWERED", "The card is unpowered."},
};
inline constexpr uint32_t kReaderStateMask = 0x0000FFFF;
inline constexpr unsigned kReaderEventCounterShift = 16;

// SCardStatus pdwState bits.
inline constexpr Named kCardStates[] = {
    {0x0001, "SCARD_UNKNOWN", "Unknown state."},
    {0x0002, "SCARD_ABSENT", "Card is absent."},
    {0x0004, "SCARD_PRESENT", "Card is present."},
    {0x0008, "SCARD_SWALLOWED", "Card is inserted but not powered."},
    {0x0010, "SCARD_POWERED", "Card is powered."},
    {0x0020, "SCARD_NEGOTIABLE", "Card is ready for PTS."},
    {0x0040, "SCARD_SPECIFIC", "PTS has been done."},
};

// SCardGetAttrib/SCardSetAttrib dwAttrId: every SCARD_ATTR_* of pcsc-lite's
// reader.h, value = class << 16 | tag. SCARD_ATTR_DEVICE_FRIENDLY_NAME and
// SCARD_ATTR_DEVICE_SYSTEM_NAME are aliases of the _A forms (no UNICODE).
inline constexpr Named kAttributes[] = {
    {0x00010100, "SCARD_ATTR_VENDOR_NAME", "Vendor name."},
    {0x00010101, "SCARD_ATTR_VENDOR_IFD_TYPE", "Vendor-supplied reader type (model)."},
    {0x00010102, "SCARD_ATTR_VENDOR_IFD_VERSION", "Vendor-supplied reader version (0xMMmmbbbb)."},
    {0x00010103, "SCARD_ATTR_VENDOR_IFD_SERIAL_NO", "Vendor-supplied reader serial number."},
    {0x00020110, "SCARD_ATTR_CHANNEL_ID", "Channel type and number (0xDDDDCCCC)."},
    {0x00030120, "SCARD_ATTR_ASYNC_PROTOCOL_TYPES", "Asynchronous protocol types."},
    {0x00030121, "SCARD_ATTR_DEFAULT_CLK", "Default clock rate, in kHz."},
    {0x00030122, "SCARD_ATTR_MAX_CLK", "Maximum clock rate, in kHz."},
    {0x00030123, "SCARD_ATTR_DEFAULT_DATA_RATE", "Default data rate, in bps."},
    {0x00030124, "SCARD_ATTR_MAX_DATA_RATE", "Maximum data rate, in bps."},
    {0x00030125, "SCARD_ATTR_MAX_IFSD", "Maximum information field size of the device."},
    {0x00030126, "SCARD_ATTR_SYNC_PROTOCOL_TYPES", "Synchronous protocol types."},
    {0x00040131, "SCARD_ATTR_POWER_MGMT_SUPPORT", "Non-zero if the reader can power down an inserted card."},
    {0x00050140, "SCARD_ATTR_USER_TO_CARD_AUTH_DEVICE", "User-to-card authentication device."},
    {0x00050142, "SCARD_ATTR_USER_AUTH_INPUT_DEVICE", "User authentication input device."},
    {0x00060150, "SCARD_ATTR_CHARACTERISTICS", "Mechanical characteristics (bit set)."},
    {0x00080201, "SCARD_ATTR_CURRENT_PROTOCOL_TYPE", "Current protocol type."},
    {0x00080202, "SCARD_ATTR_CURRENT_CLK", "Current clock rate, in kHz."},
    {0x00080203, "SCARD_ATTR_CURRENT_F", "Clock conversion factor."},
    {0x00080204, "SCARD_ATTR_CURRENT_D", "Bit rate conversion factor."},
    {0x00080205, "SCARD_ATTR_CURRENT_N", "Current guard time."},
    {0x00080206, "SCARD_ATTR_CURRENT_W", "Current work waiting time."},
    {0x00080207, "SCARD_ATTR_CURRENT_IFSC", "Current information field size of the card."},
    {0x00080208, "SCARD_ATTR_CURRENT_IFSD", "Current information field size of the device."},
    {0x00080209, "SCARD_ATTR_CURRENT_BWT", "Current block waiting time."},
    {0x0008020A, "SCARD_ATTR_CURRENT_CWT", "Current character waiting time."},
    {0x0008020B, "SCARD_ATTR_CURRENT_EBC_ENCODING", "Current error block control encoding."},
    {0x0008020C, "SCARD_ATTR_EXTENDED_BWT", "Extended block waiting time."},
    {0x00090300, "SCARD_ATTR_ICC_PRESENCE", "Card presence (single byte)."},
    {0x00090301, "SCARD_ATTR_ICC_INTERFACE_STATUS", "Non-zero if the card contacts are active."},
    {0x00090302, "SCARD_ATTR_CURRENT_IO_STATE", "Current I/O state."},
    {0x00090303, "SCARD_ATTR_ATR_STRING", "Answer to reset (ATR)."},
    {0x00090304, "SCARD_ATTR_ICC_TYPE_PER_ATR", "Card type according to the ATR (single byte)."},
    {0x0007A000, "SCARD_ATTR_ESC_RESET", "Vendor-defined: reset."},
    {0x0007A003, "SCARD_ATTR_ESC_CANCEL", "Vendor-defined: cancel."},
    {0x0007A005, "SCARD_ATTR_ESC_AUTHREQUEST", "Vendor-defined: authentication request."},
    {0x0007A007, "SCARD_ATTR_MAXINPUT", "Vendor-defined: maximum input."},
    {0x7FFF0001, "SCARD_ATTR_DEVICE_UNIT", "Instance of this vendor's reader on the computer."},
    {0x7FFF0002, "SCARD_ATTR_DEVICE_IN_USE", "Reserved for future use."},
    {0x7FFF0003, "SCARD_ATTR_DEVICE_FRIENDLY_NAME_A", "Reader's display name."},
    {0x7FFF0004, "SCARD_ATTR_DEVICE_SYSTEM_NAME_A", "Reader's system name."},
    {0x7FFF0005, "SCARD_ATTR_DEVICE_FRIENDLY_NAME_W", "Reader's display name (wide characters)."},
    {0x7FFF0006, "SCARD_ATTR_DEVICE_SYSTEM_NAME_W", "Reader's system name (wide characters)."},
    {0x7FFF0007, "SCARD_ATTR_SUPRESS_T1_IFS_REQUEST", "Suppress the T=1 IFS request."},
};

// SCardControl dwControlCode: SCARD_CTL_CODE(n) = 0x42000000 + n. Codes of the
// part 10 features are learnt from the reader (CM_IOCTL_GET_FEATURE_REQUEST) and
// take precedence over this table (pcsc_format.hpp: control_code_to_string).
inline constexpr uint32_t kScardCtlCodeBase = 0x42000000;
constexpr uint32_t scard_ctl_code(uint32_t n) { return kScardCtlCodeBase + n; }
inline constexpr uint32_t kGetFeatureRequest = 0x42000D48;  // SCARD_CTL_CODE(3400)
inline constexpr Named kControlCodes[] = {
    {0x42000001, "IOCTL_SMARTCARD_VENDOR_IFD_EXCHANGE", "Vendor escape command to the reader."},
    {kGetFeatureRequest, "CM_IOCTL_GET_FEATURE_REQUEST", "Ask the reader for its PC/SC v2 part 10 features."},
};

// PC/SC v2 part 10 feature tags (the T of the GET_FEATURE_REQUEST TLV answer).
inline constexpr Named kFeatureTags[] = {
    {0x01, "FEATURE_VERIFY_PIN_START", "Start a PIN verification on the pinpad."},
    {0x02, "FEATURE_VERIFY_PIN_FINISH", "Finish a PIN verification."},
    {0x03, "FEATURE_MODIFY_PIN_START", "Start a PIN modification on the pinpad."},
    {0x04, "FEATURE_MODIFY_PIN_FINISH", "Finish a PIN modification."},
    {0x05, "FEATURE_GET_KEY_PRESSED", "Get the key pressed on the pinpad."},
    {0x06, "FEATURE_VERIFY_PIN_DIRECT", "Verify a PIN entered on the pinpad."},
    {0x07, "FEATURE_MODIFY_PIN_DIRECT", "Modify a PIN entered on the pinpad."},
    {0x08, "FEATURE_MCT_READER_DIRECT", "MKT/MCT reader command."},
    {0x09, "FEATURE_MCT_UNIVERSAL", "MKT/MCT universal command."},
    {0x0A, "FEATURE_IFD_PIN_PROPERTIES", "Properties of the reader for PIN handling."},
    {0x0B, "FEATURE_ABORT", "Abort the current pinpad operation."},
    {0x0C, "FEATURE_SET_SPE_MESSAGE", "Set a secure PIN entry message."},
    {0x0D, "FEATURE_VERIFY_PIN_DIRECT_APP_ID", "Verify a PIN on the pinpad, with an application id."},
    {0x0E, "FEATURE_MODIFY_PIN_DIRECT_APP_ID", "Modify a PIN on the pinpad, with an application id."},
    {0x0F, "FEATURE_WRITE_DISPLAY", "Write to the reader's display."},
    {0x10, "FEATURE_GET_KEY", "Get a key from the reader's keypad."},
    {0x11, "FEATURE_IFD_DISPLAY_PROPERTIES", "Properties of the reader's display."},
    {0x12, "FEATURE_GET_TLV_PROPERTIES", "Reader properties as TLV."},
    {0x13, "FEATURE_CCID_ESC_COMMAND", "CCID escape command."},
    {0x20, "FEATURE_EXECUTE_PACE", "Execute PACE (PC/SC part 10 AMD1)."},
};

// A feature the reader announced: its tag and the control code to use for it.
struct Feature {
    uint8_t tag;
    uint32_t control_code;
    friend bool operator==(const Feature&, const Feature&) = default;
};

// FEATURE_GET_TLV_PROPERTIES tags (reader.h PCSCv2_PART10_PROPERTY_*). The
// letters after the prefix give the value's type: b = 1 byte, w = 2 bytes,
// dw = 4 bytes (little-endian), s = string.
inline constexpr std::string_view kPart10PropertyPrefix = "PCSCv2_PART10_PROPERTY_";
inline constexpr Named kPart10Properties[] = {
    {1, "PCSCv2_PART10_PROPERTY_wLcdLayout", "Display layout: 0xXXYY, XX lines, YY characters per line."},
    {2, "PCSCv2_PART10_PROPERTY_bEntryValidationCondition", "Conditions that end the PIN entry."},
    {3, "PCSCv2_PART10_PROPERTY_bTimeOut2", "Timeout after the first key stroke, in seconds."},
    {4, "PCSCv2_PART10_PROPERTY_wLcdMaxCharacters", "Characters per display line."},
    {5, "PCSCv2_PART10_PROPERTY_wLcdMaxLines", "Display lines."},
    {6, "PCSCv2_PART10_PROPERTY_bMinPINSize", "Minimum PIN size."},
    {7, "PCSCv2_PART10_PROPERTY_bMaxPINSize", "Maximum PIN size."},
    {8, "PCSCv2_PART10_PROPERTY_sFirmwareID", "Firmware identifier."},
    {9, "PCSCv2_PART10_PROPERTY_bPPDUSupport", "Pseudo-APDU support."},
    {10, "PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize", "Largest APDU data size the reader handles."},
    {11, "PCSCv2_PART10_PROPERTY_wIdVendor", "USB vendor id."},
    {12, "PCSCv2_PART10_PROPERTY_wIdProduct", "USB product id."},
};

// rv as pcsc-lite's LONG: negative on 64-bit for 0x8010xxxx; tables hold the
// 32-bit pattern.
constexpr const Named* find_return_code(int64_t rv) {
    return find_value(kReturnCodes, static_cast<uint32_t>(rv));
}

}  // namespace pcscspy
