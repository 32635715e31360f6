// A synthetic but realistic tracing session for the benchmark: many processes,
// each establishing a context, watching readers, connecting and running card
// sessions (SELECT, READ BINARY, GET CHALLENGE, VERIFY, GET RESPONSE chains)
// inside transactions, with begin events for the slow calls. The same calls can
// be written as pcsc-lite's pcsc-spy log (libpcscspy's FIFO format), so that
// both tools decode the same session.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace pcscspy::bench {

struct SyntheticOptions {
    uint64_t events = 1'000'000;
    int processes = 64;
    int readers = 4;  // "Virtual PCD 00 00" ... (processes share them round-robin)
    uint64_t seed = 42;
};

// Calls `emit(ndjson_line, spy_lines)` for every event: the stream line, and the
// lines pcsc-spy's log would have for it (empty for events it has no form of).
void generate_session(const SyntheticOptions& o,
                      const std::function<void(const std::string& line, const std::string& spy)>& emit);

}  // namespace pcscspy::bench
