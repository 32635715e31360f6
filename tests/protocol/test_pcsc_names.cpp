// The PC/SC name tables against pcsc-lite's own headers, and their formatting.
#include <doctest/doctest.h>

#include <PCSC/reader.h>
#include <PCSC/winscard.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "protocol/pcsc_format.hpp"
#include "protocol/pcsc_names.hpp"

using namespace pcscspy;

namespace {

struct Macro {
    const char* name;
    uint64_t value;
};
#define M(x) Macro{#x, static_cast<uint32_t>(x)}

// Every table entry must be one of pcsc-lite's macros with the same value, and
// every macro must be in the table.
void check_against(NameTable table, std::initializer_list<Macro> macros) {
    CHECK(table.size() == macros.size());
    for (const Macro& m : macros) {
        const Named* n = find_name(table, m.name);
        REQUIRE_MESSAGE(n != nullptr, m.name << " missing from the table");
        CHECK_MESSAGE(n->value == m.value, m.name);
    }
}

void check_well_formed(NameTable table, bool unique_values = true) {
    std::set<uint64_t> values;
    std::set<std::string_view> names;
    for (const Named& n : table) {
        CHECK_MESSAGE(!n.name.empty(), n.value);
        CHECK_MESSAGE(!n.meaning.empty(), n.name);
        CHECK_MESSAGE(names.insert(n.name).second, "duplicate name " << n.name);
        if (unique_values) CHECK_MESSAGE(values.insert(n.value).second, "duplicate value of " << n.name);
    }
}

// Names a pcsc-lite header defines with a given prefix (aliases excluded by the caller).
std::set<std::string> header_names(const char* header, const std::string& regex) {
    std::ifstream in(std::string("/usr/include/PCSC/") + header);
    std::set<std::string> names;
    if (!in) return names;
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    std::regex re(regex);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        names.insert((*it)[1]);
    return names;
}

}  // namespace

TEST_CASE("return codes: values from pcsclite.h, meanings from pcsc_stringify_error") {
    check_well_formed(kReturnCodes, false);
    check_against(kReturnCodes,
                  {M(SCARD_S_SUCCESS), M(SCARD_F_INTERNAL_ERROR), M(SCARD_E_CANCELLED), M(SCARD_E_INVALID_HANDLE),
                   M(SCARD_E_INVALID_PARAMETER), M(SCARD_E_INVALID_TARGET), M(SCARD_E_NO_MEMORY),
                   M(SCARD_F_WAITED_TOO_LONG), M(SCARD_E_INSUFFICIENT_BUFFER), M(SCARD_E_UNKNOWN_READER),
                   M(SCARD_E_TIMEOUT), M(SCARD_E_SHARING_VIOLATION), M(SCARD_E_NO_SMARTCARD), M(SCARD_E_UNKNOWN_CARD),
                   M(SCARD_E_CANT_DISPOSE), M(SCARD_E_PROTO_MISMATCH), M(SCARD_E_NOT_READY), M(SCARD_E_INVALID_VALUE),
                   M(SCARD_E_SYSTEM_CANCELLED), M(SCARD_F_COMM_ERROR), M(SCARD_F_UNKNOWN_ERROR),
                   M(SCARD_E_INVALID_ATR), M(SCARD_E_NOT_TRANSACTED), M(SCARD_E_READER_UNAVAILABLE),
                   M(SCARD_P_SHUTDOWN), M(SCARD_E_PCI_TOO_SMALL), M(SCARD_E_READER_UNSUPPORTED),
                   M(SCARD_E_DUPLICATE_READER), M(SCARD_E_CARD_UNSUPPORTED), M(SCARD_E_NO_SERVICE),
                   M(SCARD_E_SERVICE_STOPPED), M(SCARD_E_UNEXPECTED), M(SCARD_E_UNSUPPORTED_FEATURE),
                   M(SCARD_E_ICC_INSTALLATION), M(SCARD_E_ICC_CREATEORDER), M(SCARD_E_DIR_NOT_FOUND),
                   M(SCARD_E_FILE_NOT_FOUND), M(SCARD_E_NO_DIR), M(SCARD_E_NO_FILE), M(SCARD_E_NO_ACCESS),
                   M(SCARD_E_WRITE_TOO_MANY), M(SCARD_E_BAD_SEEK), M(SCARD_E_INVALID_CHV), M(SCARD_E_UNKNOWN_RES_MNG),
                   M(SCARD_E_NO_SUCH_CERTIFICATE), M(SCARD_E_CERTIFICATE_UNAVAILABLE),
                   M(SCARD_E_NO_READERS_AVAILABLE), M(SCARD_E_COMM_DATA_LOST), M(SCARD_E_NO_KEY_CONTAINER),
                   M(SCARD_E_SERVER_TOO_BUSY), M(SCARD_W_UNSUPPORTED_CARD), M(SCARD_W_UNRESPONSIVE_CARD),
                   M(SCARD_W_UNPOWERED_CARD), M(SCARD_W_RESET_CARD), M(SCARD_W_REMOVED_CARD),
                   M(SCARD_W_SECURITY_VIOLATION), M(SCARD_W_WRONG_CHV), M(SCARD_W_CHV_BLOCKED), M(SCARD_W_EOF),
                   M(SCARD_W_CANCELLED_BY_USER), M(SCARD_W_CARD_NOT_AUTHENTICATED)});
    // Where pcsc-lite has words of its own, the table uses them; the first
    // entry of a value is the one pcsc_stringify_error describes.
    for (const Named& n : kReturnCodes) {
        if (find_value(kReturnCodes, n.value) != &n) continue;
        std::string theirs = pcsc_stringify_error(static_cast<LONG>(static_cast<int32_t>(n.value)));
        if (theirs.rfind("Unknown error", 0) == 0) continue;
        CHECK_MESSAGE(theirs == n.meaning, n.name);
    }
    CHECK(find_return_code(static_cast<int32_t>(0x8010000A))->name == "SCARD_E_TIMEOUT");
}

TEST_CASE("scopes, share modes, dispositions, protocols: values from pcsclite.h") {
    for (NameTable t : {NameTable(kScopes), NameTable(kShareModes), NameTable(kDispositions), NameTable(kProtocols),
                        NameTable(kReaderStates), NameTable(kCardStates), NameTable(kAttributes),
                        NameTable(kControlCodes), NameTable(kFeatureTags), NameTable(kPart10Properties)})
        check_well_formed(t);
    check_against(kScopes, {M(SCARD_SCOPE_USER), M(SCARD_SCOPE_TERMINAL), M(SCARD_SCOPE_SYSTEM), M(SCARD_SCOPE_GLOBAL)});
    check_against(kShareModes, {M(SCARD_SHARE_EXCLUSIVE), M(SCARD_SHARE_SHARED), M(SCARD_SHARE_DIRECT)});
    check_against(kDispositions,
                  {M(SCARD_LEAVE_CARD), M(SCARD_RESET_CARD), M(SCARD_UNPOWER_CARD), M(SCARD_EJECT_CARD)});
    check_against(kProtocols, {M(SCARD_PROTOCOL_UNDEFINED), M(SCARD_PROTOCOL_T0), M(SCARD_PROTOCOL_T1),
                               M(SCARD_PROTOCOL_RAW), M(SCARD_PROTOCOL_T15)});
    check_against(kCardStates, {M(SCARD_UNKNOWN), M(SCARD_ABSENT), M(SCARD_PRESENT), M(SCARD_SWALLOWED),
                                M(SCARD_POWERED), M(SCARD_NEGOTIABLE), M(SCARD_SPECIFIC)});
    check_against(kReaderStates,
                  {M(SCARD_STATE_UNAWARE), M(SCARD_STATE_IGNORE), M(SCARD_STATE_CHANGED), M(SCARD_STATE_UNKNOWN),
                   M(SCARD_STATE_UNAVAILABLE), M(SCARD_STATE_EMPTY), M(SCARD_STATE_PRESENT), M(SCARD_STATE_ATRMATCH),
                   M(SCARD_STATE_EXCLUSIVE), M(SCARD_STATE_INUSE), M(SCARD_STATE_MUTE), M(SCARD_STATE_UNPOWERED)});
}

TEST_CASE("attributes: every SCARD_ATTR_* of reader.h with its value") {
    check_against(kAttributes,
                  {M(SCARD_ATTR_VENDOR_NAME), M(SCARD_ATTR_VENDOR_IFD_TYPE), M(SCARD_ATTR_VENDOR_IFD_VERSION),
                   M(SCARD_ATTR_VENDOR_IFD_SERIAL_NO), M(SCARD_ATTR_CHANNEL_ID), M(SCARD_ATTR_ASYNC_PROTOCOL_TYPES),
                   M(SCARD_ATTR_DEFAULT_CLK), M(SCARD_ATTR_MAX_CLK), M(SCARD_ATTR_DEFAULT_DATA_RATE),
                   M(SCARD_ATTR_MAX_DATA_RATE), M(SCARD_ATTR_MAX_IFSD), M(SCARD_ATTR_SYNC_PROTOCOL_TYPES),
                   M(SCARD_ATTR_POWER_MGMT_SUPPORT), M(SCARD_ATTR_USER_TO_CARD_AUTH_DEVICE),
                   M(SCARD_ATTR_USER_AUTH_INPUT_DEVICE), M(SCARD_ATTR_CHARACTERISTICS),
                   M(SCARD_ATTR_CURRENT_PROTOCOL_TYPE), M(SCARD_ATTR_CURRENT_CLK), M(SCARD_ATTR_CURRENT_F),
                   M(SCARD_ATTR_CURRENT_D), M(SCARD_ATTR_CURRENT_N), M(SCARD_ATTR_CURRENT_W),
                   M(SCARD_ATTR_CURRENT_IFSC), M(SCARD_ATTR_CURRENT_IFSD), M(SCARD_ATTR_CURRENT_BWT),
                   M(SCARD_ATTR_CURRENT_CWT), M(SCARD_ATTR_CURRENT_EBC_ENCODING), M(SCARD_ATTR_EXTENDED_BWT),
                   M(SCARD_ATTR_ICC_PRESENCE), M(SCARD_ATTR_ICC_INTERFACE_STATUS), M(SCARD_ATTR_CURRENT_IO_STATE),
                   M(SCARD_ATTR_ATR_STRING), M(SCARD_ATTR_ICC_TYPE_PER_ATR), M(SCARD_ATTR_ESC_RESET),
                   M(SCARD_ATTR_ESC_CANCEL), M(SCARD_ATTR_ESC_AUTHREQUEST), M(SCARD_ATTR_MAXINPUT),
                   M(SCARD_ATTR_DEVICE_UNIT), M(SCARD_ATTR_DEVICE_IN_USE), M(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A),
                   M(SCARD_ATTR_DEVICE_SYSTEM_NAME_A), M(SCARD_ATTR_DEVICE_FRIENDLY_NAME_W),
                   M(SCARD_ATTR_DEVICE_SYSTEM_NAME_W), M(SCARD_ATTR_SUPRESS_T1_IFS_REQUEST)});
    // And nothing reader.h defines is forgotten (the two UNICODE aliases aside).
    std::set<std::string> defined = header_names("reader.h", R"(#define (SCARD_ATTR_\w+) SCARD_ATTR_VALUE\()");
    CHECK(defined.size() == std::size(kAttributes));
    for (const std::string& name : defined) CHECK_MESSAGE(find_name(kAttributes, name) != nullptr, name);
}

TEST_CASE("control codes, feature tags and TLV properties: values from reader.h") {
    CHECK(scard_ctl_code(3400) == static_cast<uint32_t>(CM_IOCTL_GET_FEATURE_REQUEST));
    CHECK(find_name(kControlCodes, "CM_IOCTL_GET_FEATURE_REQUEST")->value ==
          static_cast<uint32_t>(CM_IOCTL_GET_FEATURE_REQUEST));
    CHECK(find_name(kControlCodes, "IOCTL_SMARTCARD_VENDOR_IFD_EXCHANGE")->value == SCARD_CTL_CODE(1));
    check_against(kFeatureTags,
                  {M(FEATURE_VERIFY_PIN_START), M(FEATURE_VERIFY_PIN_FINISH), M(FEATURE_MODIFY_PIN_START),
                   M(FEATURE_MODIFY_PIN_FINISH), M(FEATURE_GET_KEY_PRESSED), M(FEATURE_VERIFY_PIN_DIRECT),
                   M(FEATURE_MODIFY_PIN_DIRECT), M(FEATURE_MCT_READER_DIRECT), M(FEATURE_MCT_UNIVERSAL),
                   M(FEATURE_IFD_PIN_PROPERTIES), M(FEATURE_ABORT), M(FEATURE_SET_SPE_MESSAGE),
                   M(FEATURE_VERIFY_PIN_DIRECT_APP_ID), M(FEATURE_MODIFY_PIN_DIRECT_APP_ID), M(FEATURE_WRITE_DISPLAY),
                   M(FEATURE_GET_KEY), M(FEATURE_IFD_DISPLAY_PROPERTIES), M(FEATURE_GET_TLV_PROPERTIES),
                   M(FEATURE_CCID_ESC_COMMAND), M(FEATURE_EXECUTE_PACE)});
    std::set<std::string> features = header_names("reader.h", R"(#define (FEATURE_\w+)\s+0x)");
    CHECK(features.size() == std::size(kFeatureTags));
    check_against(kPart10Properties,
                  {M(PCSCv2_PART10_PROPERTY_wLcdLayout), M(PCSCv2_PART10_PROPERTY_bEntryValidationCondition),
                   M(PCSCv2_PART10_PROPERTY_bTimeOut2), M(PCSCv2_PART10_PROPERTY_wLcdMaxCharacters),
                   M(PCSCv2_PART10_PROPERTY_wLcdMaxLines), M(PCSCv2_PART10_PROPERTY_bMinPINSize),
                   M(PCSCv2_PART10_PROPERTY_bMaxPINSize), M(PCSCv2_PART10_PROPERTY_sFirmwareID),
                   M(PCSCv2_PART10_PROPERTY_bPPDUSupport), M(PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize),
                   M(PCSCv2_PART10_PROPERTY_wIdVendor), M(PCSCv2_PART10_PROPERTY_wIdProduct)});
    for (const Named& p : kPart10Properties) CHECK(p.name.starts_with(kPart10PropertyPrefix));
}

TEST_CASE("protocol_to_string shows bit sets as pcsc-spy does") {
    struct Case {
        uint64_t value;
        const char* text;
    };
    for (Case c : {Case{0, "SCARD_PROTOCOL_UNDEFINED"}, Case{1, "T=0"}, Case{2, "T=1"}, Case{3, "T=0, T=1"},
                   Case{4, "RAW"}, Case{8, "T=15"}, Case{0xF, "T=0, T=1, RAW, T=15"},
                   Case{0x10002, "T=1, 0x00010000"}, Case{0x80, "0x00000080"}}) {
        CAPTURE(c.value);
        CHECK(protocol_to_string(c.value) == c.text);
    }
    CHECK(protocol_to_string(SCARD_PROTOCOL_ANY) == "T=0, T=1");
}

TEST_CASE("reader_state_to_string names the bits and the event counter") {
    struct Case {
        uint64_t value;
        const char* text;
    };
    for (Case c : {Case{0, "SCARD_STATE_UNAWARE"}, Case{0x22, "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT"},
                   Case{0x30022, "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT (event 3)"},
                   Case{0x10000, "SCARD_STATE_UNAWARE (event 1)"},
                   Case{0xFFFF0010, "SCARD_STATE_EMPTY (event 65535)"},
                   Case{0x0122, "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT|SCARD_STATE_INUSE"},
                   Case{0x0800, "0x00000800"},
                   Case{0x7FF, "SCARD_STATE_IGNORE|SCARD_STATE_CHANGED|SCARD_STATE_UNKNOWN|SCARD_STATE_UNAVAILABLE|"
                               "SCARD_STATE_EMPTY|SCARD_STATE_PRESENT|SCARD_STATE_ATRMATCH|SCARD_STATE_EXCLUSIVE|"
                               "SCARD_STATE_INUSE|SCARD_STATE_MUTE|SCARD_STATE_UNPOWERED"}}) {
        CAPTURE(c.value);
        CHECK(reader_state_to_string(c.value) == c.text);
    }
    CHECK(reader_event_counter(0x00050020) == 5);
    static_assert(reader_event_counter(0xABCD0000) == 0xABCD);
}

TEST_CASE("scalar names fall back to hex") {
    CHECK(scope_to_string(SCARD_SCOPE_SYSTEM) == "SCARD_SCOPE_SYSTEM");
    CHECK(scope_to_string(7) == "0x00000007");
    CHECK(share_mode_to_string(SCARD_SHARE_DIRECT) == "SCARD_SHARE_DIRECT");
    CHECK(disposition_to_string(SCARD_UNPOWER_CARD) == "SCARD_UNPOWER_CARD");
    CHECK(disposition_to_string(4) == "0x00000004");
    CHECK(attribute_to_string(SCARD_ATTR_ATR_STRING) == "SCARD_ATTR_ATR_STRING");
    CHECK(attribute_to_string(0x00090399) == "0x00090399");
    CHECK(card_state_to_string(SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE) ==
          "SCARD_PRESENT|SCARD_POWERED|SCARD_NEGOTIABLE");
    CHECK(card_state_to_string(0) == "0");
    CHECK(feature_tag_to_string(0x20) == "FEATURE_EXECUTE_PACE");
    CHECK(feature_tag_to_string(0x99) == "0x99");
}

TEST_CASE("control_code_to_string: learnt features first, then the table, then SCARD_CTL_CODE(n)") {
    const Feature features[] = {{0x0A, 0x4233000A}, {0x12, 0x42330012}, {0x13, 0x42000001}};
    CHECK(control_code_to_string(CM_IOCTL_GET_FEATURE_REQUEST) == "CM_IOCTL_GET_FEATURE_REQUEST");
    CHECK(control_code_to_string(CM_IOCTL_GET_FEATURE_REQUEST, features) == "CM_IOCTL_GET_FEATURE_REQUEST");
    CHECK(control_code_to_string(0x4233000A, features) == "FEATURE_IFD_PIN_PROPERTIES");
    CHECK(control_code_to_string(0x4233000A) == "SCARD_CTL_CODE(3342346)");
    CHECK(control_code_to_string(0x42000001) == "IOCTL_SMARTCARD_VENDOR_IFD_EXCHANGE");
    CHECK(control_code_to_string(0x42000001, features) == "FEATURE_CCID_ESC_COMMAND");
    CHECK(control_code_to_string(SCARD_CTL_CODE(42)) == "SCARD_CTL_CODE(42)");
    CHECK(control_code_to_string(0x00313520) == "0x00313520");
    CHECK(control_code_to_string(0x1FFFFFFFFull) == "0x1FFFFFFFF");
    CHECK(find_feature_by_code(features, 0x42330012)->tag == 0x12);
    CHECK(find_feature_by_code(features, 0x42330013) == nullptr);
}
