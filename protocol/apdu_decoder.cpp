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
    {AppletKind::Cac, 0xC0},
    {AppletKind::YubicoOath, 0xA5},      // YKOATH SEND REMAINING
};

bool listed(std::span<const InsRow> rows, AppletKind table, uint8_t ins) {
    return std::any_of(rows.begin(), rows.end(), [&](const InsRow& r) { return r.table == table && r.ins == ins; });
}

constexpr uint8_t kSelect = 0xA4, kManageChannel = 0x70, kGenerateAc = 0xAE;

// The EMV data object lists a response shows (FCI: PDOL; records: CDOL1,
// CDOL2, DDOL), kept for the commands that fill them in.
void keep_emv_lists(EmvLists& lists, ByteView data) {
    const TlvParse p = parse_ber_tlv(data, kMaxTlvDepth);
    if (!p.ok()) return;
    for (const TlvNode& n : p.nodes) {
        const ByteView v = data.subspan(n.value_offset, n.length);
        if (n.tag == 0x9F38) lists.pdol.assign(v.begin(), v.end());
        if (n.tag == 0x8C) lists.cdol1.assign(v.begin(), v.end());
        if (n.tag == 0x8D) lists.cdol2.assign(v.begin(), v.end());
        if (n.tag == 0x9F49) lists.ddol.assign(v.begin(), v.end());
    }
}
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
    ch.emv = {};  // the lists belong to the application that showed them
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

// What feed() works out about one exchange on its way, phase to phase.
struct ApduDecoder::Exchange {
    ByteView command;
    uint64_t seq = 0;
    Channel* channel = nullptr;
    const CommandApdu* apdu = nullptr;  // null when the command is malformed
    uint8_t ins = 0;
    bool select_by_name = false;
    ResponseApdu response;
    bool more_data = false;  // 61XX
    bool get_response = false;
    // The pending states of the channel this exchange may continue.
    std::optional<PendingResponse> response_origin;
    std::optional<PendingChain> chain;
    std::optional<PendingRetry> retry;
    AppletKind data_context = AppletKind::Unknown;  // for the response's TLV names
};

DecodedExchange ApduDecoder::feed(ByteView command, ByteView response, uint64_t seq) {
    DecodedExchange d;
    Exchange x;
    x.command = command;
    x.seq = seq;
    decode_command(d, x);
    read_status(d, x, response);
    link_continuation(d, x);
    update_channel(d, x);
    decode_response_data(d, x);
    return d;
}

// The command: CLA and its channel, the INS named in the channel's applet, P1
// P2, secrets, and the data as BER-TLV where the command's data is TLV.
void ApduDecoder::decode_command(DecodedExchange& d, Exchange& x) {
    const ByteView command = x.command;
    d.seq = x.seq;
    d.command.assign(command.begin(), command.end());
    d.parse = parse_command_apdu(command);
    if (!command.empty()) {
        d.cla = decode_cla(command[0]);
        if (d.cla.layout_known) d.channel = d.cla.channel;
    }
    Channel& ch = channels_[d.channel < kLogicalChannels ? d.channel : 0];
    x.channel = &ch;
    d.applet = ch.applet;
    d.applet_name = ch.name;
    d.applet_aid = ch.aid;

    x.ins = command.size() >= 2 ? command[1] : 0;
    if (command.size() >= 2) {
        d.ins = name_instruction(ch.applet, command[0], x.ins, command.size() >= 3 ? command[2] : 0);
        d.ins_name = ins_display_name(d.ins, x.ins);
    }
    d.secret_rule = find_secret_rule(command, ch.applet);
    d.secret = secret_range(command, ch.applet);

    x.apdu = d.parse.ok() ? &*d.parse.apdu : nullptr;
    if (const CommandApdu* a = x.apdu) {
        d.data_length = a->nc;
        d.params = describe_params(*a, command, d.ins, ch.applet);
        const bool tlv_data = (x.ins & 1) || listed(kTlvCommandData, d.ins.table, x.ins);
        if (a->nc && tlv_data && !d.is_secret()) {
            ByteView data = a->data(command);
            const TlvParse tlv = parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(ch.applet));
            d.command_tlv = tlv_lines(data, tlv, ch.applet);
        }
        // The field describers show no secret bytes (PUT KEY: key lengths and
        // check values only); VERIFY and the like have none.
        if (a->nc) d.data_fields = command_data_fields(*a, a->data(command), d.ins, ch.applet, ch.emv);
        if (named_as(d.ins, x.ins, kGenerateAc, "GENERATE AC")) ++ch.emv.generate_ac_count;
    }
    x.select_by_name = x.apdu && named_as(d.ins, x.ins, kSelect, "SELECT") && x.apdu->p1 == kByDfName;
    if (x.select_by_name) d.application = find_aid(x.apdu->data(command));
}

// SW1 SW2, read in the terms of the applet answering: the one being selected,
// else the selected one, else the command set of the INS.
void ApduDecoder::read_status(DecodedExchange& d, Exchange& x, ByteView response) {
    d.response.assign(response.begin(), response.end());
    x.response = parse_response_apdu(response);
    const ResponseApdu& r = x.response;
    d.sw = r.sw;
    AppletKind sw_context = x.channel->applet != AppletKind::Unknown ? x.channel->applet : d.ins.table;
    if (d.application) sw_context = d.application->kind;
    if (r.sw) d.sw_meaning = describe_sw(*r.sw, sw_context);
    x.more_data = r.sw && r.sw1() == 0x61;
    d.response_complete = r.sw && !x.more_data;
}

// What this exchange continues: a GET RESPONSE after 61XX, the next command of
// a chain, or the retry a 6CXX asked for. Pending states only survive until
// the next command on the channel.
void ApduDecoder::link_continuation(DecodedExchange& d, Exchange& x) {
    Channel& ch = *x.channel;
    x.response_origin = std::move(ch.response);
    x.chain = std::move(ch.chain);
    x.retry = std::move(ch.retry);
    ch.response.reset();
    ch.chain.reset();
    ch.retry.reset();

    const CommandApdu* a = x.apdu;
    x.get_response = a && d.ins.known() && listed(kResponseFetchers, d.ins.table, x.ins);
    x.data_context = ch.applet;
    if (x.response_origin && x.get_response) {
        d.continues = Continuation{ContinuationKind::GetResponse, x.response_origin->seq, x.response_origin->command};
        append(x.response_origin->data, x.response.data);
        d.assembled_response = x.response_origin->data;
        x.data_context = x.response_origin->context;
    } else if (x.chain && a && x.ins == x.chain->ins) {
        d.continues = Continuation{ContinuationKind::CommandChaining, x.chain->seq, x.chain->command};
    } else if (x.retry && a && a->ne && *a->ne == x.retry->ne &&
               std::equal(x.retry->header.begin(), x.retry->header.end(), x.command.begin())) {
        d.continues = Continuation{ContinuationKind::LeRetry, x.retry->seq, x.retry->command};
    }
}

// What the exchange changes on the channel: the selected applet (SELECT, MANAGE
// CHANNEL), and the pending states the next command may continue.
void ApduDecoder::update_channel(DecodedExchange& d, Exchange& x) {
    const CommandApdu* a = x.apdu;
    const ResponseApdu& r = x.response;
    if (!a || !r.sw) return;
    Channel& ch = *x.channel;
    const bool continued_response = x.response_origin && x.get_response;

    if (x.select_by_name && selection_done(*r.sw)) {
        select_applet(ch, a->data(x.command), r.data);
        d.applet = ch.applet;
        d.applet_name = ch.name;
        d.applet_aid = ch.aid;
        x.data_context = ch.applet;
    }
    if (continued_response && x.response_origin->select_by_name && !x.more_data && !ch.aid.empty()) {
        // The FCI came by GET RESPONSE: it may name the full AID.
        if (ByteView full = fci_df_name(d.assembled_response); full.size() > ch.aid.size()) select_applet(ch, full, {});
    }
    if (named_as(d.ins, x.ins, kManageChannel, "MANAGE CHANNEL") && *r.sw == 0x9000) manage_channel(d, d.channel);

    // The command this exchange belongs to, for the links the next one makes.
    const uint64_t origin_seq = d.continues ? d.continues->seq : x.seq;
    const std::string& origin_name = d.continues ? d.continues->command : d.ins_name;
    if (x.more_data) {
        ch.response = continued_response
                          ? std::move(*x.response_origin)
                          : PendingResponse{x.seq, d.ins_name, x.ins, d.ins, ch.applet, x.select_by_name,
                                            listed(kRawResponse, d.ins.table, x.ins), Bytes(r.data.begin(), r.data.end())};
    }
    if (d.cla.layout_known && d.cla.chaining && *r.sw == 0x9000)
        ch.chain = PendingChain{origin_seq, x.ins, origin_name};
    if (r.sw1() == 0x6C) {
        const ByteView c = x.command;
        ch.retry = PendingRetry{origin_seq, {c[0], c[1], c[2], c[3]}, r.sw2() ? r.sw2() : 256u, origin_name};
    }
}

// The response data as BER-TLV once complete (a GET RESPONSE chain's assembled
// data), unless the command's response is raw bytes.
void ApduDecoder::decode_response_data(DecodedExchange& d, const Exchange& x) {
    if (!d.response_complete) return;
    const bool chained_response = d.continues && d.continues->kind == ContinuationKind::GetResponse;
    const bool raw = chained_response ? x.response_origin->raw_data : x.apdu && listed(kRawResponse, d.ins.table, x.ins);
    ByteView data = d.full_response_data();
    if (!raw && !data.empty())
        d.response_tlv =
            tlv_lines(data, parse_ber_tlv(data, kMaxTlvDepth, encapsulating_tags(x.data_context)), x.data_context);
    if (data.empty()) return;
    const uint8_t ins = chained_response ? x.response_origin->ins : x.ins;
    const InsName& name = chained_response ? x.response_origin->name : d.ins;
    d.response_fields = response_data_fields(ins, name, x.data_context, data);
    if (x.data_context == AppletKind::Emv && !raw) keep_emv_lists(x.channel->emv, data);
}

}  // namespace pcscspy
