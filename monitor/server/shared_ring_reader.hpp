// SharedRingReader: the monitor's side of one traced process's shared ring
// (protocol/shared_ring.hpp), received with its hello.
//
// The peer is trusted with nothing: open() checks that the descriptor is a
// memfd sealed against shrinking, growing and further seals (so the mapping can
// never fault) of exactly the size its header states, within our bounds; every
// position read from the shared header is checked before use, and lines are
// copied out before anyone parses them (the peer may rewrite them meanwhile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "protocol/shared_ring.hpp"

namespace pcscspy {

class SharedRingReader {
public:
    struct Opened;
    // Takes the descriptor (closed in every case: the mapping is kept).
    static Opened open(int fd);
    ~SharedRingReader();
    SharedRingReader(const SharedRingReader&) = delete;
    SharedRingReader& operator=(const SharedRingReader&) = delete;

    // Claims the ring for the monitor. False when the process already streams
    // it to the socket: the reader then only serves the final drain, from the
    // position of the bytes the socket delivered (advance()).
    bool claim();
    bool claimed() const { return claimed_; }
    // Asks the process to stream its lines on the socket (the reader then
    // serves the final drain, as when a claim fails). False when the process
    // decided otherwise (a peer that wrote something else in the header).
    bool ask_stream();

    enum class Read : uint8_t { Data, Empty, Corrupt };
    // Appends up to `max` bytes from the consumption position to `out` and
    // moves past them (and, when claimed, frees them for the producer).
    // Corrupt: the shared positions make no sense (the reader stops for good).
    Read read(std::string& out, size_t max);
    // Stream mode: these bytes of the ring came through the socket.
    void advance(uint64_t n) { position_ += n; }

    // Before waiting for a wake-up byte: false when data arrived meanwhile.
    bool prepare_sleep();

    // The process's counters (as it last wrote them).
    uint64_t lost() const;
    uint64_t calls() const;
    size_t data_bytes() const { return data_bytes_; }

private:
    SharedRingReader(ring::Header* header, size_t mapped, size_t data_bytes)
        : header_(header), mapped_(mapped), data_bytes_(data_bytes) {}
    const char* data() const { return reinterpret_cast<const char*>(header_) + ring::kHeaderBytes; }

    ring::Header* header_;
    size_t mapped_;
    size_t data_bytes_;  // read once, at open
    uint64_t position_ = 0;  // ours, never read back from shared memory
    bool claimed_ = false;
    bool corrupt_ = false;
};

struct SharedRingReader::Opened {
    std::unique_ptr<SharedRingReader> reader;
    std::string error;  // why the descriptor was refused
};

}  // namespace pcscspy
