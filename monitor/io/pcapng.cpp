#include "monitor/io/pcapng.hpp"

namespace pcscspy::pcapng {

namespace {

// Block types and option codes (pcapng specification).
constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescriptionBlock = 1;
constexpr uint32_t kEnhancedPacketBlock = 6;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptEndOfOptions = 0, kOptComment = 1;
constexpr uint16_t kShbUserApplication = 4;
constexpr uint16_t kIfName = 2, kIfDescription = 3, kIfTimestampResolution = 9;
constexpr uint16_t kEpbFlags = 2;
constexpr uint8_t kMicroseconds = 6;  // if_tsresol: 10^-6 s
// Exported-PDU tags (Wireshark's exported_pdu_tlvs.h) and P2P directions (P2P_DIR_*).
constexpr uint16_t kExpPduEndOfOptions = 0, kExpPduDissectorName = 12, kExpPduP2pDirection = 35;
constexpr int32_t kP2pDirSent = 0, kP2pDirReceived = 1, kP2pDirUnknown = -1;

void le16(std::string& out, uint16_t v) {
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>(v >> 8);
}
void le32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void pad32(std::string& out) {
    while (out.size() % 4) out += '\0';
}
void option(std::string& out, uint16_t code, std::string_view value) {
    le16(out, code);
    le16(out, static_cast<uint16_t>(value.size()));
    out += value;
    pad32(out);
}
void end_of_options(std::string& out) { option(out, kOptEndOfOptions, {}); }

// A block: type, total length, body (already 32-bit aligned), total length again.
std::string block(uint32_t type, const std::string& body) {
    std::string out;
    const uint32_t total = static_cast<uint32_t>(12 + body.size());
    le32(out, type);
    le32(out, total);
    out += body;
    le32(out, total);
    return out;
}

// Option values are at most 65535 bytes; longer text is cut.
std::string_view fit(std::string_view s) { return s.substr(0, 0xFFFC); }

}  // namespace

std::string section_header(std::string_view application) {
    std::string body;
    le32(body, kByteOrderMagic);
    le16(body, 1);  // version 1.0
    le16(body, 0);
    le32(body, 0xFFFFFFFF);  // section length: not given
    le32(body, 0xFFFFFFFF);
    option(body, kShbUserApplication, fit(application));
    end_of_options(body);
    return block(kSectionHeaderBlock, body);
}

std::string interface_description(uint16_t link_type, std::string_view name, std::string_view description) {
    std::string body;
    le16(body, link_type);
    le16(body, 0);  // reserved
    le32(body, 0);  // snap length: none
    option(body, kIfName, fit(name));
    if (!description.empty()) option(body, kIfDescription, fit(description));
    option(body, kIfTimestampResolution, std::string_view(reinterpret_cast<const char*>(&kMicroseconds), 1));
    end_of_options(body);
    return block(kInterfaceDescriptionBlock, body);
}

std::string enhanced_packet(uint32_t interface_id, int64_t ts_us, ByteView data, std::string_view comment,
                            Direction direction) {
    std::string body;
    const uint64_t ts = static_cast<uint64_t>(ts_us);
    le32(body, interface_id);
    le32(body, static_cast<uint32_t>(ts >> 32));
    le32(body, static_cast<uint32_t>(ts & 0xFFFFFFFF));
    le32(body, static_cast<uint32_t>(data.size()));  // captured
    le32(body, static_cast<uint32_t>(data.size()));  // on the wire
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    pad32(body);
    if (!comment.empty()) option(body, kOptComment, fit(comment));
    if (direction != Direction::Unknown) {
        std::string flags;
        le32(flags, direction == Direction::Inbound ? 1 : 2);  // bits 0-1: 01 inbound, 10 outbound
        option(body, kEpbFlags, flags);
    }
    end_of_options(body);
    return block(kEnhancedPacketBlock, body);
}

Bytes exported_pdu(std::string_view dissector, Direction direction, ByteView pdu) {
    Bytes out;
    auto be16 = [&](uint16_t v) {
        out.push_back(static_cast<uint8_t>(v >> 8));
        out.push_back(static_cast<uint8_t>(v & 0xFF));
    };
    // The name padded with NULs to 32 bits, the padding counted in the length, as
    // Wireshark's own "Export PDUs" writes it.
    const size_t padded = (dissector.size() + 4) & ~size_t{3};
    be16(kExpPduDissectorName);
    be16(static_cast<uint16_t>(padded));
    out.insert(out.end(), dissector.begin(), dissector.end());
    out.resize(out.size() + padded - dissector.size(), 0);
    const int32_t dir = direction == Direction::Outbound  ? kP2pDirSent
                        : direction == Direction::Inbound ? kP2pDirReceived
                                                          : kP2pDirUnknown;
    be16(kExpPduP2pDirection);
    be16(4);
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(static_cast<uint32_t>(dir) >> shift));
    be16(kExpPduEndOfOptions);
    be16(0);
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
}

}  // namespace pcscspy::pcapng
