// pcscspy-top's command line (contract: "pcscspy-top command line"), plus
// documented additions (--summary, --brief, --command-log).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "monitor/io/rotating_file.hpp"
#include "monitor/metrics/metrics_endpoint.hpp"
#include "monitor/model/session_model.hpp"

namespace pcscspy {

// The system-wide capture (eBPF): on when permitted, required, or off.
enum class AttachMode : uint8_t { WhenPermitted, Required, Off };

// The live monitor's main thread (ingestion, views) runs this much nicer than
// it was started, so that on a busy machine it yields the CPU to the programs it
// watches (pcscd among them) and catches up when they wait.
inline constexpr int kDefaultNice = 10;

struct Options {
    std::optional<std::string> socket;  // --socket P (default: $PCSCSPY_SOCKET, else default_socket_path())
    bool text = false;                  // --text
    bool summary = false;               // --summary: text mode without the calls, only the tables
    bool brief = false;                 // --brief: text mode, one line per call
    std::optional<std::string> replay;  // --replay F (the first one given)
    std::vector<std::string> replay_files;  // every --replay F, read in this order
    std::optional<std::string> record;  // --record F
    std::optional<std::string> dump;    // --dump F
    std::optional<std::string> pcap;    // --pcap F: the APDU exchanges as a pcapng capture
    std::optional<std::string> dump_dir;  // --dump-dir D: where the dashboard's `d` writes
    bool check = false;                 // --check
    bool no_color = false;              // --no-color
    bool diffable = false;              // --diffable
    bool show_secrets = false;          // --show-secrets
    bool no_reader_watch = false;       // --no-reader-watch: the dashboard does not watch readers itself
    bool read_rings = false;            // --read-rings: read traced programs' rings rather than their streams
    size_t history = kDefaultHistory;   // --history N
    size_t history_bytes = kDefaultHistoryBytes;  // --history-bytes SIZE
    size_t memory_budget = kDefaultMemoryBudget;  // --memory-budget SIZE
    std::optional<std::string> command_log;  // --command-log F (with -- CMD)
    std::vector<std::string> command;   // -- CMD [ARGS]
    AttachMode attach = AttachMode::WhenPermitted;  // --attach / --no-attach
    std::set<int64_t> pids;             // --pid PID[,PID...]: only these processes
    int nice = kDefaultNice;            // --nice N: niceness added to the monitor's own work
    bool headless = false;              // --headless: no screen, no text (a service)
    std::optional<MetricsAddress> metrics;       // --metrics [ADDR:]PORT
    std::optional<RotationPolicy> record_rotate;  // --record-rotate SIZE[,KEEP]
    bool help = false;
    bool version = false;
};

struct OptionsParse {
    Options options;
    std::optional<std::string> error;  // one line; the caller points to --help
};

OptionsParse parse_options(int argc, const char* const* argv);
std::string usage_text();
std::string version_text();

// Colour in text mode: only on a terminal, never with --no-color or NO_COLOR set
// to a non-empty value (https://no-color.org).
bool use_color(const Options& o, bool stdout_is_terminal, const char* no_color_env);

}  // namespace pcscspy
