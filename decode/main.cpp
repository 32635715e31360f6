// pcscspy-decode: decodes what a user pastes (contract:
// `pcscspy-decode {apdu,response,sw,atr,rv} HEX... [--json]`). See
// man/pcscspy-decode.1. The card list is read here: protocol/ does no I/O.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "decode/command_line.hpp"
#include "decode/decode_apdu.hpp"
#include "decode/decode_atr.hpp"
#include "decode/decode_rv.hpp"
#include "protocol/card_list.hpp"
#include "protocol/hex.hpp"

using namespace pcscspy;
using namespace pcscspy::decode;

namespace {

constexpr int kExitOk = 0, kExitMalformed = 1, kExitUsage = 2;

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One input decoded, or the one-line reason it could not be.
using Outcome = std::variant<Decoded, std::string>;

// `apdu` input may give the response after "=>": "00A4040006D27600012401 => 6A82".
Outcome decode_apdu_line(ApduSession& session, const std::string& text) {
    const size_t arrow = text.find("=>");
    HexParse command = parse_hex(text.substr(0, arrow));
    if (!command.ok()) return "bad hex: " + command.error->message;
    if (command.bytes.empty()) return std::string("no bytes given");
    if (arrow == std::string::npos) return session.command(command.bytes);
    HexParse response = parse_hex(text.substr(arrow + 2));
    if (!response.ok()) return "bad hex in the response: " + response.error->message;
    return session.command(command.bytes, ByteView(response.bytes));
}

Outcome decode_one(const Options& o, const std::string& text, const CardList* cards, ApduSession& session) {
    if (o.command == Command::Apdu) return decode_apdu_line(session, text);
    if (o.command == Command::Rv) {
        std::istringstream words(text);
        std::string value, more;
        words >> value >> more;
        if (value.empty()) return std::string("no return code given");
        if (!more.empty()) return std::string("rv takes one value");
        ReturnCodeArg rv = parse_return_code_arg(value);
        if (!rv.value) return rv.error;
        return decode_rv(*rv.value);
    }
    HexParse hex = parse_hex(text);
    if (!hex.ok()) return "bad hex: " + hex.error->message;
    if (hex.bytes.empty()) return std::string("no bytes given");
    switch (o.command) {
    case Command::Apdu: break;  // above
    case Command::Response: return decode_response_apdu(hex.bytes, o.applet);
    case Command::Sw:
        if (hex.bytes.size() != 2)
            return "a status word is 2 bytes (SW1 SW2), got " + std::to_string(hex.bytes.size());
        return decode_status_word(hex.bytes, o.applet);
    case Command::Atr: return decode_atr(hex.bytes, cards);
    case Command::Rv: break;
    }
    return std::string("internal error: unhandled command");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    CommandLine cl = parse_command_line(args);
    if (!cl.options) {
        std::cerr << "pcscspy-decode: " << cl.error << "\n" << usage_text();
        return kExitUsage;
    }
    const Options& o = *cl.options;
    if (o.help) {
        std::cout << usage_text();
        return kExitOk;
    }

    CardList cards;
    bool have_cards = false;
    if (o.command == Command::Atr) {
        std::string path = o.card_list.value_or(std::string(kSmartcardListPath));
        if (std::optional<std::string> text = read_file(path)) {
            cards = CardList::parse(*text);
            have_cards = true;
        } else if (o.card_list) {
            std::cerr << "pcscspy-decode: cannot read the card list " << path << "\n";
            return kExitUsage;
        }  // the default list absent: no names, silently
    }

    std::vector<std::string> inputs;
    if (o.from_stdin) {
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#')
                continue;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            inputs.push_back(line);
        }
    } else {
        std::string joined;
        for (const std::string& a : o.inputs) joined += (joined.empty() ? "" : " ") + a;
        inputs.push_back(joined);
    }

    int status = kExitOk;
    bool first = true;
    // One session for the whole batch: the applet context carries from line to line.
    ApduSession session(o.applet);
    for (const std::string& input : inputs) {
        Outcome out = decode_one(o, input, have_cards ? &cards : nullptr, session);
        if (const std::string* error = std::get_if<std::string>(&out)) {
            status = kExitUsage;
            if (o.from_stdin && o.json) {
                Json j = {{"input", input}, {"error", *error}};
                std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
            }
            std::cerr << "pcscspy-decode: " << *error << "\n";
            continue;
        }
        const Decoded& d = std::get<Decoded>(out);
        if (d.malformed && status == kExitOk) status = kExitMalformed;
        if (o.json) {
            std::cout << d.json.dump(o.from_stdin ? -1 : 2, ' ', false, Json::error_handler_t::replace) << "\n";
        } else {
            if (!first) std::cout << "\n";
            for (const std::string& l : d.lines) std::cout << l << "\n";
        }
        first = false;
    }
    return status;
}
