#include "monitor/app/options.hpp"

#include <charconv>
#include <string_view>

#include "monitor/io/byte_size.hpp"

namespace pcscspy {

namespace {

// Options that take a value, and where it goes.
struct ValueOption {
    std::string_view name;
    std::optional<std::string> Options::*field;
};
constexpr ValueOption kValueOptions[] = {
    {"--socket", &Options::socket},   {"--replay", &Options::replay}, {"--record", &Options::record},
    {"--dump", &Options::dump},       {"--command-log", &Options::command_log}, {"--pcap", &Options::pcap},
    {"--dump-dir", &Options::dump_dir},
};

struct FlagOption {
    std::string_view name;
    bool Options::*field;
};
constexpr FlagOption kFlagOptions[] = {
    {"--text", &Options::text},           {"--summary", &Options::summary},   {"--check", &Options::check},
    {"--brief", &Options::brief},
    {"--no-color", &Options::no_color},   {"--diffable", &Options::diffable}, {"--show-secrets", &Options::show_secrets},
    {"--help", &Options::help},           {"-h", &Options::help},             {"--version", &Options::version},
    {"--headless", &Options::headless},
    {"--no-reader-watch", &Options::no_reader_watch},
    {"--read-rings", &Options::read_rings},
};

// "12,345": positive process ids, added to `pids`.
std::optional<std::string> parse_pids(std::string_view text, std::set<int64_t>& pids) {
    size_t at = 0;
    while (at <= text.size()) {
        size_t comma = text.find(',', at);
        std::string_view item = text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        int64_t pid = 0;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), pid);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || pid <= 0)
            return "--pid needs process ids separated by commas, not \"" + std::string(text) + "\"";
        pids.insert(pid);
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    return std::nullopt;
}

}  // namespace

OptionsParse parse_options(int argc, const char* const* argv) {
    OptionsParse r;
    Options& o = r.options;
    bool attach_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            for (int k = i + 1; k < argc; ++k) o.command.emplace_back(argv[k]);
            if (o.command.empty()) r.error = "-- must be followed by a command";
            break;
        }
        // --name=value is accepted as well as --name value.
        std::string_view name = arg, inline_value;
        bool has_inline = false;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
            has_inline = true;
        }
        auto value = [&]() -> std::optional<std::string> {
            if (has_inline) return std::string(inline_value);
            if (i + 1 >= argc) {
                r.error = std::string(name) + " needs a value";
                return std::nullopt;
            }
            return std::string(argv[++i]);
        };
        bool known = false;
        for (const FlagOption& f : kFlagOptions)
            if (f.name == name && !has_inline) {
                o.*f.field = true;
                known = true;
            }
        for (const ValueOption& v : kValueOptions)
            if (v.name == name) {
                known = true;
                auto val = value();
                if (!val) return r;
                if (val->empty()) {
                    r.error = std::string(name) + " needs a non-empty value";
                    return r;
                }
                if (name == "--replay") o.replay_files.push_back(*val);
                if (name != "--replay" || !o.replay) o.*v.field = std::move(*val);
            }
        if ((name == "--attach" || name == "--no-attach") && !has_inline) {
            known = true;
            AttachMode mode = name == "--attach" ? AttachMode::Required : AttachMode::Off;
            if (attach_given && o.attach != mode) {
                r.error = "--attach and --no-attach contradict each other";
                return r;
            }
            o.attach = mode;
            attach_given = true;
        }
        if (name == "--pid") {
            known = true;
            auto val = value();
            if (!val) return r;
            if (auto err = parse_pids(*val, o.pids)) {
                r.error = *err;
                return r;
            }
        }
        if (name == "--nice") {
            known = true;
            auto val = value();
            if (!val) return r;
            int n = -1;
            auto [end, ec] = std::from_chars(val->data(), val->data() + val->size(), n);
            if (ec != std::errc() || end != val->data() + val->size() || n < 0 || n > 19) {
                r.error = "--nice needs a niceness from 0 to 19, not \"" + *val + "\"";
                return r;
            }
            o.nice = n;
        }
        if (name == "--metrics" || name == "--record-rotate") {
            known = true;
            auto val = value();
            if (!val) return r;
            std::string err;
            if (name == "--metrics") o.metrics = parse_metrics_address(*val, &err);
            else o.record_rotate = parse_rotation_policy(*val, &err);
            if (!err.empty()) {
                r.error = err;
                return r;
            }
        }
        if (name == "--memory-budget" || name == "--history-bytes") {
            known = true;
            auto val = value();
            if (!val) return r;
            std::string why;
            std::optional<uint64_t> bytes = parse_byte_size(*val, &why);
            if (bytes && name == "--memory-budget" && *bytes < kMinMemoryBudget)
                why = "SIZE must be at least " + std::to_string(kMinMemoryBudget >> 20) + "M";
            if (!bytes || !why.empty()) {
                r.error = std::string(name) + " " + *val + ": " + why;
                return r;
            }
            (name == "--memory-budget" ? o.memory_budget : o.history_bytes) = static_cast<size_t>(*bytes);
        }
        if (name == "--history") {
            known = true;
            auto val = value();
            if (!val) return r;
            size_t n = 0;
            auto [end, ec] = std::from_chars(val->data(), val->data() + val->size(), n);
            if (ec != std::errc() || end != val->data() + val->size()) {
                r.error = "--history needs a number of calls, not \"" + *val + "\"";
                return r;
            }
            o.history = n;
        }
        if (!known) {
            r.error = "unknown option " + std::string(arg);
            return r;
        }
    }
    if (r.error) return r;
    if (o.replay && !o.command.empty()) r.error = "--replay reads a file: it cannot also launch a command";
    else if (o.replay && o.record) r.error = "--replay and --record do not go together (copy the file instead)";
    else if (o.summary && !o.text) r.error = "--summary is a text mode option: add --text";
    else if (o.brief && !o.text) r.error = "--brief is a text mode option: add --text";
    else if (o.brief && o.summary) r.error = "--brief and --summary contradict each other (--summary prints no calls)";
    else if (o.command_log && o.command.empty()) r.error = "--command-log needs a command (-- CMD)";
    else if (o.replay && o.attach == AttachMode::Required) r.error = "--replay reads a file: it cannot also --attach";
    else if (o.replay && !o.pids.empty()) r.error = "--pid chooses among live processes: it does not filter a --replay";
    else if (o.headless && o.text) r.error = "--headless prints nothing: it cannot also be --text";
    else if (o.record_rotate && !o.record) r.error = "--record-rotate needs --record F";
    return r;
}

std::string usage_text() {
    return "usage: pcscspy-top [options] [-- CMD [ARGS...]]\n"
           "Live monitor of PC/SC (smart card) activity: a top for smart cards.\n"
           "\n"
           "  (no option)         live dashboard on the default socket\n"
           "  --socket P          listen on P (default $PCSCSPY_SOCKET, else\n"
           "                      $XDG_RUNTIME_DIR/pcscspy/socket, else /tmp/pcscspy-<uid>/socket)\n"
           "  --text              no dashboard: print decoded calls as they arrive\n"
           "  --brief             with --text: one line per call\n"
           "  --summary           with --text: print only the tables at the end\n"
           "  --replay F          read a recording or a dump instead of listening; several\n"
           "                      --replay options read several recordings in that order\n"
           "  --record F          also append every raw event line to F (mode 0600)\n"
           "  --record-rotate SIZE[,KEEP]\n"
           "                      rotate F at SIZE bytes (K, M, G) into F.1 ... F.KEEP\n"
           "                      (default KEEP 5)\n"
           "  --dump F            at exit, write the session document to F\n"
           "  --dump-dir D        where the dashboard's d key writes (default\n"
           "                      $XDG_STATE_HOME/pcscspy, else ~/.local/state/pcscspy)\n"
           "  --pcap F            also write the APDU exchanges to F as a pcapng capture\n"
           "                      (Wireshark and tshark decode them as ISO 7816)\n"
           "  --check             at exit, print the correctness report\n"
           "  --no-color          no colour (also when NO_COLOR is set)\n"
           "  --diffable          text mode: placeholders for handles, times and pids\n"
           "  --show-secrets      show PIN-bearing APDU data (masked by default)\n"
           "  --no-reader-watch   the dashboard does not watch readers and cards itself\n"
           "  --history N         calls kept in memory (default " +
           std::to_string(kDefaultHistory) +
           "); statistics stay exact\n"
           "  --history-bytes SIZE\n"
           "                      bytes the kept calls may take (K, M, G; default " +
           std::to_string(kDefaultHistoryBytes >> 20) +
           "M,\n"
           "                      at most half the memory budget)\n"
           "  --memory-budget SIZE\n"
           "                      memory the session may take, history included (K, M, G;\n"
           "                      default " +
           std::to_string(kDefaultMemoryBudget >> 20) +
           "M, estimated): past it, exited processes are folded\n"
           "                      into totals, oldest exit first\n"
           "  --command-log F     with -- CMD: the command's output goes to F\n"
           "  --attach            see every process using libpcsclite (eBPF; needs root):\n"
           "                      the default when permitted; with --attach, required\n"
           "  --no-attach         only the programs traced through the socket\n"
           "  --pid PID[,PID...]  show only these processes\n"
           "  --nice N            run the monitor's own work N nicer than it was started,\n"
           "                      yielding to the programs it watches (default " +
           std::to_string(kDefaultNice) + "; 0: not)\n"
           "  --read-rings        read traced programs' shared rings rather than have them\n"
           "                      stream their events: fewer events lost when a program\n"
           "                      calls faster than the monitor reads, dearer for its calls\n"
           "  --headless          no screen, no text: collect until SIGTERM/SIGINT (a service)\n"
           "  --metrics [ADDR:]PORT\n"
           "                      Prometheus endpoint /metrics (default address 127.0.0.1;\n"
           "                      port 0: any free port, said at start)\n"
           "  -- CMD [ARGS]       also launch CMD under the interposer on this socket\n"
           "  --help, --version\n"
           "\n"
           "See pcscspy-top(1) and pcscspy-events(5).\n";
}

std::string version_text() { return "pcscspy-top " PCSCSPY_VERSION "\n"; }

bool use_color(const Options& o, bool stdout_is_terminal, const char* no_color_env) {
    if (o.no_color || (no_color_env != nullptr && *no_color_env)) return false;
    return stdout_is_terminal;
}

}  // namespace pcscspy
