#include "monitor/io/replay.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "monitor/io/session_document.hpp"
#include "monitor/server/line_assembler.hpp"

namespace pcscspy {

using nlohmann::json;

namespace {

void note(ReplayReport& r, uint64_t line, std::string message) {
    ++r.damaged;
    if (r.damage.size() < ReplayReport::kMaxDamageListed) r.damage.push_back({line, std::move(message)});
}

void ingest(ReplayReport& r, SessionModel& model, std::string_view line, const CallSink& on_call) {
    ++r.lines;
    if (line.empty()) return;  // blank lines (a hand-edited file) are not damage
    IngestResult res = ingest_and_notify(model, line, on_call);
    if (!res.ok()) {
        note(r, r.lines, std::string(to_string(*res.error)));
        return;
    }
    ++r.events;
}

void replay_recording(int fd, std::string first_chunk, ReplayReport& r, SessionModel& model, const CallSink& on_call) {
    LineAssembler lines(kMaxLineLength);
    auto on_line = [&](std::string_view line) { ingest(r, model, line, on_call); };
    auto on_overlong = [&](size_t n) {
        ++r.lines;
        note(r, r.lines, "line of " + std::to_string(n) + " bytes is over the maximum, skipped");
    };
    lines.feed(first_chunk, on_line, on_overlong);
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            note(r, 0, std::string("read error: ") + std::strerror(errno));
            break;
        }
        if (n == 0) break;
        lines.feed(std::string_view(buf.data(), static_cast<size_t>(n)), on_line, on_overlong);
    }
    if (lines.pending()) {
        // The file ends without a newline: a recording cut while being written
        // when that last line is not a whole event.
        uint64_t before = r.damaged;
        lines.feed("\n", on_line, on_overlong);
        if (r.damaged > before) r.truncated = true;
    }
}

// A session document: its summary members are kept aside, its events applied one
// by one as the parser completes them (a large dump never sits whole in memory).
void replay_document(const std::string& path, ReplayReport& r, SessionModel& model, const CallSink& on_call) {
    std::ifstream in(path, std::ios::binary);
    json summary = json::object();
    std::string member;
    bool in_events = false;
    EventFacts facts;
    // A value nested past what events need is dropped as the parser meets it
    // (it never becomes a tree: copies and dumps of one recurse), and the event
    // or summary member holding it counted as damaged. The parser counts the
    // containers around a value: an event object is at 2, its level 1.
    constexpr int kRefusedDepth = kMaxEventNesting + 2;
    bool too_deep = false;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            depth >= kRefusedDepth) {
            too_deep = true;
            return false;
        }
        if (too_deep && (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end ||
                         event == json::parse_event_t::value) &&
            depth <= (in_events ? 2 : 1)) {
            // The end of the event or summary member that held it.
            too_deep = false;
            if (in_events) {
                ++r.lines;
                model.count_bad_line(EventErrorKind::TooDeep);
                note(r, 0, "event " + std::to_string(r.lines) + ": " + std::string(to_string(EventErrorKind::TooDeep)));
            } else {
                note(r, 0, "summary member \"" + member + "\": " + std::string(to_string(EventErrorKind::TooDeep)));
            }
            return false;
        }
        if (depth == 1 && event == json::parse_event_t::key) {
            member = parsed.get<std::string>();
            in_events = member == "events";
            return true;
        }
        if (in_events && depth == 2 && event == json::parse_event_t::object_end) {
            ++r.lines;
            DecodedEvent d = decode_event_value(parsed);
            if (!d.ok()) {
                model.count_bad_line(d.error->kind);
                note(r, 0, "event " + std::to_string(r.lines) + ": " + std::string(to_string(d.error->kind)));
                return false;
            }
            facts_from_event(*d.event, facts);
            IngestResult res = model.apply(facts, parsed.dump(-1, ' ', false, json::error_handler_t::replace));
            ++r.events;
            if (res.call && on_call) on_call(model, *res.call, &parsed);
            return false;  // applied: drop it from the document tree
        }
        if (depth == 1 && !in_events &&
            (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end ||
             event == json::parse_event_t::value)) {
            summary[member] = parsed;
            return false;
        }
        return true;
    };
    try {
        json rest = json::parse(in, cb, /*allow_exceptions=*/true);  // what the callback kept: nothing
        (void)rest;
    } catch (const json::parse_error& e) {
        r.truncated = true;
        note(r, 0, "document broken off at byte " + std::to_string(e.byte) + " (events before it were read)");
    }
    std::string skipped = restore_session_summary(summary, model);
    if (!skipped.empty()) note(r, 0, "summary incomplete, not restored: " + skipped);
}

}  // namespace

ReplayReport replay_file(const std::string& path, SessionModel& model, const CallSink& on_call) {
    ReplayReport r;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r.error = "cannot open " + path + ": " + std::strerror(errno);
        return r;
    }
    const std::string& name = path;  // plain text: whoever prints it sanitises it
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        r.error = name + " is a folder, not a recording or a session dump";
        return r;
    }
    r.opened = true;
    // Peek: a session document starts with its fixed opening, a recording with
    // an event, and both with "{": anything else (a text file, a binary, a pipe
    // of something else) is refused before being read as thousands of bad lines.
    std::string first(64 * 1024, '\0');
    ssize_t n = read(fd, first.data(), first.size());
    first.resize(n > 0 ? static_cast<size_t>(n) : 0);
    size_t start = first.find_first_not_of(" \t\r\n");
    if (start != std::string::npos && first[start] != '{') {
        ::close(fd);
        r.not_a_recording = true;
        r.error = name + " is not a recording or a session dump (it does not start with a JSON event)";
        return r;
    }
    if (start != std::string::npos && std::string_view(first).substr(start).starts_with(kSessionDocumentStart)) {
        ::close(fd);
        r.is_document = true;
        replay_document(path, r, model, on_call);
        return r;
    }
    replay_recording(fd, std::move(first), r, model, on_call);
    ::close(fd);
    // Damage is reported and read past; a file with no event at all was never a recording.
    if (r.events == 0 && r.damaged > 0) {
        r.not_a_recording = true;
        r.error = name + " is not a recording or a session dump (no event in its " + std::to_string(r.lines) +
                  (r.lines == 1 ? " line" : " lines") +
                  (r.damage.empty() ? std::string() : "; line " + std::to_string(r.damage.front().line) + ": " +
                                                          r.damage.front().message) +
                  ")";
    }
    return r;
}

std::vector<std::string> damage_lines(const ReplayReport& r, const std::string& path) {
    std::vector<std::string> out;
    if (!r.error.empty()) {
        out.push_back(r.error);
        return out;
    }
    if (r.clean()) return out;
    out.push_back(path + ": " + std::to_string(r.damaged) + " damaged " + (r.is_document ? "part" : "line") +
                  (r.damaged == 1 ? "" : "s") + (r.truncated ? ", file truncated" : "") + "; read " +
                  std::to_string(r.events) + " events");
    for (const ReplayDamage& d : r.damage)
        out.push_back("  " + (d.line ? "line " + std::to_string(d.line) + ": " : std::string()) + d.message);
    if (r.damaged > r.damage.size()) out.push_back("  ... " + std::to_string(r.damaged - r.damage.size()) + " more");
    return out;
}

}  // namespace pcscspy
