// `pcscspy-decode apdu`, `response` and `sw`: ISO 7816-4 command and response
// APDUs, named in the context of an applet when --applet gives one. Secrets are
// shown as pasted (the user already has them) but pointed out.
#pragma once

#include "decode/decoded.hpp"
#include "protocol/aid.hpp"
#include "protocol/hex.hpp"

namespace pcscspy::decode {

Decoded decode_command_apdu(ByteView apdu, AppletKind applet);
Decoded decode_response_apdu(ByteView response, AppletKind applet);
// `sw` must be 2 bytes.
Decoded decode_status_word(ByteView sw, AppletKind applet);

}  // namespace pcscspy::decode
