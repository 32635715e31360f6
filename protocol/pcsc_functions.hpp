// The 18 traced PC/SC functions as data, derived from protocol/pcsc_api.def.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pcscspy {

// What handle a function operates on; decides whether events carry ctx or card.
enum class FunctionTarget : uint8_t { None, Context, Card };

// What a successful call does (pcsc_api.def's effects column, explained there).
enum class Effect : uint16_t {
    CreatesContext = 1 << 0,
    EndsContext = 1 << 1,
    CreatesCard = 1 << 2,
    EndsCard = 1 << 3,
    ResetsCard = 1 << 4,
    BeginsTransaction = 1 << 5,
    EndsTransaction = 1 << 6,
    FreesMemory = 1 << 7,
    WaitsForChange = 1 << 8,
};

class Effects {
public:
    template <class... E>
    constexpr explicit Effects(E... e) : bits_((0 | ... | static_cast<uint16_t>(e))) {}
    constexpr bool has(Effect e) const { return bits_ & static_cast<uint16_t>(e); }
    constexpr bool none() const { return bits_ == 0; }

private:
    uint16_t bits_;
};

enum class PcscFunction : uint8_t {
#define PCSCSPY_FUNCTION(name, target, effects, params, names, args) name,
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
};

struct FunctionInfo {
    PcscFunction id;
    std::string_view name;
    FunctionTarget target;
    Effects effects;
    uint8_t arg_count;
};

namespace detail {
#define PCSCSPY_ARG(kind, name, related) +1
#define PCSCSPY_FUNCTION(name, target, effects, params, names, args)                  \
    FunctionInfo{PcscFunction::name, #name, FunctionTarget::target,                    \
                 [] {                                                                  \
                     using enum Effect;                                                \
                     return Effects effects;                                           \
                 }(),                                                                  \
                 0 args},
inline constexpr FunctionInfo kFunctionList[] = {
#include "protocol/pcsc_api.def"
};
#undef PCSCSPY_FUNCTION
#undef PCSCSPY_ARG
}  // namespace detail

inline constexpr std::span<const FunctionInfo> kFunctions{detail::kFunctionList};
inline constexpr size_t kFunctionCount = std::size(detail::kFunctionList);

constexpr const FunctionInfo& function_info(PcscFunction f) { return detail::kFunctionList[static_cast<size_t>(f)]; }
constexpr std::string_view function_name(PcscFunction f) { return function_info(f).name; }
constexpr bool has_effect(PcscFunction f, Effect e) { return function_info(f).effects.has(e); }
constexpr bool has_effect(std::optional<PcscFunction> f, Effect e) { return f && has_effect(*f, e); }

constexpr std::optional<PcscFunction> function_by_name(std::string_view name) {
    for (const FunctionInfo& f : detail::kFunctionList)
        if (f.name == name) return f.id;
    return std::nullopt;
}

}  // namespace pcscspy
