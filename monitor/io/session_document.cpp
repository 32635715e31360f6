#include "monitor/io/session_document.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include "monitor/model/secret_filter.hpp"
#include "protocol/event.hpp"

namespace pcscspy {

using nlohmann::json;

namespace {

json call_stats_json(const CallStats& s) {
    return json{{"calls", s.calls}, {"errors", s.errors}, {"total_ns", s.total_ns}, {"min_ns", s.min_ns},
                {"max_ns", s.max_ns}};
}

bool read_call_stats(const json& j, CallStats& s) {
    if (!j.is_object()) return false;
    try {
        s.calls = j.at("calls").get<uint64_t>();
        s.errors = j.at("errors").get<uint64_t>();
        s.total_ns = j.at("total_ns").get<int64_t>();
        s.min_ns = j.at("min_ns").get<int64_t>();
        s.max_ns = j.at("max_ns").get<int64_t>();
    } catch (const json::exception&) {
        return false;
    }
    return true;
}

// The folded aggregate (SessionModel::folded()), member by member.
#define PCSCSPY_FOLDED_COUNTS(X) \
    X(processes) X(exited) X(disconnected) X(apdus) X(lost_events) X(threads) X(contexts) X(cards) X(allocations) \
    X(begins) X(reader_names) X(lines)

json folded_json(const FoldedTotals& f) {
    json j;
#define PCSCSPY_PUT(name) j[#name] = f.name;
    PCSCSPY_FOLDED_COUNTS(PCSCSPY_PUT)
#undef PCSCSPY_PUT
    j["stats"] = call_stats_json(f.stats);
    return j;
}

FoldedTotals read_folded(const json& j) {
    FoldedTotals f;
#define PCSCSPY_GET(name) f.name = j.value(#name, uint64_t{0});
    PCSCSPY_FOLDED_COUNTS(PCSCSPY_GET)
#undef PCSCSPY_GET
    if (auto s = j.find("stats"); s != j.end()) read_call_stats(*s, f.stats);
    return f;
}

std::string state_name(ProcessState s) {
    return s == ProcessState::Running ? "running" : s == ProcessState::Exited ? "exited" : "disconnected";
}

// A kept call's line for the document: as received, or with its secrets masked.
std::string document_line(const SessionModel& model, const CallRecord& c, bool show_secrets) {
    const std::optional<PcscFunction> fn = SessionModel::function(c);
    if (show_secrets || (fn != PcscFunction::SCardTransmit && fn != PcscFunction::SCardControl)) return c.raw;
    DecodedEvent d = decode_event(c.raw);
    if (!d.ok()) return c.raw;
    auto* call = std::get_if<CallEvent>(&*d.event);
    if (!call) return c.raw;
    std::span<const Feature> features;
    if (c.reader >= 0) features = model.readers()[static_cast<size_t>(c.reader)].features;
    if (!mask_call_secrets(fn, call->in, features, static_cast<AppletKind>(c.applet_kind))) return c.raw;
    return encode_event(*d.event);
}

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

std::string temporary_path(const std::string& path) { return path + ".tmp." + std::to_string(getpid()); }

}  // namespace

std::optional<std::string> check_session_document_target(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return "cannot write the dump to " + path + ": it is a folder";
    const std::string tmp = temporary_path(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return "cannot write the dump to " + path + ": " + std::strerror(errno);
    ::close(fd);
    unlink(tmp.c_str());
    return std::nullopt;
}

json session_summary_json(const SessionModel& model) {
    json doc;
    const ModelCounters& c = model.counters();
    json bad = json::object();
    for (size_t k = 0; k < kEventErrorKinds; ++k)
        bad[std::string(to_string(static_cast<EventErrorKind>(k)))] = c.bad_by_kind[k];
    doc["counters"] = json{{"lines", c.lines},
                           {"events", c.events},
                           {"calls", c.calls},
                           {"begins", c.begins},
                           {"bad_lines", c.bad_lines},
                           {"bad_by_kind", bad},
                           {"lost", c.lost()},
                           {"lost_events", c.lost_events},
                           {"lost_missing", c.lost_missing},
                           {"seq_disorder", c.seq_disorder},
                           {"unknown_functions", c.unknown_functions},
                           {"evicted_calls", c.evicted_calls},
                           {"unmatched_begins", c.unmatched_begins},
                           {"orphan_byes", c.orphan_byes},
                           {"processes_exited", c.processes_exited},
                           {"processes_disconnected", c.processes_disconnected},
                           {"findings_dropped", model.findings_dropped()}};
    // Exited processes folded into totals past the memory budget, and entries past the caps.
    doc["folded"] = folded_json(model.folded());
    doc["memory_budget"] = model.memory_budget();
    doc["first_ts_us"] = model.first_ts_us();
    doc["latest_ts_us"] = model.latest_ts_us();
    json processes = json::array();
    for (const ProcessInfo& p : model.processes()) {
        json jp{{"index", p.index},
                {"pid", p.pid},
                {"state", state_name(p.state)},
                {"start_us", p.start_us},
                {"exit_us", p.exit_us},
                {"lost", p.lost()},
                {"lost_events", p.lost_events},
                {"missing_calls", p.missing_calls},
                {"apdus", p.apdus},
                {"stats", call_stats_json(p.stats)}};
        put_fields(jp, p);  // what its hello said (protocol/event_format.def)
        processes.push_back(std::move(jp));
    }
    doc["processes"] = std::move(processes);
    json readers = json::array();
    for (const ReaderInfo& r : model.readers()) {
        json sw = json::object();
        for (size_t k = 0; k < kSwClassCount; ++k)
            sw[std::string(sw_class_name(static_cast<SwClass>(k)))] = r.sw_classes[k];
        json jr{{"name", r.name},
                {"card_present", r.card_present ? json(*r.card_present) : json(nullptr)},
                {"atr", to_hex(r.atr)},
                {"card_name", r.card_name},
                {"last_sw", r.last_sw ? json(*r.last_sw) : json(nullptr)},
                {"apdus", r.apdus},
                {"bytes_sent", r.bytes_sent},
                {"bytes_received", r.bytes_received},
                {"sw_classes", sw},
                {"stats", call_stats_json(r.stats)}};
        readers.push_back(std::move(jr));
    }
    doc["readers"] = std::move(readers);
    json stats = json::object();
    for (const FunctionStats& f : model.function_stats().rows()) {
        if (!f.stats.calls) continue;
        json s = call_stats_json(f.stats);
        s["p95_ns"] = f.p95_ns();
        json hist = json::array();
        for (auto [bucket, count] : f.durations.buckets()) hist.push_back(json::array({bucket, count}));
        s["histogram"] = std::move(hist);
        stats[f.name] = std::move(s);
    }
    doc["stats"] = std::move(stats);
    json findings = json::array();
    for (const Finding& f : model.findings())
        findings.push_back(json{{"kind", finding_kind_name(f.kind)},
                                {"process", f.process},
                                {"pid", f.pid},
                                {"seq", f.seq},
                                {"ts_us", f.ts_us},
                                {"explanation", f.explanation}});
    doc["findings"] = std::move(findings);
    // Processes whose leftovers the checker already reported (not to be reported twice).
    doc["checked_processes"] = model.checked_processes();
    return doc;
}

std::optional<std::string> write_session_document(const SessionModel& model, const std::string& path,
                                                  bool show_secrets) {
    const json summary = session_summary_json(model);
    std::string text(kSessionDocumentStart);
    text += ",\"spy\":\"" PCSCSPY_VERSION "\"";
    text += ",\"history\":" + std::to_string(model.options().history);
    text += ",\"events_complete\":";
    text += model.counters().evicted_calls == 0 ? "true" : "false";
    text += ",\"secrets\":";
    text += show_secrets ? "\"shown\"" : "\"masked\"";
    text += "\n";
    for (auto it = summary.begin(); it != summary.end(); ++it)
        text += ",\"" + it.key() + "\":" + it->dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    text += ",\"events\":[\n";
    // hello/bye/lost lines and kept calls, merged in arrival order.
    const auto& kept = model.kept_events();
    size_t k = 0;
    bool first = true;
    auto emit = [&](std::string_view line) {
        if (!first) text += ",\n";
        first = false;
        text += line;
    };
    for (const CallRecord& c : model.calls()) {
        while (k < kept.size() && kept[k].position < c.position) emit(kept[k++].raw);
        emit(document_line(model, c, show_secrets));
    }
    while (k < kept.size()) emit(kept[k++].raw);
    text += "\n]}\n";

    const std::string tmp = temporary_path(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
    if (!write_all(fd, text) || fsync(fd) != 0) {
        std::string e = "writing " + tmp + ": " + std::strerror(errno);
        ::close(fd);
        unlink(tmp.c_str());
        return e;
    }
    ::close(fd);
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        std::string e = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
        unlink(tmp.c_str());
        return e;
    }
    return std::nullopt;
}

std::string restore_session_summary(const json& summary, SessionModel& model) {
    std::string skipped;
    auto skip = [&](const std::string& what) { skipped += (skipped.empty() ? "" : ", ") + what; };
    if (auto it = summary.find("stats"); it != summary.end() && it->is_object()) {
        FunctionStatsTable table;
        for (auto f = it->begin(); f != it->end(); ++f) {
            FunctionStats& row = table.row(f.key());
            if (!read_call_stats(*f, row.stats)) {
                skip("stats of " + f.key());
                continue;
            }
            if (auto h = f->find("histogram"); h != f->end() && h->is_array())
                for (const json& b : *h)
                    if (b.is_array() && b.size() == 2 && b[0].is_number_unsigned() && b[1].is_number_unsigned())
                        row.durations.add_bucket(b[0].get<uint32_t>(), b[1].get<uint64_t>());
        }
        model.restore_function_stats(std::move(table));
    } else {
        skip("stats");
    }
    // The document's processes, matched with the replayed ones: in order, by pid
    // (a document written after processes were folded lists fewer; the replayed
    // processes it does not list were folded, which its totals already count).
    std::map<size_t, size_t> index_of;  // the document's process index -> the replayed one
    if (auto it = summary.find("processes"); it != summary.end() && it->is_array()) {
        const auto& replayed = model.processes();
        std::vector<size_t> unlisted;
        size_t next = 0, position = 0;
        for (const json& p : *it) {
            const size_t listed_as = p.is_object() ? p.value("index", position) : position;
            ++position;
            if (!p.is_object()) continue;
            const int64_t pid = p.value("pid", int64_t{-1});
            size_t at = next;
            while (at < replayed.size() && replayed[at].pid != pid) ++at;
            if (at == replayed.size()) continue;  // not replayed (none of its events kept)
            for (size_t i = next; i < at; ++i) unlisted.push_back(replayed[i].index);
            ProcessInfo* mp = model.mutable_process(replayed[at].index);
            index_of[listed_as] = mp->index;
            next = at + 1;
            if (auto s = p.find("stats"); s != p.end()) read_call_stats(*s, mp->stats);
            mp->apdus = p.value("apdus", mp->apdus);
            mp->lost_events = p.value("lost_events", mp->lost_events);
            // The monitor's count as the live session made it (older documents
            // have none); the replayed events lack what it was made from
            // (begins, calls out of the history).
            mp->missing_calls = p.value("missing_calls", uint64_t{0});
        }
        // Past the last listed one: folded too only when the document folded anything.
        if (summary.contains("folded"))
            for (size_t i = next; i < replayed.size(); ++i) unlisted.push_back(replayed[i].index);
        if (auto f = summary.find("folded"); f != summary.end() && f->is_object() && f->value("processes", 0) > 0)
            model.drop_processes(unlisted);
    }
    const auto replayed_index = [&](size_t listed) {
        auto i = index_of.find(listed);
        return i == index_of.end() ? SIZE_MAX : i->second;  // folded: its findings keep their pid
    };
    if (auto f = summary.find("folded"); f != summary.end() && f->is_object()) model.restore_folded(read_folded(*f));
    if (auto it = summary.find("findings"); it != summary.end() && it->is_array()) {
        std::vector<Finding> findings;
        for (const json& f : *it) {
            if (!f.is_object()) continue;
            const Named* kind = find_name(kFindingKinds, f.value("kind", std::string()));
            if (!kind) continue;
            Finding x{static_cast<FindingKind>(kind->value), replayed_index(f.value("process", size_t{0})), f.value("pid", int64_t{0}),
                      f.value("seq", uint64_t{0}), f.value("ts_us", int64_t{0}), f.value("explanation", std::string())};
            findings.push_back(std::move(x));
        }
        std::set<size_t> checked;
        if (auto c = summary.find("checked_processes"); c != summary.end() && c->is_array())
            for (const json& i : *c)
                if (i.is_number_unsigned())
                    if (size_t r = replayed_index(i.get<size_t>()); r != SIZE_MAX) checked.insert(r);
        model.restore_findings(std::move(findings), std::move(checked));
    }
    if (auto it = summary.find("readers"); it != summary.end() && it->is_array()) {
        for (const json& r : *it) {
            if (!r.is_object() || !r.contains("name") || !r["name"].is_string()) continue;
            const ReaderInfo* known = model.reader_by_name(r["name"].get<std::string>());
            if (!known) continue;
            ReaderInfo* mr = model.mutable_reader(known->index);
            if (auto s = r.find("stats"); s != r.end()) read_call_stats(*s, mr->stats);
            mr->apdus = r.value("apdus", mr->apdus);
            mr->bytes_sent = r.value("bytes_sent", mr->bytes_sent);
            mr->bytes_received = r.value("bytes_received", mr->bytes_received);
            if (auto sw = r.find("sw_classes"); sw != r.end() && sw->is_object())
                for (size_t k = 0; k < kSwClassCount; ++k)
                    mr->sw_classes[k] = sw->value(std::string(sw_class_name(static_cast<SwClass>(k))), uint64_t{0});
        }
    }
    if (auto it = summary.find("counters"); it != summary.end() && it->is_object()) {
        // What the live session counted that its kept events cannot tell again.
        ModelCounters c = model.counters();
        c.calls = std::max(c.calls, it->value("calls", c.calls));  // past the history too (the status line)
        c.bad_lines = it->value("bad_lines", c.bad_lines);
        c.lost_events = it->value("lost_events", c.lost_events);
        c.lost_missing = it->value("lost_missing", uint64_t{0});
        c.seq_disorder = it->value("seq_disorder", uint64_t{0});
        c.unknown_functions = it->value("unknown_functions", c.unknown_functions);
        c.evicted_calls = it->value("evicted_calls", c.evicted_calls);
        c.unmatched_begins = it->value("unmatched_begins", c.unmatched_begins);
        c.orphan_byes = it->value("orphan_byes", c.orphan_byes);
        c.processes_exited = it->value("processes_exited", c.processes_exited);
        c.processes_disconnected = it->value("processes_disconnected", c.processes_disconnected);
        model.restore_findings_dropped(it->value("findings_dropped", uint64_t{0}));
        if (auto bad = it->find("bad_by_kind"); bad != it->end() && bad->is_object())
            for (size_t k = 0; k < kEventErrorKinds; ++k)
                c.bad_by_kind[k] = bad->value(std::string(to_string(static_cast<EventErrorKind>(k))), uint64_t{0});
        model.restore_counters(c);
    }
    model.touch();
    return skipped;
}

}  // namespace pcscspy
