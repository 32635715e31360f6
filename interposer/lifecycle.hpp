// Process-wide setup of the interposer: done once, at the first PC/SC call (never
// at load time), plus fork and exit handling.
#pragma once

#include "protocol/call_encoder.hpp"

namespace pcscspy::interposer {

// Reads the environment, loads the backend, registers the fork handlers.
void ensure_initialized();
// PCSCSPY_REDACT=1: how APDU commands are masked before they leave the process.
const RedactPolicy& redact_policy();

}  // namespace pcscspy::interposer
