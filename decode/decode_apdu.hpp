// `pcscspy-decode apdu`, `response` and `sw`: ISO 7816-4 command and response
// APDUs, named in the context of an applet when --applet gives one. Secrets are
// shown as pasted (the user already has them) but pointed out.
#pragma once

#include <optional>

#include "decode/decoded.hpp"
#include "protocol/aid.hpp"
#include "protocol/apdu_decoder.hpp"
#include "protocol/hex.hpp"

namespace pcscspy::decode {

// Pasted command APDUs decoded one after the other as a session does: once a
// SELECT by DF name reaches an application, the next commands are named in its
// terms. A command given with its response is fed with it (a SELECT answered
// 6A82 selects nothing); a SELECT by DF name given without one is taken to
// have succeeded.
class ApduSession {
public:
    explicit ApduSession(AppletKind applet);  // --applet: selected from the start
    Decoded command(ByteView apdu, std::optional<ByteView> response = std::nullopt);

private:
    ApduDecoder decoder_;
    uint64_t seq_ = 0;
};

Decoded decode_command_apdu(ByteView apdu, AppletKind applet);
Decoded decode_response_apdu(ByteView response, AppletKind applet);
// `sw` must be 2 bytes.
Decoded decode_status_word(ByteView sw, AppletKind applet);

}  // namespace pcscspy::decode
