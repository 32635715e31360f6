#include "interposer/tracer.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>

#include <winscard.h>

#include "interposer/clock.hpp"
#include "interposer/event_lines.hpp"
#include "interposer/handle_table.hpp"
#include "interposer/lifecycle.hpp"
#include "interposer/limits.hpp"
#include "interposer/thread_state.hpp"
#include "interposer/transport.hpp"

namespace pcscspy::interposer {

namespace {

std::atomic<uint64_t> g_seq{0};

// The value of the function's first argument of this kind (0 if none).
uint64_t arg_of_kind(PcscFunction fn, const uint64_t* values, ArgKind kind) {
    std::span<const ArgSpec> args = function_args(fn);
    for (size_t i = 0; i < args.size(); ++i)
        if (args[i].kind == kind) return values[i];
    return 0;
}

// What a successful call does to the handle -> reader table: its effects
// (protocol/pcsc_api.def).
void apply_handle_effects(PcscFunction fn, const uint64_t* values, long rv) {
    const Effects effects = function_info(fn).effects;
    if (rv != SCARD_S_SUCCESS || effects.none()) return;
    if (effects.has(Effect::CreatesCard))
        if (const auto* card = reinterpret_cast<const SCARDHANDLE*>(arg_of_kind(fn, values, ArgKind::CardOut)))
            handles_add(static_cast<int64_t>(arg_of_kind(fn, values, ArgKind::Context)), *card,
                        reinterpret_cast<const char*>(arg_of_kind(fn, values, ArgKind::String)));
    if (effects.has(Effect::EndsCard)) handles_remove(static_cast<int64_t>(arg_of_kind(fn, values, ArgKind::Card)));
    if (effects.has(Effect::EndsContext))
        handles_remove_context(static_cast<int64_t>(arg_of_kind(fn, values, ArgKind::Context)));
}

void start_trace(PcscFunction fn, const uint64_t* values, TraceState& st) {
    st.buffer = thread_buffer();
    if (!st.buffer) return;
    const FunctionTarget target = function_info(fn).target;
    const int64_t handle = target == FunctionTarget::None ? 0 : static_cast<int64_t>(values[0]);
    const EventHeader h = header_now();
    st.ts_us = h.ts_us;

    char begin[kSmallEventBytes];
    if (size_t n = encode_begin(begin, sizeof begin, h, st.seq, fn, BeginHandle{target, handle}))
        transport_emit(begin, n, LineKind::Begin, st.seq);

    for (ArgCapture& c : st.captures) c = ArgCapture{};
    CallEncoder& e = st.encoder.emplace(st.buffer, kEventBufferBytes);
    e.header(h, st.seq, fn);
    if (target == FunctionTarget::Context) e.context(handle);
    char name[kReaderNameBytes];
    int len = target == FunctionTarget::Card ? handles_reader(handle, name) : -1;
    if (len >= 0) {
        e.reader(name, static_cast<size_t>(len));
    } else if (const char* reader = has_effect(fn, Effect::CreatesCard)
                                        ? reinterpret_cast<const char*>(arg_of_kind(fn, values, ArgKind::String))
                                        : nullptr) {
        e.reader(reader, strnlen(reader, kReaderNameBytes));
    }
    RedactPolicy redact = redact_policy();
    redact.scratch = redact.redact ? thread_scratch() : nullptr;
    if (!redact.scratch) redact.redact = nullptr;
    e.in(fn, values, st.captures, redact);
    st.traced = true;
    st.start_ns = monotonic_ns();
}

}  // namespace

void trace_before(PcscFunction fn, const uint64_t* values, TraceState& st) {
    const int saved_errno = errno;
    ensure_initialized();
    ThreadState& ts = thread_state();
    if (ts.depth++ > 0) {
        // Called back from inside a traced call (e.g. by the backend): forward only.
        st.nested = true;
        return;
    }
    st.seq = g_seq.fetch_add(1, std::memory_order_relaxed) + 1;
    if (transport_active()) start_trace(fn, values, st);
    errno = saved_errno;
}

void trace_after(PcscFunction fn, const uint64_t* values, TraceState& st, long rv) {
    const int saved_errno = errno;
    const int64_t end_ns = st.traced ? monotonic_ns() : 0;
    apply_handle_effects(fn, values, rv);
    if (st.traced) {
        CallEncoder& e = *st.encoder;
        e.out(fn, values, st.captures, rv);
        size_t n = e.finish(end_ns - st.start_ns, rv);
        if (n) {
            transport_emit(st.buffer, n, LineKind::Call, st.seq);
        } else {
            // Replaced by its truncated form rather than dropped.
            char line[kSmallEventBytes];
            const EventHeader h{.pid = process_id(), .tid = thread_id(), .ts_us = st.ts_us};
            if (size_t m = encode_call_fallback(line, sizeof line, h, st.seq, fn, end_ns - st.start_ns, rv))
                transport_emit(line, m, LineKind::Call, st.seq);
        }
    }
    --thread_state().depth;
    errno = saved_errno;
}

uint64_t calls_seen() { return g_seq.load(std::memory_order_relaxed); }

void tracer_after_fork_child() { g_seq.store(0, std::memory_order_relaxed); }

}  // namespace pcscspy::interposer
