// Secrets (PINs) are masked in views and dumps unless --show-secrets: the data of
// a secret-bearing command APDU, and the PIN bytes of part 10 PIN requests, are
// replaced by 2A bytes of the same length in a call's "in" arguments.
// Which commands carry secrets is protocol/secrets.hpp's and part10.hpp's call.
#pragma once

#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "protocol/aid.hpp"
#include "protocol/pcsc_functions.hpp"
#include "protocol/pcsc_names.hpp"

namespace pcscspy {

// Masks in place; true when something was masked. `features`: the part 10
// features of the card's reader (to know which control codes carry PINs).
// `applet`: selected on the card handle (secrets differ per applet).
bool mask_call_secrets(std::optional<PcscFunction> fn, nlohmann::json& in, std::span<const Feature> features = {},
                       AppletKind applet = AppletKind::Unknown);

}  // namespace pcscspy
