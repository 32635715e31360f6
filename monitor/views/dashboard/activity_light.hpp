// Activity lights: one cell per process and per reader telling at a glance what
// just happened there. A call in flight is yellow; a call that just returned is
// green (success) or red (error), a card inserted or removed (readers) blue; each
// fades (bright, normal, dim) over kLightFadeUs so that bursts stay visible; then
// the light is idle.
#pragma once

#include <cstdint>
#include <string_view>

#include "monitor/model/entities.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy::dashboard {

enum class LightKind : uint8_t { Idle, InFlight, Success, Error, Card };
enum class LightLevel : uint8_t { Bright, Normal, Dim };

// Without colour each kind is a distinct character (also the text of a light in
// the view-model, so frames read as text in tests).
inline constexpr Named kLightKinds[] = {
    {static_cast<uint64_t>(LightKind::Idle), ".", "idle"},
    {static_cast<uint64_t>(LightKind::InFlight), "*", "call in flight"},
    {static_cast<uint64_t>(LightKind::Success), "+", "recent success"},
    {static_cast<uint64_t>(LightKind::Error), "!", "recent error"},
    {static_cast<uint64_t>(LightKind::Card), "o", "card inserted or removed"},
};
std::string_view light_character(LightKind kind);

struct Light {
    LightKind kind = LightKind::Idle;
    LightLevel level = LightLevel::Normal;
    bool operator==(const Light&) const = default;
};

// How long a result stays lit, in three equal steps: bright, normal, dim.
inline constexpr int64_t kLightFadeUs = 1'500'000;

// The light for `activity` at `now_us`. `busy`: a call is in flight that the
// program is actually waiting on (not a status-change wait, see
// is_calm_wait()). The most recent of success, error and card change wins.
Light light_of(const Activity& activity, bool busy, int64_t now_us);

// Whether the light may change with time alone (the screen then keeps redrawing).
bool light_is_fading(const Light& light);

// SCardGetStatusChange waits for a card event for as long as the program asks:
// being blocked there is normal, shown calmly, and never lights "in flight".
bool is_calm_wait(std::string_view fn);

}  // namespace pcscspy::dashboard
