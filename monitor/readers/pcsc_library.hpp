// libpcsclite, loaded by the monitor for its own reader watcher, never through
// the interposer: libc's dlopen (taken from libc itself, so that a preloaded
// interposer's dlopen hook cannot redirect it) opens the real library --
// libpcsclite_real.so.1 first, the name `pcscspy-run --install-system` gives it
// when the interposer replaces libpcsclite.so.1 -- and a library that exports
// dlopen (an interposer) is refused. Calls go through the functions looked up
// in that library alone, so nothing the watcher does is ever traced by the
// interposer. The monitor needs no libpcsclite to build or to run: without it
// the watcher says so.
#pragma once

#include <PCSC/winscard.h>

#include <memory>
#include <optional>
#include <string>

namespace pcscspy::readers {

struct PcscFunctions {
    LONG (*establish_context)(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT) = nullptr;
    LONG (*release_context)(SCARDCONTEXT) = nullptr;
    LONG (*list_readers)(SCARDCONTEXT, LPCSTR, LPSTR, LPDWORD) = nullptr;
    LONG (*get_status_change)(SCARDCONTEXT, DWORD, SCARD_READERSTATE*, DWORD) = nullptr;
    LONG (*cancel)(SCARDCONTEXT) = nullptr;
};

class PcscLibrary {
public:
    struct Result {
        std::unique_ptr<PcscLibrary> library;
        std::string error;  // one line, when library is null
    };
    // `path`: a given file (tests), else the system's libpcsclite.
    static Result load(const std::optional<std::string>& path = std::nullopt);
    ~PcscLibrary();

    const PcscFunctions& fn() const { return fn_; }
    const std::string& path() const { return path_; }

private:
    PcscLibrary() = default;
    void* handle_ = nullptr;
    PcscFunctions fn_;
    std::string path_;
};

}  // namespace pcscspy::readers
