// libFuzzer target: the APDU side of protocol/ (command parsing, the applet
// context decoder, status words, BER-TLV, redaction) never crashes, never reads
// out of bounds, and keeps its invariants on any input.
//
// Input: a sequence of exchanges, each "LL LL command LL LL response" with
// big-endian 16-bit lengths clamped to what is left, so that one input drives a
// whole session (SELECT, GET RESPONSE chains, channels) through one decoder.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/apdu.hpp"
#include "protocol/apdu_decoder.hpp"
#include "protocol/ber_tlv.hpp"
#include "protocol/secrets.hpp"
#include "protocol/status_word.hpp"
#include "protocol/tlv_tags.hpp"

using namespace pcscspy;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

// Text for terminals: no control characters (UTF-8 above 0x7F is allowed: the
// summary's arrow).
void check_printable(const std::string& s) {
    for (unsigned char c : s) check(c >= 0x20 && c != 0x7F);
}

ByteView take(ByteView& in) {
    if (in.size() < 2) {
        ByteView all = in;
        in = {};
        return all;
    }
    size_t n = static_cast<size_t>(in[0] << 8 | in[1]);
    in = in.subspan(2);
    if (n > in.size()) n = in.size();
    ByteView out = in.first(n);
    in = in.subspan(n);
    return out;
}

void check_command(ByteView cmd) {
    const CommandParse p = parse_command_apdu(cmd);
    check(p.ok() != p.error.has_value());
    if (p.ok()) {
        const CommandApdu& a = *p.apdu;
        check(4 + a.lc_length + a.nc + a.le_length == cmd.size());
        check(a.data_offset + a.nc <= cmd.size());
        check(!a.ne || (*a.ne >= 1 && *a.ne <= 65536));
        check(a.le_length == 0 || a.le_offset + a.le_length == cmd.size());
    } else {
        const std::string m = p.message();
        check(!m.empty());
        check_printable(m);
    }
    check_printable(describe_cla(cmd.empty() ? 0 : cmd[0]));

    // Redaction keeps the length and touches only the secret range.
    for (AppletKind applet : {AppletKind::Unknown, AppletKind::Piv, AppletKind::OpenPgp, AppletKind::YubicoOath}) {
        const SecretRange r = secret_range(cmd, applet);
        check(r.offset + r.length <= cmd.size());
        check(r.empty() || carries_secret(cmd, applet));
        const Bytes red = redact_command(cmd, applet);
        check(red.size() == cmd.size());
        for (size_t i = 0; i < cmd.size(); ++i) {
            const bool masked = i >= r.offset && i < r.offset + r.length;
            check(red[i] == (masked ? kMaskByte : cmd[i]));
        }
    }
}

void check_tlv(ByteView data) {
    for (AppletKind applet : {AppletKind::Unknown, AppletKind::Piv}) {
        const TlvParse p = parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(applet));
        if (!p.ok()) {
            check(p.error.has_value());
            if (p.error) check_printable(p.error->message);
            continue;
        }
        for (size_t i = 0; i < p.nodes.size(); ++i) {
            const TlvNode& n = p.nodes[i];
            check(n.value_offset + n.length <= data.size());
            check(n.depth <= kMaxTlvDepth);
            if (n.parent >= 0) {
                const TlvNode& parent = p.nodes[static_cast<size_t>(n.parent)];
                check(static_cast<size_t>(n.parent) < i);
                check(n.depth == parent.depth + 1);
                check(n.offset >= parent.value_offset);
                check(n.value_offset + n.length <= parent.value_offset + parent.length);
            }
        }
        for (const TlvLine& line : tlv_lines(data, p, applet, 16)) check_printable(line.to_string());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    ByteView in(bytes, size);
    ApduDecoder decoder;
    uint64_t seq = 0;
    while (!in.empty()) {
        const ByteView cmd = take(in);
        const ByteView rsp = take(in);
        ++seq;
        check_command(cmd);
        check_tlv(cmd);
        check_tlv(rsp);
        if (rsp.size() >= 2) {
            const SwMeaning m = describe_sw(rsp[rsp.size() - 2], rsp[rsp.size() - 1], decoder.applet(0));
            check(!m.text.empty());
            check_printable(m.text);
        }

        const DecodedExchange d = decoder.feed(cmd, rsp, seq);
        check(d.channel < kLogicalChannels);
        check(d.command.size() == cmd.size() && d.response.size() == rsp.size());
        check(d.secret.offset + d.secret.length <= cmd.size());
        check(d.parse.ok() == parse_command_apdu(cmd).ok());
        check(!d.continues || d.continues->seq < seq);
        check(d.sw.has_value() == (rsp.size() >= 2));
        check_printable(d.summary());
        check_printable(d.params.text());
        check_printable(d.applet_name);
        for (const TlvLine& l : d.command_tlv) check_printable(l.to_string());
        for (const TlvLine& l : d.response_tlv) check_printable(l.to_string());
        if (d.is_secret()) check(d.command_tlv.empty());
        if ((seq & 7) == 0) decoder.reset();
    }
    return 0;
}
