// What P1, P2 (and, where they complete them, the first data bytes) mean for the
// common commands: SELECT, READ/UPDATE BINARY, records, VERIFY and the other
// reference data commands, GET/PUT DATA, MSE, PSO, authentication, MANAGE
// CHANNEL, GET RESPONSE, and the GlobalPlatform, EMV, PIV, OpenPGP and FIDO
// commands. Field values are named from tables; each command has a describer
// chosen from a table by (command set, INS).
#pragma once

#include <string>
#include <vector>

#include "protocol/aid.hpp"
#include "protocol/apdu.hpp"
#include "protocol/ins_names.hpp"

namespace pcscspy {

struct ParamDescription {
    // Most important first, e.g. {"by DF name A0000003080000 (PIV)",
    // "first or only occurrence", "return FCI"}. Empty when there is nothing to
    // say (e.g. GET PROCESSING OPTIONS with P1 P2 = 00 00).
    std::vector<std::string> parts;
    std::string text() const;  // parts joined by ", "
};

// `name` is name_instruction()'s answer for this command (the command set that
// named the INS picks the describer), `bytes` the buffer `apdu` was parsed from
// (selected AIDs, paths and tag lists are read from its data field), `applet`
// the applet selected on the command's channel (key and PIN reference names).
// Printable text only; never throws.
ParamDescription describe_params(const CommandApdu& apdu, ByteView bytes, const InsName& name, AppletKind applet);

// The PIV key reference names (SP 800-73-4 table 4), for views and tests.
NameTable piv_key_references();

// The commands that have a describer, as (command set, INS): each is a command
// its set's INS table names (checked by the tests).
struct DescribedCommand {
    AppletKind context;
    uint8_t ins;
};
std::vector<DescribedCommand> described_commands();

}  // namespace pcscspy
