#include "monitor/views/dashboard/activity_light.hpp"

#include <algorithm>

#include "protocol/pcsc_functions.hpp"

namespace pcscspy::dashboard {

std::string_view light_character(LightKind kind) {
    const Named* n = find_value(kLightKinds, static_cast<uint64_t>(kind));
    return n ? n->name : ".";
}

Light light_of(const Activity& activity, bool busy, int64_t now_us) {
    if (busy) return {LightKind::InFlight, LightLevel::Bright};
    const bool error_last = activity.last_error_us > activity.last_success_us;
    const bool card_last = activity.last_card_us > std::max(activity.last_error_us, activity.last_success_us);
    const int64_t last = std::max({activity.last_error_us, activity.last_success_us, activity.last_card_us});
    if (last <= 0) return {};
    // Event times come from the traced processes' clocks: an end slightly in
    // the future counts as "just now".
    const int64_t age = std::max<int64_t>(0, now_us - last);
    if (age >= kLightFadeUs) return {};
    const LightKind kind = card_last ? LightKind::Card : error_last ? LightKind::Error : LightKind::Success;
    const LightLevel level = age < kLightFadeUs / 3       ? LightLevel::Bright
                             : age < 2 * kLightFadeUs / 3 ? LightLevel::Normal
                                                          : LightLevel::Dim;
    return {kind, level};
}

bool light_is_fading(const Light& light) {
    return light.kind == LightKind::Success || light.kind == LightKind::Error || light.kind == LightKind::Card;
}

bool is_calm_wait(std::string_view fn) { return has_effect(function_by_name(fn), Effect::WaitsForChange); }

}  // namespace pcscspy::dashboard
