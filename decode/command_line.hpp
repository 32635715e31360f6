// The command line of pcscspy-decode:
//   pcscspy-decode {apdu,response,sw,atr,rv} HEX...|- [--json] [--applet NAME]
//                  [--card-list FILE]
//   pcscspy-decode --help
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/aid.hpp"

namespace pcscspy::decode {

enum class Command { Apdu, Response, Sw, Atr, Rv };

struct Options {
    Command command = Command::Apdu;
    std::vector<std::string> inputs;  // the arguments after the sub-command (joined for hex)
    bool from_stdin = false;          // "-": one input per line from standard input
    bool json = false;
    bool help = false;
    AppletKind applet = AppletKind::Unknown;  // --applet: context for INS/SW names
    std::optional<std::string> card_list;     // --card-list FILE
};

struct CommandLine {
    std::optional<Options> options;
    std::string error;  // one line when options is empty (and help was not asked)
};

CommandLine parse_command_line(const std::vector<std::string>& args);

// The usage text (ends with a newline).
const char* usage_text();

}  // namespace pcscspy::decode
