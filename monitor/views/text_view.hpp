// TextView: pcscspy-top --text. Prints each call as it arrives, in the spirit of
// pcsc-spy (function, "i"/"o" arguments with symbolic names, hex dumps with
// ASCII, "=>" result with its name and meaning, duration) and more: every line
// labelled with its process ("[pid exe]", and the thread once it has several),
// each call with its number (the per-process seq that --check and "continues #N"
// cite) and the wall-clock time it started; the APDU of a transmit with its INS
// name, applet, P1/P2 meaning and SW meaning, and its command and response data
// as BER-TLV objects (FCI/FCP templates, GET DATA objects) as the dashboard's
// detail view shows them; part 10 answers parsed; colour only when asked (a
// terminal, no --no-color, no NO_COLOR); --diffable placeholders for handles,
// pointers, times and pids. --brief: one line per call (the dashboard's call
// list summary). At exit: the statistics tables.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/model/session_model.hpp"

namespace pcscspy {

struct TextViewOptions {
    bool color = false;
    bool diffable = false;
    bool show_secrets = false;
    bool brief = false;  // one line per call
};

class TextView {
public:
    TextView(std::ostream& out, TextViewOptions options) : out_(out), o_(options) {}

    // One call of the model. Its arguments come from `event` (its in, out and
    // rv_name members, taken apart) when given, else from its raw line, parsed again.
    void print_call(const SessionModel& model, const CallRecord& call, nlohmann::json* event = nullptr);
    // "Results sorted by total execution time", then readers and processes.
    void print_statistics(const SessionModel& model);

    // The text of one call, without colour (for tests).
    std::string format_call(const SessionModel& model, const CallRecord& call, nlohmann::json* event = nullptr);

private:
    struct Piece {
        std::string_view colour;
        std::string text;
    };
    // --brief's line: the call's heading, its summary and its duration.
    std::vector<Piece> brief_line(const SessionModel& model, const CallRecord& call);
    std::string placeholder(std::string_view kind, int64_t value);
    std::string label(const SessionModel& model, const CallRecord& call);
    // "#157 10:41:02.123456": the call's number (its seq) and when it started.
    std::string number_and_time(const CallRecord& call) const;
    // "#157 10:41:02.123456 SCardTransmit"
    std::string heading(const SessionModel& model, const CallRecord& call) const;
    std::string duration(const CallRecord& call) const;
    std::string paint(std::string_view colour, std::string text) const;

    std::ostream& out_;
    TextViewOptions o_;
    std::map<std::pair<std::string, int64_t>, int> placeholders_;
    std::map<std::string, int> placeholder_counts_;
};

}  // namespace pcscspy
