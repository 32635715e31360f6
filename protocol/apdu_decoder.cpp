#include "protocol/apdu_decoder.hpp"

#include <algorithm>
#include <cstdio>

#include "protocol/tlv_tags.hpp"

namespace pcscspy {

namespace {

// A command of one command set (Unknown: the inter-industry table).
struct InsRow {
    AppletKind table;
    uint8_t ins;
};

// Commands with a BER-TLV data field besides the odd INS ones (ISO 7816-4
// §5.4.2 makes every odd inter-industry INS carry BER-TLV data).
constexpr InsRow kTlvCommandData[] = {
    {AppletKind::Unknown, 0x22},         // MSE: control reference data objects
    {AppletKind::Unknown, 0x46},         // GENERATE ASYMMETRIC KEY PAIR
    {AppletKind::Piv, 0x47},             // AC template
    {AppletKind::OpenPgp, 0x47},         // CRT
    {AppletKind::OpenPgp, 0x22},
    {AppletKind::GlobalPlatform, 0xE4},  // DELETE: 4F AID
    {AppletKind::GlobalPlatform, 0xF2},  // GET STATUS: 4F search criteria
    {AppletKind::Emv, 0xA8},             // GET PROCESSING OPTIONS: 83 PDOL data
};

// Commands whose response data is raw bytes (random, signatures, cryptograms,
// CBOR) that may happen to parse as BER-TLV: not shown as TLV.
constexpr InsRow kRawResponse[] = {
    {AppletKind::Unknown, 0x84},  // GET CHALLENGE
    {AppletKind::Unknown, 0x2A},  // PSO: signature, plaintext, cryptogram
    {AppletKind::Unknown, 0x88},  // INTERNAL AUTHENTICATE (ISO): cryptogram
    {AppletKind::OpenPgp, 0x2A},
    {AppletKind::OpenPgp, 0x84},
    {AppletKind::OpenPgp, 0x88},
    {AppletKind::Emv, 0x84},
    {AppletKind::GlobalPlatform, 0x50},  // INITIALIZE UPDATE: fixed layout
    {AppletKind::GlobalPlatform, 0x82},
    {AppletKind::Fido, 0x01},  // U2F raw messages
    {AppletKind::Fido, 0x02},
    {AppletKind::Fido, 0x03},
    {AppletKind::Fido, 0x10},  // CTAP status byte + CBOR
    {AppletKind::Fido, 0x11},
    {AppletKind::YubicoOtp, 0x01},
    {AppletKind::YubicoOtp, 0x03},
};

// Commands that fetch the rest of a response after 61XX.
constexpr InsRow kResponseFetchers[] = {
    {AppletKind::Unknown, 0xC0},         // GET RESPONSE, and where command sets list it:
    {AppletKind::GlobalPlatform, 0xC0},
    {AppletKind::Emv, 0xC0},
    {AppletKind::Piv, 0xC0},
    {AppletKind::OpenPgp, 0xC0},
    {AppletKind::Fido, 0xC0},
    {AppletKind::YubicoOath, 0xA5},      // YKOATH SEND REMAINING
};

bool listed(std::span<const InsRow> rows, AppletKind table, uint8_t ins) {
    return std::any_of(rows.begin(), rows.end(), [&](const InsRow& r) { return r.table == table && r.ins == ins; });
}

constexpr uint8_t kSelect = 0xA4, kManageChannel = 0x70;
constexpr uint8_t kByDfName = 0x04;

bool named_as(const InsName& name, uint8_t ins, uint8_t expected, std::string_view command) {
    return ins == expected && name.entry && name.entry->name == command;
}

// SELECT counts as done on success and on warnings (ISO: 62XX/63XX complete the
// command), and on 61XX whose data is still to be fetched.
bool selection_done(uint16_t sw) {
    const uint8_t sw1 = sw >> 8;
    return sw == 0x9000 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

// The DF name (84) of an FCI template (6F), when present.
ByteView fci_df_name(ByteView fci) {
    const TlvParse p = parse_ber_tlv(fci, 4);
    if (!p.ok()) return {};
    for (const TlvNode& n : p.nodes)
        if (n.tag == 0x84 && n.parent >= 0 && p.nodes[static_cast<size_t>(n.parent)].tag == 0x6F)
            return fci.subspan(n.value_offset, n.length);
    return {};
}

void append(Bytes& to, ByteView from) { to.insert(to.end(), from.begin(), from.end()); }

std::string byte_count(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

}  // namespace

ByteView DecodedExchange::response_data() const {
    ByteView r(response);
    return sw ? r.first(r.size() - 2) : r;
}

ByteView DecodedExchange::full_response_data() const {
    if (continues && continues->kind == ContinuationKind::GetResponse) return assembled_response;
    return response_data();
}

std::string DecodedExchange::summary() const {
    std::string s = ins_name.empty() ? std::string("(no command)") : ins_name;
    if (command.empty()) {
        // Nothing more to say.
    } else if (!parse.ok()) {
        s += " (malformed: " + parse.message() + ")";
    } else {
        if (!params.parts.empty()) s += " " + params.parts.front();
        // The applet, except where it is said already: a SELECT names it, a
        // continuation's first command showed it.
        if (applet != AppletKind::Unknown && parse.apdu->ins != kSelect && !continues) {
            s += " [";
            s += applet_name;
            s += "]";
        }
        if (data_length && parse.apdu->ins != kSelect) s += ", " + byte_count(data_length);
    }
    if (is_secret()) s += " (secret)";
    if (continues) {
        s += ", ";
        s += find_value(kContinuationKinds, static_cast<uint64_t>(continues->kind))->name;
        s += " #" + std::to_string(continues->seq) + " " + continues->command;
    }
    s += " \u2192 ";
    if (!sw)
        return s + (response.empty() ? "no response"
                                      : "malformed response (" + byte_count(response.size()) + ")");
    char hex[8];
    std::snprintf(hex, sizeof hex, "%04X", *sw);
    s += hex;
    s += ' ';
    s += sw_meaning.text;
    const size_t n = response.size() - 2;
    if (n) s += " (" + byte_count(n) + ")";
    return s;
}

void ApduDecoder::reset() { channels_ = {}; }

void ApduDecoder::assume_selected(ByteView aid, uint8_t channel) {
    if (channel >= kLogicalChannels) return;
    channels_[channel] = Channel{};
    select_applet(channels_[channel], aid, {});
}

AppletKind ApduDecoder::applet(uint8_t channel) const {
    return channel < kLogicalChannels ? channels_[channel].applet : AppletKind::Unknown;
}

ByteView ApduDecoder::selected_aid(uint8_t channel) const {
    return channel < kLogicalChannels ? ByteView(channels_[channel].aid) : ByteView();
}

void ApduDecoder::select_applet(Channel& ch, ByteView aid, ByteView fci) {
    // The FCI's DF name is the full AID when the SELECT gave a partial one.
    if (ByteView full = fci_df_name(fci); full.size() >= aid.size() && !full.empty()) aid = full;
    ch.aid.assign(aid.begin(), aid.end());
    if (aid.empty()) {
        ch.applet = AppletKind::Unknown;
        ch.name = "default application";
    } else if (const KnownAid* k = find_aid(aid)) {
        ch.applet = k->kind;
        ch.name = std::string(k->name);
    } else {
        ch.applet = AppletKind::Unknown;
        ch.name = to_hex(aid);
    }
}

void ApduDecoder::manage_channel(const DecodedExchange& d, uint8_t from) {
    const CommandApdu& a = *d.parse.apdu;
    if (a.p1 == 0x80) {  // close
        if (a.p2 != 0 && a.p2 < kLogicalChannels) channels_[a.p2] = Channel{};
        return;
    }
    if (a.p1 != 0x00) return;
    ByteView data = d.response_data();
    const unsigned opened = a.p2 != 0 ? a.p2 : (data.empty() ? 0u : data[0]);
    if (opened == 0 || opened >= kLogicalChannels) return;
    Channel fresh;
    // ISO 7816-4 §11.1.2: opened from the basic channel the new one starts at
    // the MF; from another channel it inherits that channel's selection.
    if (from != 0) {
        fresh.applet = channels_[from].applet;
        fresh.aid = channels_[from].aid;
        fresh.name = channels_[from].name;
    }
    channels_[opened] = std::move(fresh);
}

DecodedExchange ApduDecoder::feed(ByteView command, ByteView response, uint64_t seq) {
    DecodedExchange d;
    d.seq = seq;
    d.command.assign(command.begin(), command.end());
    d.response.assign(response.begin(), response.end());
    d.parse = parse_command_apdu(command);

    if (!command.empty()) {
        d.cla = decode_cla(command[0]);
        if (d.cla.layout_known) d.channel = d.cla.channel;
    }
    Channel& ch = channels_[d.channel < kLogicalChannels ? d.channel : 0];
    d.applet = ch.applet;
    d.applet_name = ch.name;
    d.applet_aid = ch.aid;

    const uint8_t ins = command.size() >= 2 ? command[1] : 0;
    if (command.size() >= 2) {
        d.ins = name_instruction(ch.applet, command[0], ins, command.size() >= 3 ? command[2] : 0);
        d.ins_name = ins_display_name(d.ins, ins);
    }
    d.secret_rule = find_secret_rule(command, ch.applet);
    d.secret = secret_range(command, ch.applet);

    const CommandApdu* a = d.parse.ok() ? &*d.parse.apdu : nullptr;
    if (a) {
        d.data_length = a->nc;
        d.params = describe_params(*a, command, d.ins, ch.applet);
        const bool tlv_data = (ins & 1) || listed(kTlvCommandData, d.ins.table, ins);
        if (a->nc && tlv_data && !d.is_secret()) {
            ByteView data = a->data(command);
            const TlvParse tlv = parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(ch.applet));
            d.command_tlv = tlv_lines(data, tlv, ch.applet);
        }
    }

    const bool is_select_by_name = a && named_as(d.ins, ins, kSelect, "SELECT") && a->p1 == kByDfName;
    const ResponseApdu r = parse_response_apdu(response);
    d.sw = r.sw;
    // Status words read in the terms of the applet answering: the one being
    // selected, else the selected one, else the command set of the INS.
    AppletKind sw_context = ch.applet != AppletKind::Unknown ? ch.applet : d.ins.table;
    if (is_select_by_name)
        if (const KnownAid* k = find_aid(a->data(command))) sw_context = k->kind;
    if (r.sw) d.sw_meaning = describe_sw(*r.sw, sw_context);
    const bool more_data = r.sw && r.sw1() == 0x61;
    d.response_complete = r.sw && !more_data;

    // What this exchange continues. Pending states only survive until the next
    // command on the channel.
    std::optional<PendingResponse> response_origin = std::move(ch.response);
    std::optional<PendingChain> chain = std::move(ch.chain);
    std::optional<PendingRetry> retry = std::move(ch.retry);
    ch.response.reset();
    ch.chain.reset();
    ch.retry.reset();

    const bool is_get_response = a && d.ins.known() && listed(kResponseFetchers, d.ins.table, ins);
    AppletKind data_context = ch.applet;
    if (response_origin && is_get_response) {
        d.continues = Continuation{ContinuationKind::GetResponse, response_origin->seq, response_origin->command};
        append(response_origin->data, r.data);
        d.assembled_response = response_origin->data;
        data_context = response_origin->context;
    } else if (chain && a && ins == chain->ins) {
        d.continues = Continuation{ContinuationKind::CommandChaining, chain->seq, chain->command};
    } else if (retry && a && a->ne && *a->ne == retry->ne &&
               std::equal(retry->header.begin(), retry->header.end(), command.begin())) {
        d.continues = Continuation{ContinuationKind::LeRetry, retry->seq, retry->command};
    }

    // The command this exchange belongs to, for the links the next one makes.
    const uint64_t origin_seq = d.continues ? d.continues->seq : seq;
    const std::string& origin_name = d.continues ? d.continues->command : d.ins_name;

    if (a && r.sw) {
        if (is_select_by_name && selection_done(*r.sw)) {
            select_applet(ch, a->data(command), r.data);
            d.applet = ch.applet;
            d.applet_name = ch.name;
            d.applet_aid = ch.aid;
            data_context = ch.applet;
        }
        if (response_origin && is_get_response && response_origin->select_by_name && !more_data &&
            !ch.aid.empty()) {
            // The FCI came by GET RESPONSE: it may name the full AID.
            if (ByteView full = fci_df_name(d.assembled_response); full.size() > ch.aid.size())
                select_applet(ch, full, {});
        }
        if (named_as(d.ins, ins, kManageChannel, "MANAGE CHANNEL") && *r.sw == 0x9000) manage_channel(d, d.channel);

        if (more_data) {
            PendingResponse next;
            if (response_origin && is_get_response) {
                next = std::move(*response_origin);
            } else {
                next = PendingResponse{seq, d.ins_name, ch.applet, is_select_by_name,
                                       listed(kRawResponse, d.ins.table, ins), Bytes(r.data.begin(), r.data.end())};
            }
            ch.response = std::move(next);
        }
        if (d.cla.layout_known && d.cla.chaining && *r.sw == 0x9000)
            ch.chain = PendingChain{origin_seq, ins, origin_name};
        if (r.sw1() == 0x6C) {
            PendingRetry next{origin_seq, {command[0], command[1], command[2], command[3]}, r.sw2() ? r.sw2() : 256u,
                              origin_name};
            ch.retry = std::move(next);
        }
    }

    if (d.response_complete) {
        const bool chained_response = d.continues && d.continues->kind == ContinuationKind::GetResponse;
        const bool raw = chained_response ? response_origin->raw_data : a && listed(kRawResponse, d.ins.table, ins);
        ByteView data = d.full_response_data();
        if (!raw && !data.empty())
            d.response_tlv =
                tlv_lines(data, parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(data_context)), data_context);
    }
    return d;
}

}  // namespace pcscspy
