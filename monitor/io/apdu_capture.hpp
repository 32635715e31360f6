// --pcap F: the session's APDU exchanges as a pcapng capture that Wireshark and
// tshark decode with their ISO 7816 dissector, with no setup (see pcapng.hpp).
//
// Each SCardTransmit becomes two consecutive packets on the interface named
// after its reader: the command APDU (sent to the card), stamped when the call
// started, and the response APDU (received from the card), stamped when it
// returned. Wireshark pairs a response with the command just before it, so a
// pair is never split, even when calls of several processes overlap (the
// capture's timestamps may then step back). A failed transmit has no response:
// its command packet says why. Each packet's comment names the process and the
// process's call number (the seq that --check and "continues #N" use:
// "pid 4242 opensc-tool, call #57"). PIN data
// is masked (bytes 2A) unless --show-secrets, as in the other views and dumps.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

class ApduCapture {
public:
    struct Result;
    // Creates (or empties) F with mode 0600 and writes the section header. F must
    // be a regular file or a character device (/dev/null).
    static Result open(const std::string& path, bool show_secrets);

    ApduCapture(ApduCapture&& o) noexcept;
    ApduCapture& operator=(ApduCapture&&) = delete;
    ~ApduCapture();

    // One call of the model: written when it is an SCardTransmit, ignored otherwise.
    void add(const SessionModel& model, const CallRecord& call);
    // False when writing fails (error() says why); the capture then stops, and
    // later calls return true: the failure is reported once.
    bool flush();
    const std::string& path() const { return path_; }
    const std::string& error() const { return error_; }
    uint64_t exchanges() const { return exchanges_; }

private:
    ApduCapture(int fd, std::string path, bool show_secrets);
    uint32_t interface_for(const SessionModel& model, int16_t reader);

    int fd_ = -1;
    std::string path_;
    bool show_secrets_ = false;
    std::string buffer_;
    std::string error_;
    std::map<int16_t, uint32_t> interfaces_;  // reader index (-1: unknown) -> interface id
    uint64_t exchanges_ = 0;
};

struct ApduCapture::Result {
    std::optional<ApduCapture> capture;
    std::string error;
};

}  // namespace pcscspy
