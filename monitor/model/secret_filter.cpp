#include "monitor/model/secret_filter.hpp"

#include "protocol/secrets.hpp"
#include "protocol/hex.hpp"
#include "protocol/part10.hpp"
#include "protocol/pcsc_format.hpp"

namespace pcscspy {

bool mask_call_secrets(std::optional<PcscFunction> fn, nlohmann::json& in, std::span<const Feature> features,
                       AppletKind applet) {
    if (!in.is_object()) return false;
    auto buf = in.find("pbSendBuffer");
    if (buf == in.end() || !buf->is_string()) return false;
    HexParse bytes = parse_hex(buf->get_ref<const std::string&>());
    if (!bytes.ok()) return false;
    if (fn == PcscFunction::SCardTransmit) {
        if (redact_in_place(bytes.bytes, applet).empty()) return false;
        *buf = to_hex(bytes.bytes);
        return true;
    }
    if (fn == PcscFunction::SCardControl) {
        auto code = in.find("dwControlCode");
        if (code == in.end() || !code->is_number_integer()) return false;
        const Feature* f = find_feature_by_code(features, code->get<uint64_t>());
        if (!f || !control_request_may_carry_pin(f->tag)) return false;
        ControlRedaction r = redact_control_request(f->tag, bytes.bytes);
        if (!r.masked()) return false;
        *buf = to_hex(r.bytes);
        return true;
    }
    return false;
}

}  // namespace pcscspy
