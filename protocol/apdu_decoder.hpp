// The applet context of one card handle: fed every exchange (command APDU and
// response APDU) in order, it remembers which application is selected on each
// logical channel, names the later commands in that applet's terms, and ties
// GET RESPONSE, command chaining and 6CXX retries to the command they continue.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/aid.hpp"
#include "protocol/apdu.hpp"
#include "protocol/apdu_params.hpp"
#include "protocol/ber_tlv.hpp"
#include "protocol/command_data.hpp"
#include "protocol/hex.hpp"
#include "protocol/ins_names.hpp"
#include "protocol/secrets.hpp"
#include "protocol/status_word.hpp"

namespace pcscspy {

inline constexpr size_t kLogicalChannels = 20;  // ISO 7816-4: channels 0-19

enum class ContinuationKind : uint8_t {
    GetResponse,      // GET RESPONSE after 61XX: more response data of a command
    CommandChaining,  // a command after one with the CLA chaining bit (0x10)
    LeRetry,          // the same command again with the Le that 6CXX gave
};

inline constexpr Named kContinuationKinds[] = {
    {static_cast<uint64_t>(ContinuationKind::GetResponse), "continues", "GET RESPONSE after 61XX"},
    {static_cast<uint64_t>(ContinuationKind::CommandChaining), "continues chain of", "command chaining (CLA bit 0x10)"},
    {static_cast<uint64_t>(ContinuationKind::LeRetry), "retries", "same command with the Le that 6CXX gave"},
};

struct Continuation {
    ContinuationKind kind = ContinuationKind::GetResponse;
    uint64_t seq = 0;     // the exchange that started it (the caller's number)
    std::string command;  // that exchange's command name, e.g. "SELECT"
};

// Everything a view shows about one exchange. Plain data: no reference to the
// decoder, printable text only.
struct DecodedExchange {
    uint64_t seq = 0;

    // Command.
    Bytes command;
    CommandParse parse;               // the command or why it is malformed
    ClaInfo cla;                      // meaningful when command is not empty
    uint8_t channel = 0;
    InsName ins;                      // which table named the INS
    std::string ins_name;             // "SELECT", "INS D1"; empty under 2 bytes
    AppletKind applet = AppletKind::Unknown;  // selected on the channel (for a
                                              // successful SELECT: the new one)
    std::string applet_name;          // "PIV", the AID in hex when unknown, or ""
    Bytes applet_aid;
    const KnownAid* application = nullptr;  // SELECT by DF name: the well-known
                                            // application it addresses, if any
    ParamDescription params;          // P1/P2 meaning
    size_t data_length = 0;           // Nc
    const SecretRule* secret_rule = nullptr;  // set when the command carries secrets
    SecretRange secret;               // command bytes to mask (may be empty)
    std::vector<TlvLine> command_tlv; // the data as BER-TLV, for commands whose data
                                      // is TLV and carries no secret
    std::vector<std::string> data_fields;  // the data's fields where the command
                                           // set fixes them (command_data.hpp)

    // Response.
    Bytes response;                   // as given: data then SW1 SW2
    std::optional<uint16_t> sw;       // absent: no response, or under 2 bytes
    SwMeaning sw_meaning;
    std::optional<Continuation> continues;
    // GET RESPONSE chains: the response data of the whole chain so far (the
    // continued command's, then every GET RESPONSE's). Empty otherwise.
    Bytes assembled_response;
    bool response_complete = false;   // a SW that ends the exchange (not 61XX)
    std::vector<TlvLine> response_tlv;  // complete response data as BER-TLV
    std::vector<std::string> response_fields;  // its fixed fields (command_data.hpp)

    bool is_secret() const { return secret_rule != nullptr; }
    ByteView response_data() const;   // this response without SW1 SW2
    // The data the TLV lines and views should use: the assembled data of a GET
    // RESPONSE chain, else this response's data.
    ByteView full_response_data() const;

    // One line for list views, never showing data bytes of secrets, e.g.
    // "SELECT by DF name A0000003080000 (PIV) → 9000 OK"
    // "GENERAL AUTHENTICATE card authentication key (9E), ECC P-256 [PIV], 10 bytes → 9000 OK (74 bytes)"
    // "GET RESPONSE up to 256 bytes, continues #3 SELECT → 9000 OK (40 bytes)"
    // "VERIFY PIV application PIN (80) [PIV], 8 bytes (secret) → 63C2 Verification failed, 2 retries left"
    std::string summary() const;
};

class ApduDecoder {
public:
    // Decodes one exchange. `response` may be empty (the transmit failed);
    // `seq` is the caller's number for the exchange, used in Continuation links.
    // Never throws on any input.
    DecodedExchange feed(ByteView command, ByteView response, uint64_t seq = 0);

    // The card was reset or reconnected: every channel closed, nothing selected.
    void reset();

    // Starts from a known selection, as after a successful SELECT of `aid` on
    // `channel` (e.g. a decoder told which applet the APDUs it sees are for).
    void assume_selected(ByteView aid, uint8_t channel = 0);

    AppletKind applet(uint8_t channel) const;
    ByteView selected_aid(uint8_t channel) const;

private:
    struct PendingResponse {  // after 61XX
        uint64_t seq;
        std::string command;
        uint8_t ins;
        InsName name;
        AppletKind context;
        bool select_by_name;
        bool raw_data;  // its response data is not BER-TLV
        Bytes data;
    };
    struct PendingChain {  // after a command with the chaining bit
        uint64_t seq;
        uint8_t ins;
        std::string command;
    };
    struct PendingRetry {  // after 6CXX
        uint64_t seq;
        std::array<uint8_t, 4> header;
        uint32_t ne;
        std::string command;
    };
    struct Channel {
        AppletKind applet = AppletKind::Unknown;
        Bytes aid;
        std::string name;
        std::optional<PendingResponse> response;
        std::optional<PendingChain> chain;
        std::optional<PendingRetry> retry;
        EmvLists emv;  // the data object lists the selected EMV application showed
    };

    struct Exchange;  // feed()'s working state

    // feed(), phase by phase.
    void decode_command(DecodedExchange& d, Exchange& x);
    void read_status(DecodedExchange& d, Exchange& x, ByteView response);
    void link_continuation(DecodedExchange& d, Exchange& x);
    void update_channel(DecodedExchange& d, Exchange& x);
    void decode_response_data(DecodedExchange& d, const Exchange& x);

    void select_applet(Channel& ch, ByteView aid, ByteView fci);
    void manage_channel(const DecodedExchange& d, uint8_t from);

    std::array<Channel, kLogicalChannels> channels_{};
};

}  // namespace pcscspy
