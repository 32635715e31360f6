// The pcapng blocks a capture of APDU exchanges needs (section header, one
// interface per reader, enhanced packets with a comment and a direction), as
// bytes. Written here rather than through a library: libpcap writes only the
// older pcap format, which has no interface names and no per-packet comments,
// and Wireshark's own libwiretap would bring its libraries into the monitor for
// three block types. Layout from the pcapng specification
// (draft-ietf-opsawg-pcapng), little-endian.
//
// The packets carry Wireshark's "exported PDU" link type (LINKTYPE_WIRESHARK_UPPER_PDU,
// 252): a few tags, then the PDU. The tags name the dissector that decodes the
// PDU ("iso7816") and the direction (command: sent to the card, response:
// received from it), so Wireshark and tshark decode every exchange as ISO 7816
// without any preference or "Decode As".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/hex.hpp"

namespace pcscspy::pcapng {

constexpr uint16_t kLinkTypeExportedPdu = 252;  // LINKTYPE_WIRESHARK_UPPER_PDU

enum class Direction : uint8_t { Unknown, Outbound, Inbound };

// Section header block; `application` goes in shb_userappl.
std::string section_header(std::string_view application);
// Interface description block: link type, if_name, if_description, microsecond timestamps.
std::string interface_description(uint16_t link_type, std::string_view name, std::string_view description);
// Enhanced packet block on interface `interface_id`, stamped `ts_us` (microseconds
// since the epoch), with an opt_comment when `comment` is not empty and epb_flags
// giving the direction when known.
std::string enhanced_packet(uint32_t interface_id, int64_t ts_us, ByteView data, std::string_view comment,
                            Direction direction);

// The exported-PDU header and `pdu`: the dissector's name (EXP_PDU_TAG_DISSECTOR_NAME)
// and the direction (EXP_PDU_TAG_P2P_DIRECTION: Wireshark's P2P_DIR_SENT for
// Outbound, P2P_DIR_RECV for Inbound).
Bytes exported_pdu(std::string_view dissector, Direction direction, ByteView pdu);

}  // namespace pcscspy::pcapng
