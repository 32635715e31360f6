// The fields of command (and some response) data whose layout is fixed by the
// command set rather than BER-TLV: EMV's data object lists (PDOL, CDOL1/2,
// DDOL) that GET PROCESSING OPTIONS, GENERATE AC and INTERNAL AUTHENTICATE
// fill in, EMV and GlobalPlatform authentication data, GlobalPlatform PUT KEY,
// STORE DATA (DGI) and INSTALL, and the format 1 responses of GET PROCESSING
// OPTIONS and GENERATE AC. One line per field, printable text only; never the
// bytes of a secret (PUT KEY shows key types, lengths and check values).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/aid.hpp"
#include "protocol/apdu.hpp"
#include "protocol/hex.hpp"
#include "protocol/ins_names.hpp"

namespace pcscspy {

// One entry of a data object list (EMV Book 3 §5.4): a tag and the length its
// value takes in the command data, without the tag.
struct DolEntry {
    uint32_t tag;
    size_t length;
};
// The entries, or nullopt-like empty vector with ok=false when the list is
// malformed (a tag or length runs past the end).
struct DolParse {
    std::vector<DolEntry> entries;
    bool ok = true;
};
DolParse parse_dol(ByteView dol);

// `values` read as the list says: "9F66 Terminal transaction qualifiers (TTQ)
// (4): 36000000", then "N bytes more than the list" / "missing ..." lines when
// they disagree.
std::vector<std::string> dol_value_lines(ByteView dol, ByteView values, AppletKind context);

// The data object lists an EMV application has shown so far (from its FCI and
// records), which give its later commands' data a meaning.
struct EmvLists {
    Bytes pdol, cdol1, cdol2, ddol;
    unsigned generate_ac_count = 0;  // GENERATE AC commands seen since the SELECT
};

// Field lines of the command's data (empty when the command's data has no
// fixed layout here). `name` says which command set named the INS.
std::vector<std::string> command_data_fields(const CommandApdu& apdu, ByteView data, const InsName& name,
                                             AppletKind applet, const EmvLists& lists);

// Field lines of a response's data for the commands whose response is not
// BER-TLV or is a template of fixed fields (GPO format 1, GENERATE AC format 1,
// INITIALIZE UPDATE). Empty otherwise.
std::vector<std::string> response_data_fields(uint8_t ins, const InsName& name, AppletKind applet, ByteView data);

// The AFL (EMV Book 3 §10.2): "SFI 1, records 1-2 (1 for offline data
// authentication)" per 4-byte entry.
std::vector<std::string> afl_lines(ByteView afl);

}  // namespace pcscspy
