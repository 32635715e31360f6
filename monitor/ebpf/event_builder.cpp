#include "monitor/ebpf/event_builder.hpp"

#include <cstring>

#include "monitor/ebpf/small_events.hpp"
#include "protocol/capture_limits.hpp"

namespace pcscspy::ebpf {

namespace {

// The interposer keeps at most this much of a reader name per card handle
// (interposer/limits.hpp, kReaderNameBytes): the same here, for the same events.
constexpr size_t kReaderNameBytes = 128;

int arg_of_kind(PcscFunction fn, ArgKind kind) {
    std::span<const ArgSpec> args = function_args(fn);
    for (size_t i = 0; i < args.size(); ++i)
        if (args[i].kind == kind) return static_cast<int>(i);
    return -1;
}

const char* as_string(uint64_t address) { return reinterpret_cast<const char*>(static_cast<uintptr_t>(address)); }

pcscspy_probe_header header_of(const std::vector<uint8_t>& record) {
    pcscspy_probe_header h{};
    std::memcpy(&h, record.data(), sizeof h);
    return h;
}

}  // namespace

EventBuilder::EventBuilder(EventBuilderOptions options, LineSink sink)
    : options_(std::move(options)), sink_(std::move(sink)), line_(new char[kEventBufferBytes]) {}

EventBuilder::~EventBuilder() = default;

void EventBuilder::set_library(uint32_t index, std::string path) {
    if (libraries_.size() <= index) libraries_.resize(index + 1);
    libraries_[index] = std::move(path);
}

int64_t EventBuilder::wall_us(uint64_t mono_ns) const {
    return (static_cast<int64_t>(mono_ns) + wall_offset_ns_) / 1000;
}

bool EventBuilder::wanted(uint32_t pid) const { return options_.pids.empty() || options_.pids.count(pid); }

void EventBuilder::emit(Process& p, std::string_view line) {
    if (p.held) p.held_lines.emplace_back(line);
    else sink_(line);
}

bool EventBuilder::on_record(const void* data, size_t size) {
    if (!parse_probe_record(data, size, record_)) {
        ++dropped_;
        return false;
    }
    const pcscspy_probe_header& h = record_.header;
    if (!wanted(h.pid)) return true;
    if (interposed_.count(h.pid)) {
        if (h.type == PROBE_PROCESS_EXIT || h.type == PROBE_PROCESS_EXEC) interposed_.erase(h.pid);
        return true;
    }
    switch (h.type) {
        case PROBE_PROCESS_FIRST: {
            ProcessIdentity id = identity_from_record(record_);
            process_for(h.pid, h.tid, h.time_ns, h.library, &id);
            break;
        }
        case PROBE_CALL_ENTRY: on_entry(record_, data, size); break;
        case PROBE_CALL_RETURN: on_return(record_); break;
        case PROBE_PROCESS_EXIT: end_process(h.pid, h.seq, h.lost, h.time_ns, false); break;
        case PROBE_PROCESS_EXEC: end_process(h.pid, h.seq, h.lost, h.time_ns, true); break;
        default: ++dropped_; return false;
    }
    return true;
}

EventBuilder::Process* EventBuilder::process_for(uint32_t pid, uint32_t tid, uint64_t time_ns, uint32_t library,
                                                 const ProcessIdentity* from_kernel) {
    auto [it, fresh] = processes_.try_emplace(pid);
    Process& p = it->second;
    if (fresh) p.library = library;
    if (!p.hello_sent) say_hello(p, pid, tid, time_ns, from_kernel);
    return &p;
}

void EventBuilder::say_hello(Process& p, uint32_t pid, uint32_t tid, uint64_t time_ns,
                             const ProcessIdentity* from_kernel) {
    std::optional<ProcessIdentity> id = options_.identify ? options_.identify(pid) : std::nullopt;
    if (!id) id = from_kernel ? *from_kernel : ProcessIdentity{};
    if (id->interposer_loaded) {
        p.held = true;
        p.held_since_ns = time_ns;
    }
    const std::string& backend = p.library < libraries_.size() ? libraries_[p.library] : std::string();
    emit(p, hello_line(EventHeader{kSchemaVersion, pid, tid, wall_us(time_ns)}, *id, backend, options_.spy_version));
    p.hello_sent = true;
}

void EventBuilder::on_entry(const ProbeRecord& r, const void* data, size_t size) {
    const pcscspy_probe_header& h = r.header;
    Process* p = process_for(h.pid, h.tid, h.time_ns, h.library, nullptr);
    Pending& c = p->pending[h.seq];
    const auto* bytes = static_cast<const uint8_t*>(data);
    c.entry.assign(bytes, bytes + size);
    c.start_ns = h.time_ns;
    c.tid = h.tid;
    c.begin_sent = false;
}

void EventBuilder::on_return(const ProbeRecord& r) {
    auto pit = processes_.find(r.header.pid);
    if (pit == processes_.end()) {
        ++dropped_;
        return;
    }
    Process& p = pit->second;
    auto cit = p.pending.find(r.header.seq);
    if (cit == p.pending.end() || !parse_probe_record(cit->second.entry.data(), cit->second.entry.size(), entry_record_)) {
        ++dropped_;
        return;
    }
    send_call(p, entry_record_, r);
    p.pending.erase(cit);
}

void EventBuilder::send_call(Process& p, const ProbeRecord& entry, const ProbeRecord& ret) {
    const pcscspy_probe_header& h = entry.header;
    if (!image_.load_entry(entry)) {
        ++dropped_;
        return;
    }
    const PcscFunction fn = image_.fn();
    const FunctionTarget target = function_info(fn).target;
    const int64_t handle = target == FunctionTarget::None ? 0 : static_cast<int64_t>(h.args[0]);
    const int64_t rv = ret.header.rv;
    const int64_t dur_ns = static_cast<int64_t>(ret.header.time_ns - h.time_ns);
    const EventHeader eh{kSchemaVersion, h.pid, h.tid, wall_us(h.time_ns)};

    // As the interposer does (interposer/tracer.cpp, start_trace and trace_after).
    CallEncoder e(line_.get(), kEventBufferBytes);
    e.header(eh, h.seq, fn);
    if (target == FunctionTarget::Context) e.context(handle);
    const auto card = target == FunctionTarget::Card ? p.cards.find(handle) : p.cards.end();
    if (card != p.cards.end()) {
        e.reader(card->second.reader.data(), card->second.reader.size());
    } else if (int name = arg_of_kind(fn, ArgKind::String); has_effect(fn, Effect::CreatesCard) && name >= 0 &&
                                                            h.args[name] != 0) {
        const char* reader = as_string(image_.values()[name]);
        e.reader(reader, strnlen(reader, kReaderNameBytes));
    }
    e.in(fn, image_.values(), image_.captures(), RedactPolicy{});
    image_.load_return(ret);
    e.out(fn, image_.values(), image_.captures(), rv);
    for (std::string_view name : image_.unreadable_in()) e.unreadable(name, false);
    for (std::string_view name : image_.unreadable_out()) e.unreadable(name, true);
    size_t n = e.finish(dur_ns, rv);
    if (n > 0) emit(p, std::string_view(line_.get(), n - 1));
    else emit(p, call_fallback_line(eh, h.seq, fn, dur_ns, rv));
    follow_handles(p, image_, rv);
}

// What a successful call does to the card handle -> reader table: its effects
// (protocol/pcsc_api.def), as the interposer's table follows them.
void EventBuilder::follow_handles(Process& p, const CallImage& image, int64_t rv) {
    const PcscFunction fn = image.fn();
    const Effects effects = function_info(fn).effects;
    if (rv != 0 || effects.none()) return;
    const uint64_t* v = image.values();
    auto value_of = [&](ArgKind kind) {
        int i = arg_of_kind(fn, kind);
        return i >= 0 ? v[i] : 0;
    };
    if (effects.has(Effect::CreatesCard))
        if (uint64_t out = value_of(ArgKind::CardOut)) {
            const char* reader = as_string(value_of(ArgKind::String));
            p.cards[*reinterpret_cast<const int64_t*>(static_cast<uintptr_t>(out))] =
                CardHandle{static_cast<int64_t>(value_of(ArgKind::Context)),
                           reader ? std::string(reader, strnlen(reader, kReaderNameBytes)) : std::string()};
        }
    if (effects.has(Effect::EndsCard)) p.cards.erase(static_cast<int64_t>(value_of(ArgKind::Card)));
    if (effects.has(Effect::EndsContext)) {
        const auto context = static_cast<int64_t>(value_of(ArgKind::Context));
        std::erase_if(p.cards, [&](const auto& entry) { return entry.second.context == context; });
    }
}

void EventBuilder::send_begin(Process& p, uint32_t pid, uint64_t seq, Pending& c) {
    pcscspy_probe_header h = header_of(c.entry);
    if (h.fn >= kFunctionCount) return;
    const auto fn = static_cast<PcscFunction>(h.fn);
    emit(p, begin_line(EventHeader{kSchemaVersion, pid, c.tid, wall_us(c.start_ns)}, seq, fn,
                       static_cast<int64_t>(h.args[0])));
    c.begin_sent = true;
}

void EventBuilder::tick(uint64_t now_ns) {
    for (auto& [pid, p] : processes_) {
        for (auto& [seq, c] : p.pending)
            if (!c.begin_sent && now_ns - c.start_ns >= options_.begin_after_ns) send_begin(p, pid, seq, c);
        if (p.held && now_ns - p.held_since_ns >= options_.hold_ns) {
            // Its interposer did not speak to us: this source speaks for it.
            p.held = false;
            for (const std::string& line : p.held_lines) sink_(line);
            p.held_lines.clear();
        }
    }
}

void EventBuilder::lost_total(uint32_t pid, uint64_t lost, uint64_t now_ns) {
    if (!wanted(pid) || interposed_.count(pid)) return;
    auto it = processes_.find(pid);
    if (lost == 0 || (it != processes_.end() && lost <= it->second.lost_said)) return;
    Process* p = process_for(pid, pid, now_ns, 0, nullptr);
    emit(*p, lost_line(EventHeader{kSchemaVersion, pid, pid, wall_us(now_ns)}, lost - p->lost_said));
    p->lost_said = lost;
}

void EventBuilder::process_gone(uint32_t pid, uint64_t calls, uint64_t lost, uint64_t now_ns) {
    if (!wanted(pid)) return;
    if (interposed_.erase(pid)) return;
    end_process(pid, calls, lost, now_ns, false);
}

void EventBuilder::end_process(uint32_t pid, uint64_t calls, uint64_t lost, uint64_t time_ns, bool exec) {
    auto it = processes_.find(pid);
    if (it == processes_.end()) {
        if (lost == 0) return;  // nothing of it was seen, nothing was lost
        process_for(pid, pid, time_ns, 0, nullptr);
        it = processes_.find(pid);
    }
    Process& p = it->second;
    // Calls it was still in (killed in a blocking call, exec from another thread).
    for (auto& [seq, c] : p.pending)
        if (!c.begin_sent) send_begin(p, pid, seq, c);
    const EventHeader h{kSchemaVersion, pid, pid, wall_us(time_ns)};
    if (p.held) {
        p.held = false;
        for (const std::string& line : p.held_lines) sink_(line);
        p.held_lines.clear();
    }
    if (exec) {
        // As with the interposer, the new image's hello ends the old one.
        if (lost > p.lost_said) sink_(lost_line(h, lost - p.lost_said));
    } else {
        sink_(bye_line(h, calls, lost));
    }
    processes_.erase(it);
}

void EventBuilder::interposed(uint32_t pid) {
    processes_.erase(pid);
    interposed_.insert(pid);
}

std::vector<uint32_t> EventBuilder::processes() const {
    std::vector<uint32_t> out;
    for (const auto& [pid, p] : processes_) out.push_back(pid);
    return out;
}

size_t EventBuilder::calls_running() const {
    size_t n = 0;
    for (const auto& [pid, p] : processes_) n += p.pending.size();
    return n;
}

}  // namespace pcscspy::ebpf
