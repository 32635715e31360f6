#include "support/events.hpp"

#include <set>

#include "protocol/event.hpp"

namespace pcscspy::test {

std::vector<json> parse_events(const std::vector<std::string>& lines, std::vector<std::string>& errors) {
    std::vector<json> events;
    for (size_t i = 0; i < lines.size(); ++i) {
        DecodedEvent d = decode_event(lines[i]);
        if (!d.ok()) {
            errors.push_back("line " + std::to_string(i + 1) + ": " + d.error->message + ": " + lines[i].substr(0, 200));
            continue;
        }
        events.push_back(json::parse(lines[i]));
    }
    return events;
}

std::vector<json> of_type(const std::vector<json>& events, const std::string& type) {
    std::vector<json> out;
    for (const json& e : events)
        if (e["type"] == type) out.push_back(e);
    return out;
}

std::vector<json> calls_of(const std::vector<json>& events, const std::string& fn) {
    std::vector<json> out;
    for (const json& e : events)
        if (e["type"] == "call" && e["fn"] == fn) out.push_back(e);
    return out;
}

std::vector<std::string> check_stream(const std::vector<json>& events, bool in_order) {
    std::vector<std::string> problems;
    std::map<std::pair<int64_t, uint64_t>, int> begins, calls;
    std::map<int64_t, uint64_t> last_seq_pid;
    std::map<std::pair<int64_t, int64_t>, uint64_t> last_seq_tid;
    for (const json& e : events) {
        if (e["type"] != "begin" && e["type"] != "call") continue;
        int64_t pid = e["pid"], tid = e["tid"];
        uint64_t seq = e["seq"];
        auto key = std::make_pair(pid, seq);
        if (e["type"] == "begin") {
            if (++begins[key] > 1) problems.push_back("two begins with seq " + std::to_string(seq));
            continue;
        }
        if (++calls[key] > 1) problems.push_back("two calls with seq " + std::to_string(seq));
        if (in_order && seq <= last_seq_pid[pid])
            problems.push_back("seq " + std::to_string(seq) + " after " + std::to_string(last_seq_pid[pid]));
        if (seq <= last_seq_tid[{pid, tid}])
            problems.push_back("thread " + std::to_string(tid) + ": seq " + std::to_string(seq) + " after " +
                               std::to_string(last_seq_tid[{pid, tid}]));
        last_seq_pid[pid] = std::max(last_seq_pid[pid], seq);
        last_seq_tid[{pid, tid}] = seq;
    }
    for (const auto& [key, n] : calls)
        if (!begins.count(key)) problems.push_back("call seq " + std::to_string(key.second) + " has no begin");
    for (const auto& [key, n] : begins)
        if (!calls.count(key)) problems.push_back("begin seq " + std::to_string(key.second) + " has no call");
    return problems;
}

std::string Artifacts::interposer() { return PCSCSPY_TEST_INTERPOSER; }
std::string Artifacts::run() { return PCSCSPY_TEST_RUN; }
std::string Artifacts::host() { return PCSCSPY_TEST_HOST; }
std::string Artifacts::double_library() { return PCSCSPY_TEST_DOUBLE; }
std::string Artifacts::redirector() { return PCSCSPY_TEST_REDIRECTOR; }

}  // namespace pcscspy::test
