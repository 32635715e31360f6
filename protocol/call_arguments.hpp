// The arguments of a traced call as text lines, pcsc-spy style: "i" lines for
// what was passed, "o" lines for what came back, with symbolic names for every
// constant, hex dumps with ASCII for buffers, reader states field by field, and
// PC/SC part 10 answers parsed (GET_FEATURE_REQUEST, PIN and TLV properties).
//
// Which formatter applies is decided by the argument's name (pcsc-lite's
// parameter names, as the event stream uses them): kArgumentFormats below. The
// order of the lines is the function's parameter order (protocol/pcsc_api.def).
//
// Lines are plain data: strings from the stream (reader names) are copied as
// they are; a view must make them safe for its terminal.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/pcsc_names.hpp"

namespace pcscspy {

enum class ArgumentFormat : uint8_t {
    Number,          // decimal
    Length,          // decimal (cb*, pcch*, cReaders), "SCARD_AUTOALLOCATE" kept
    Handle,          // hContext, hCard: hex (or a placeholder, see ArgumentStyle)
    Pointer,         // pvMem, *_alloc, pvReserved: hex (or a placeholder)
    Timeout,         // dwTimeout: ms, INFINITE
    Scope,           // kScopes
    ShareMode,       // kShareModes
    Protocols,       // kProtocols as a set ("T=0, T=1")
    Disposition,     // kDispositions (also dwInitialization)
    CardState,       // kCardStates bits
    ReaderState,     // kReaderStates bits + event counter
    ControlCode,     // kControlCodes / features learnt from the reader
    AttrId,          // kAttributes
    Buffer,          // hex: length line, then a hex dump with ASCII
    String,          // a string (reader name)
    MultiString,     // array of strings, one line each
    ReaderStates,    // rgReaderStates: per reader, its fields
    IoRequest,       // pioSendPci/pioRecvPci: dwProtocol, cbPciLength
};

struct ArgumentFormatRule {
    std::string_view name;
    ArgumentFormat format;
};

// By exact name. Names not listed: buffers by prefix "pb"/"rgb", "_alloc"
// suffix as pointers, others by their JSON type (argument_format()).
inline constexpr ArgumentFormatRule kArgumentFormats[] = {
    {"hContext", ArgumentFormat::Handle},
    {"phContext", ArgumentFormat::Handle},
    {"hCard", ArgumentFormat::Handle},
    {"phCard", ArgumentFormat::Handle},
    {"pvReserved1", ArgumentFormat::Pointer},
    {"pvReserved2", ArgumentFormat::Pointer},
    {"pvMem", ArgumentFormat::Pointer},
    {"dwScope", ArgumentFormat::Scope},
    {"dwShareMode", ArgumentFormat::ShareMode},
    {"dwPreferredProtocols", ArgumentFormat::Protocols},
    {"dwActiveProtocol", ArgumentFormat::Protocols},
    {"pdwActiveProtocol", ArgumentFormat::Protocols},
    {"dwProtocol", ArgumentFormat::Protocols},
    {"pdwProtocol", ArgumentFormat::Protocols},
    {"dwDisposition", ArgumentFormat::Disposition},
    {"dwInitialization", ArgumentFormat::Disposition},
    {"dwState", ArgumentFormat::CardState},
    {"pdwState", ArgumentFormat::CardState},
    {"dwCurrentState", ArgumentFormat::ReaderState},
    {"dwEventState", ArgumentFormat::ReaderState},
    {"dwControlCode", ArgumentFormat::ControlCode},
    {"dwAttrId", ArgumentFormat::AttrId},
    {"dwTimeout", ArgumentFormat::Timeout},
    {"cbSendLength", ArgumentFormat::Length},
    {"cbRecvLength", ArgumentFormat::Length},
    {"pcbRecvLength", ArgumentFormat::Length},
    {"lpBytesReturned", ArgumentFormat::Length},
    {"pcchReaders", ArgumentFormat::Length},
    {"pcchGroups", ArgumentFormat::Length},
    {"pcchReaderLen", ArgumentFormat::Length},
    {"pcbAtrLen", ArgumentFormat::Length},
    {"pcbAttrLen", ArgumentFormat::Length},
    {"cbAttrLen", ArgumentFormat::Length},
    {"cbAtr", ArgumentFormat::Length},
    {"cbPciLength", ArgumentFormat::Length},
    {"cReaders", ArgumentFormat::Length},
    {"szReader", ArgumentFormat::String},
    {"szReaderName", ArgumentFormat::String},
    {"mszReaders", ArgumentFormat::MultiString},
    {"mszGroups", ArgumentFormat::MultiString},
    {"rgReaderStates", ArgumentFormat::ReaderStates},
    {"pioSendPci", ArgumentFormat::IoRequest},
    {"pioRecvPci", ArgumentFormat::IoRequest},
};

// The formatter for an argument name (never fails: Number when nothing says otherwise).
ArgumentFormat argument_format(std::string_view name, const nlohmann::json& value);

struct ArgumentLine {
    char direction;    // 'i' (in), 'o' (out), ' ' (a parsed result following the outputs)
    std::string text;  // e.g. "dwScope: SCARD_SCOPE_USER (0x00000000)"
    bool operator==(const ArgumentLine&) const = default;
};

// How variable values are shown. By default handles and pointers are hex; a
// view may replace them (pcsc-spy -d style placeholders).
struct ArgumentStyle {
    // Text for a handle or pointer value: (argument name, value) -> text.
    std::function<std::string(std::string_view name, int64_t value)> variable;
    // Features announced by the reader of the card handle (for dwControlCode
    // names and for parsing part 10 answers).
    std::span<const Feature> features;
};

// The lines of one call. `fn` picks the parameter order; unknown functions and
// arguments not in the function's list come after, in name order.
std::vector<ArgumentLine> describe_call_arguments(std::string_view fn, const nlohmann::json& in,
                                                  const nlohmann::json& out, int64_t rv,
                                                  const ArgumentStyle& style = {});

// One value as text with the given format (no name, no direction), for views
// that show a single argument (e.g. a call list's key arguments).
std::string format_argument_value(ArgumentFormat format, std::string_view name, const nlohmann::json& value,
                                  const ArgumentStyle& style = {});

}  // namespace pcscspy
