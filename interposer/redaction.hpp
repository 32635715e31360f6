// PCSCSPY_REDACT=1: secret-bearing command APDUs (VERIFY, CHANGE REFERENCE DATA,
// RESET RETRY COUNTER, GlobalPlatform PUT KEY: protocol/secrets.hpp's rules that
// hold in any applet) leave the process with their data field masked (2A bytes).
// The interposer does not follow which applet is selected, so the
// applet-specific rules (OpenPGP key import, PIV/OATH keys) are the monitor's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcscspy::interposer {

// Writes the command to show into out (n bytes) and returns true when anything
// was masked. Allocation-free.
bool redact_apdu(const uint8_t* apdu, size_t n, uint8_t* out);

}  // namespace pcscspy::interposer
