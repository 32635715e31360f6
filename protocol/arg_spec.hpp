// The argument lists of the 18 PC/SC functions as compile-time data, derived from
// protocol/pcsc_api.def: for every function, its arguments' kinds and names, with
// the "related" length/count argument resolved to an index at compile time (a
// .def naming an argument that does not exist fails to compile).
//
// A producer of events captures the argument values into a uint64_t array in
// the same order (the interposer's wrappers take them from the call itself); the
// call encoder walks this description to write "in" and "out".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/pcsc_functions.hpp"

namespace pcscspy {

// One entry per argument kind of protocol/pcsc_api.def (see its header comment).
enum class ArgKind : uint8_t {
    Dword,
    Context,
    Card,
    Reserved,
    ContextOut,
    CardOut,
    DwordOut,
    String,
    MultiStringIn,
    MultiStringOut,
    StringOut,
    BufferIn,
    Length,
    BufferOut,
    LengthInOut,
    BufferOutCap,
    BytesReturned,
    IoRequest,
    IoRequestOut,
    ReaderStates,
    Memory,
};

struct ArgSpec {
    ArgKind kind;
    std::string_view name;
    int8_t related = -1;  // index of the length/count argument, -1 if none
    int8_t returned = -1; // BufferOutCap: index of the BytesReturned argument
};

struct RawArg {
    ArgKind kind;
    std::string_view name;
    std::string_view related;  // "-" when none
};

// Not constexpr: reaching it during constant evaluation is a compile error that
// names the problem.
void pcsc_api_def_names_a_related_argument_that_does_not_exist();
void pcsc_api_def_buffer_out_cap_without_bytes_returned();

template <size_t N>
consteval std::array<ArgSpec, N> resolve_args(const RawArg (&raw)[N]) {
    std::array<ArgSpec, N> out{};
    for (size_t i = 0; i < N; ++i) {
        out[i] = ArgSpec{raw[i].kind, raw[i].name};
        if (raw[i].related != "-") {
            bool found = false;
            for (size_t j = 0; j < N; ++j)
                if (raw[j].name == raw[i].related) {
                    out[i].related = static_cast<int8_t>(j);
                    found = true;
                }
            if (!found) pcsc_api_def_names_a_related_argument_that_does_not_exist();
        }
        if (raw[i].kind == ArgKind::BufferOutCap) {
            for (size_t j = 0; j < N; ++j)
                if (raw[j].kind == ArgKind::BytesReturned) out[i].returned = static_cast<int8_t>(j);
            if (out[i].returned < 0) pcsc_api_def_buffer_out_cap_without_bytes_returned();
        }
    }
    return out;
}

namespace spec {
#define PCSCSPY_ARG(kind, name, related) RawArg{ArgKind::kind, #name, #related},
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) inline constexpr auto fn = resolve_args({args});
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
#undef PCSCSPY_ARG
}  // namespace spec

// Most arguments any function has (sizes per-call scratch arrays).
inline constexpr size_t kMaxArgs = [] {
    size_t m = 0;
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) m = spec::fn.size() > m ? spec::fn.size() : m;
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
    return m;
}();

inline constexpr std::span<const ArgSpec> kFunctionArgs[] = {
#define PCSCSPY_FUNCTION(fn, target, effects, params, names, args) std::span<const ArgSpec>(spec::fn),
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
};

constexpr std::span<const ArgSpec> function_args(PcscFunction f) { return kFunctionArgs[static_cast<size_t>(f)]; }

}  // namespace pcscspy
