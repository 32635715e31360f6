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

enum class PcscFunction : uint8_t {
#define PCSCSPY_FUNCTION(name, target, params, names, args) name,
#include "protocol/pcsc_api.def"
#undef PCSCSPY_FUNCTION
};

struct FunctionInfo {
    PcscFunction id;
    std::string_view name;
    FunctionTarget target;
    uint8_t arg_count;
};

namespace detail {
#define PCSCSPY_ARG(kind, name, related) +1
#define PCSCSPY_FUNCTION(name, target, params, names, args) \
    FunctionInfo{PcscFunction::name, #name, FunctionTarget::target, 0 args},
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

constexpr std::optional<PcscFunction> function_by_name(std::string_view name) {
    for (const FunctionInfo& f : detail::kFunctionList)
        if (f.name == name) return f.id;
    return std::nullopt;
}

}  // namespace pcscspy
