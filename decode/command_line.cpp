#include "decode/command_line.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/xlat.hpp"

namespace pcscspy::decode {

namespace {

constexpr Named kCommands[] = {
    {static_cast<uint64_t>(Command::Apdu), "apdu", "command APDU"},
    {static_cast<uint64_t>(Command::Response), "response", "response APDU (data and SW1 SW2)"},
    {static_cast<uint64_t>(Command::Sw), "sw", "status word SW1 SW2"},
    {static_cast<uint64_t>(Command::Atr), "atr", "answer to reset"},
    {static_cast<uint64_t>(Command::Rv), "rv", "PC/SC return code"},
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Applet names are matched without case, spaces or punctuation ("openpgp",
// "OpenPGP", "yubikey-oath").
std::string squeeze(std::string_view s) {
    std::string out;
    for (unsigned char c : s)
        if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    return out;
}

std::optional<AppletKind> applet_by_name(std::string_view name) {
    for (const Named& n : kAppletKinds)
        if (squeeze(n.name) == squeeze(name)) return static_cast<AppletKind>(n.value);
    return std::nullopt;
}

std::string applet_names() {
    std::string s;
    for (const Named& n : kAppletKinds) {
        if (n.value == static_cast<uint64_t>(AppletKind::Unknown)) continue;
        if (!s.empty()) s += ", ";
        s += n.name;
    }
    return s;
}

}  // namespace

const char* usage_text() {
    return "usage: pcscspy-decode COMMAND INPUT... [--json] [--applet NAME] [--card-list FILE]\n"
           "       pcscspy-decode COMMAND - [options]   (one input per line from standard input)\n"
           "       pcscspy-decode --help\n"
           "\n"
           "commands:\n"
           "  apdu HEX...      command APDU: case, CLA, INS, P1 P2, Lc, data, Le;\n"
           "                   its response may follow after \"=>\"; a batch on stdin is one session\n"
           "  response HEX...  response APDU: data (as BER-TLV when it parses) and SW1 SW2\n"
           "  sw HEX           status word (2 bytes)\n"
           "  atr HEX...       answer to reset, and the card's name from smartcard_list.txt\n"
           "  rv VALUE         PC/SC return code: 0x80100069, 80100069, -2146434967 or a name\n"
           "\n"
           "HEX may be split over several arguments, with spaces or colons: 3B:95:13 \"00 A4 04 00\".\n"
           "\n"
           "options:\n"
           "  --json            one JSON object per input instead of text\n"
           "  --applet NAME     name INS bytes and status words as this applet does (PIV, OpenPGP, ...)\n"
           "  --card-list FILE  ATR list to search (default /usr/share/pcsc/smartcard_list.txt)\n"
           "  -h, --help        this text\n"
           "\n"
           "exit status: 0 decoded, 1 decoded but malformed or unknown, 2 bad hex or bad usage\n";
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
    CommandLine r;
    Options o;
    bool have_command = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            o.help = true;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--applet" || a == "--card-list") {
            if (i + 1 >= args.size()) {
                r.error = a + " needs a value";
                return r;
            }
            const std::string& v = args[++i];
            if (a == "--card-list") {
                o.card_list = v;
            } else if (auto k = applet_by_name(v)) {
                o.applet = *k;
            } else {
                r.error = "unknown applet '" + v + "' (known: " + applet_names() + ")";
                return r;
            }
        } else if (a == "-") {
            o.from_stdin = true;
        } else if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) {
            // Negative numbers are values (rv -2146434967), not options.
            r.error = "unknown option " + a;
            return r;
        } else if (!have_command) {
            const Named* c = find_name(kCommands, lower(a));
            if (!c) {
                r.error = "unknown command '" + a + "'";
                return r;
            }
            o.command = static_cast<Command>(c->value);
            have_command = true;
        } else {
            o.inputs.push_back(a);
        }
    }
    if (o.help) {
        r.options = o;
        return r;
    }
    if (!have_command) {
        r.error = "no command given";
        return r;
    }
    if (o.from_stdin && !o.inputs.empty()) {
        r.error = "'-' reads the inputs from standard input: give no other input";
        return r;
    }
    if (!o.from_stdin && o.inputs.empty()) {
        r.error = "no input given";
        return r;
    }
    r.options = o;
    return r;
}

}  // namespace pcscspy::decode
