// One kept call of the history: a compact decoded record plus the raw event line
// (re-parsed on demand for the detail view and dumps).
#pragma once

#include <cstdint>
#include <string>

namespace pcscspy {

struct CallRecord {
    enum Flags : uint8_t {
        kError = 1,      // rv is an error (see SessionModel::is_error)
        kHasApdu = 2,    // a transmit with a command of at least 4 bytes
        kHasSw = 4,      // a response of at least 2 bytes
        kSecret = 8,     // the command carries a secret (PIN)
        kRedacted = 16,  // the data already arrived masked
    };

    uint64_t ordinal = 0;   // 1-based position among all calls of the session
    uint64_t position = 0;  // position among all events of the session (for dumps)
    uint64_t seq = 0;
    int64_t ts_us = 0;     // when the call started
    int64_t dur_ns = 0;
    int64_t rv = 0;
    int64_t pid = 0;
    int64_t tid = 0;
    uint32_t process = 0;  // index into SessionModel::processes()
    uint16_t fn = 0;       // index into SessionModel::function_stats().rows()
    int16_t reader = -1;   // index into SessionModel::readers(), -1 none
    uint16_t applet = 0;   // index into SessionModel::applet_names(), 0 none
    uint8_t applet_kind = 0;  // AppletKind selected on the handle (for secrets)
    uint8_t flags = 0;
    uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    uint16_t sw = 0;
    uint32_t sent = 0;      // bytes sent (transmit/control)
    uint32_t received = 0;  // bytes received
    int64_t handle = 0;     // hCard of card calls, hContext of context calls
    std::string apdu;       // transmits: the decoded exchange in one line (INS name,
                            // applet, P1/P2 meaning, data length, SW meaning)
    std::string raw;        // the event line as received

    bool error() const { return flags & kError; }
    bool has_apdu() const { return flags & kHasApdu; }
    bool has_sw() const { return flags & kHasSw; }
    int64_t end_us() const { return ts_us + dur_ns / 1000; }
};

}  // namespace pcscspy
