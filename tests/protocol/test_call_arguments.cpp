// Call arguments as text: the formatter is chosen by the argument's name, lines
// follow the function's parameter order, nothing is dropped.
#include <doctest/doctest.h>

#include "protocol/call_arguments.hpp"

using namespace pcscspy;
using nlohmann::json;

namespace {
std::vector<std::string> texts(const std::vector<ArgumentLine>& lines) {
    std::vector<std::string> out;
    for (const ArgumentLine& l : lines) out.push_back(std::string(1, l.direction) + " " + l.text);
    return out;
}
}  // namespace

TEST_CASE("constants get their symbolic names, by argument name") {
    struct Case {
        const char* name;
        json value;
        const char* text;
    } cases[] = {
        {"dwScope", 2, "SCARD_SCOPE_SYSTEM (0x00000002)"},
        {"dwShareMode", 1, "SCARD_SHARE_EXCLUSIVE (0x00000001)"},
        {"dwPreferredProtocols", 3, "T=0, T=1 (0x00000003)"},
        {"pdwActiveProtocol", 2, "T=1 (0x00000002)"},
        {"dwDisposition", 1, "SCARD_RESET_CARD (0x00000001)"},
        {"dwInitialization", 2, "SCARD_UNPOWER_CARD (0x00000002)"},
        {"pdwState", 0x34, "SCARD_PRESENT|SCARD_POWERED|SCARD_NEGOTIABLE (0x00000034)"},
        {"dwEventState", 0x10022, "SCARD_STATE_CHANGED|SCARD_STATE_PRESENT (event 1) (0x00010022)"},
        {"dwControlCode", 0x42000D48, "CM_IOCTL_GET_FEATURE_REQUEST (0x42000D48)"},
        {"dwAttrId", 0x90303, "SCARD_ATTR_ATR_STRING (0x00090303)"},
        {"dwTimeout", 0xFFFFFFFF, "INFINITE (0xFFFFFFFF)"},
        {"dwTimeout", 250, "250 ms"},
        {"hContext", 16908812, "0x0102020C"},
        {"mszReaders_alloc", 4096, "0x00001000"},
        {"pcchReaders", "SCARD_AUTOALLOCATE", "SCARD_AUTOALLOCATE"},
        {"dwScope", nullptr, "NULL"},
        {"dwScope", "odd", "odd"},         // an unexpected type is shown, not dropped
        {"dwScope", 99, "0x00000063 (0x00000063)"},
        {"somethingNew", 7, "7"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        CHECK(format_argument_value(argument_format(c.name, c.value), c.name, c.value) == c.text);
    }
}

TEST_CASE("a call's lines: parameter order, in then out, buffers dumped, part 10 parsed") {
    json in = {{"dwControlCode", 0x42000D48}, {"hCard", 5}, {"pbSendBuffer", ""}, {"cbSendLength", 0}};
    json out = {{"pbRecvBuffer", ""}, {"lpBytesReturned", 18}};
    out["pbRecvBuffer"] = "0A044233000A120442330012130442000001";
    auto lines = texts(describe_call_arguments("SCardControl", in, out, 0));
    REQUIRE(lines.size() >= 9);
    CHECK(lines[0] == "i hCard: 0x00000005");
    CHECK(lines[1] == "i dwControlCode: CM_IOCTL_GET_FEATURE_REQUEST (0x42000D48)");
    CHECK(lines[2] == "i pbSendBuffer: 0 bytes");
    CHECK(lines[4] == "o pbRecvBuffer: 18 bytes");
    CHECK(lines[5].starts_with("o   0000 0A 04 42 33 00 0A"));
    CHECK(std::find(lines.begin(), lines.end(), "    Tag FEATURE_IFD_PIN_PROPERTIES is 0x4233000A") != lines.end());
    // An error result is not parsed.
    auto failed = texts(describe_call_arguments("SCardControl", in, out, 0x80100016));
    CHECK(std::none_of(failed.begin(), failed.end(), [](const std::string& l) { return l.find("Tag ") != std::string::npos; }));
    // With the reader's features, their control codes are named.
    Feature f{0x0A, 0x4233000A};
    ArgumentStyle style;
    style.features = std::span<const Feature>(&f, 1);
    json pin_in = {{"hCard", 5}, {"dwControlCode", 0x4233000A}};
    json pin_out = {{"pbRecvBuffer", "00000700"}};
    auto pin = texts(describe_call_arguments("SCardControl", pin_in, pin_out, 0, style));
    CHECK(pin[1] == "i dwControlCode: FEATURE_IFD_PIN_PROPERTIES (0x4233000A)");
    CHECK(std::find(pin.begin(), pin.end(), "  parsing FEATURE_IFD_PIN_PROPERTIES results:") != pin.end());
}

TEST_CASE("reader states, multi-strings, unknown arguments and placeholders") {
    json in = {{"hContext", 1}, {"dwTimeout", 0}, {"cReaders", 1},
               {"rgReaderStates", json::array({{{"szReader", "R"}, {"dwCurrentState", 0}, {"dwEventState", 0}, {"rgbAtr", ""}}})}};
    json out = {{"rgReaderStates", json::array({{{"szReader", "R"}, {"dwCurrentState", 0}, {"dwEventState", 0x22}, {"rgbAtr", "3B00"}}})},
                {"zzz_future", 5}};
    ArgumentStyle style;
    style.variable = [](std::string_view name, int64_t v) { return std::string(name) + "#" + std::to_string(v); };
    auto lines = texts(describe_call_arguments("SCardGetStatusChange", in, out, 0, style));
    std::vector<std::string> expected = {
        "i hContext: hContext#1",
        "i dwTimeout: 0 ms",
        "i rgReaderStates[0]:",
        "i   szReader: R",
        "i   dwCurrentState: SCARD_STATE_UNAWARE (0x00000000)",
        "i   dwEventState: SCARD_STATE_UNAWARE (0x00000000)",
        "i   rgbAtr: (0 bytes)",
        "i cReaders: 1",
        "o rgReaderStates[0]:",
        "o   szReader: R",
        "o   dwCurrentState: SCARD_STATE_UNAWARE (0x00000000)",
        "o   dwEventState: SCARD_STATE_CHANGED|SCARD_STATE_PRESENT (0x00000022)",
        "o   rgbAtr: 3B 00 (2 bytes)",
        "o zzz_future: 5",
    };
    CHECK(lines == expected);
    auto readers = texts(describe_call_arguments("SCardListReaders", json::object(),
                                                 {{"mszReaders", json::array({"A", "B"})}}, 0));
    CHECK(readers == std::vector<std::string>{"o mszReaders: A", "o mszReaders: B"});
    // Garbage where a buffer should be is shown as it is.
    auto odd = texts(describe_call_arguments("SCardTransmit", {{"pbSendBuffer", "XYZ"}}, {{"pbRecvBuffer", 5}}, 0));
    CHECK(odd == std::vector<std::string>{"i pbSendBuffer: XYZ", "o pbRecvBuffer: 5"});
}
