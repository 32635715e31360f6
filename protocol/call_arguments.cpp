#include "protocol/call_arguments.hpp"

#include <algorithm>

#include "protocol/hex.hpp"
#include "protocol/part10.hpp"
#include "protocol/pcsc_format.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

using nlohmann::json;

namespace {

// Parameter names of each function, in order, from the one API description.
struct FunctionParameters {
    std::string_view fn;
    std::string_view names[8];
};
#define PCSCSPY_ARG(kind, name, related) #name,
#define PCSCSPY_FUNCTION(name, target, effects, params, names, args) FunctionParameters{#name, {args}},
constexpr FunctionParameters kParameters[] = {
#include "protocol/pcsc_api.def"
};
#undef PCSCSPY_FUNCTION
#undef PCSCSPY_ARG

const FunctionParameters* parameters_of(std::string_view fn) {
    for (const FunctionParameters& f : kParameters)
        if (f.fn == fn) return &f;
    return nullptr;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

std::optional<int64_t> integer_of(const json& v) {
    if (v.is_number_unsigned()) {
        uint64_t u = v.get<uint64_t>();
        return u > static_cast<uint64_t>(INT64_MAX) ? std::nullopt : std::optional<int64_t>(static_cast<int64_t>(u));
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return std::nullopt;
}

// A value the format does not expect is shown as its JSON text, never dropped.
std::string raw_text(const json& v) {
    if (v.is_null()) return "NULL";
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string named(std::string name, uint64_t value) { return name + " (" + hex_value(value) + ")"; }

std::string variable_text(std::string_view name, int64_t v, const ArgumentStyle& style) {
    if (style.variable) return style.variable(name, v);
    return hex_value(static_cast<uint64_t>(v));
}

Bytes bytes_of(const json& v) {
    if (!v.is_string()) return {};
    HexParse p = parse_hex(v.get_ref<const std::string&>());
    return p.ok() ? std::move(p.bytes) : Bytes{};
}

void add_buffer(std::vector<ArgumentLine>& out, char dir, std::string_view name, const json& v) {
    if (!v.is_string()) {
        out.push_back({dir, std::string(name) + ": " + raw_text(v)});
        return;
    }
    HexParse p = parse_hex(v.get_ref<const std::string&>());
    if (!p.ok()) {
        out.push_back({dir, std::string(name) + ": " + v.get<std::string>()});
        return;
    }
    out.push_back({dir, std::string(name) + ": " + std::to_string(p.bytes.size()) + " byte" +
                            (p.bytes.size() == 1 ? "" : "s")});
    for (std::string& line : hex_dump(p.bytes)) out.push_back({dir, "  " + std::move(line)});
}

void add_reader_states(std::vector<ArgumentLine>& out, char dir, std::string_view name, const json& v,
                       const ArgumentStyle& style) {
    if (!v.is_array()) {
        out.push_back({dir, std::string(name) + ": " + raw_text(v)});
        return;
    }
    size_t i = 0;
    for (const json& rs : v) {
        out.push_back({dir, std::string(name) + "[" + std::to_string(i++) + "]:"});
        if (!rs.is_object()) {
            out.push_back({dir, "  " + raw_text(rs)});
            continue;
        }
        for (std::string_view field : {"szReader", "dwCurrentState", "dwEventState"}) {
            auto it = rs.find(field);
            if (it == rs.end()) continue;
            out.push_back({dir, "  " + std::string(field) + ": " +
                                    format_argument_value(argument_format(field, *it), field, *it, style)});
        }
        if (auto it = rs.find("rgbAtr"); it != rs.end()) {
            Bytes atr = bytes_of(*it);
            std::string text = it->is_string() ? to_hex_spaced(atr) : raw_text(*it);
            out.push_back({dir, "  rgbAtr: " + (text.empty() ? "" : text + " ") + "(" + std::to_string(atr.size()) +
                                    " byte" + (atr.size() == 1 ? ")" : "s)")});
        }
    }
    if (i == 0) out.push_back({dir, std::string(name) + ": (none)"});
}

void add_argument(std::vector<ArgumentLine>& out, char dir, std::string_view name, const json& v,
                  const ArgumentStyle& style) {
    ArgumentFormat f = argument_format(name, v);
    if (f == ArgumentFormat::Buffer) return add_buffer(out, dir, name, v);
    if (f == ArgumentFormat::ReaderStates) return add_reader_states(out, dir, name, v, style);
    if (f == ArgumentFormat::MultiString && v.is_array()) {
        if (v.empty()) out.push_back({dir, std::string(name) + ": (none)"});
        for (const json& s : v) out.push_back({dir, std::string(name) + ": " + raw_text(s)});
        return;
    }
    out.push_back({dir, std::string(name) + ": " + format_argument_value(f, name, v, style)});
}

void add_side(std::vector<ArgumentLine>& out, char dir, const FunctionParameters* params, const json& side,
              const ArgumentStyle& style) {
    if (!side.is_object()) return;
    std::vector<std::string_view> done;
    if (params)
        for (std::string_view name : params->names) {
            if (name.empty()) break;
            auto it = side.find(name);
            if (it == side.end()) continue;
            add_argument(out, dir, name, *it, style);
            done.push_back(name);
        }
    for (auto it = side.begin(); it != side.end(); ++it)  // the rest, in name order
        if (std::find(done.begin(), done.end(), it.key()) == done.end()) add_argument(out, dir, it.key(), *it, style);
}

}  // namespace

ArgumentFormat argument_format(std::string_view name, const json& value) {
    for (const ArgumentFormatRule& r : kArgumentFormats)
        if (r.name == name) return r.format;
    if (ends_with(name, "_alloc")) return ArgumentFormat::Pointer;
    if (starts_with(name, "pb") || starts_with(name, "rgb")) return ArgumentFormat::Buffer;
    if (value.is_array()) return ArgumentFormat::MultiString;
    if (value.is_string()) return ArgumentFormat::String;
    return ArgumentFormat::Number;
}

std::string format_argument_value(ArgumentFormat f, std::string_view name, const json& v, const ArgumentStyle& style) {
    if (v.is_null()) return "NULL";
    std::optional<int64_t> n = integer_of(v);
    auto u = [&] { return static_cast<uint64_t>(*n); };
    switch (f) {
        case ArgumentFormat::Handle:
        case ArgumentFormat::Pointer:
            return n ? variable_text(name, *n, style) : raw_text(v);
        case ArgumentFormat::Timeout:
            if (!n) return raw_text(v);
            if (static_cast<uint32_t>(*n) == 0xFFFFFFFF) return "INFINITE (0xFFFFFFFF)";
            return std::to_string(*n) + " ms";
        case ArgumentFormat::Scope: return n ? named(scope_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::ShareMode: return n ? named(share_mode_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::Protocols: return n ? named(protocol_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::Disposition: return n ? named(disposition_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::CardState: return n ? named(card_state_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::ReaderState: return n ? named(reader_state_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::ControlCode:
            return n ? named(control_code_to_string(u(), style.features), u()) : raw_text(v);
        case ArgumentFormat::AttrId: return n ? named(attribute_to_string(u()), u()) : raw_text(v);
        case ArgumentFormat::IoRequest: {
            if (!v.is_object()) return raw_text(v);
            std::string text;
            if (auto it = v.find("dwProtocol"); it != v.end())
                text += "dwProtocol " + format_argument_value(ArgumentFormat::Protocols, "dwProtocol", *it, style);
            if (auto it = v.find("cbPciLength"); it != v.end())
                text += (text.empty() ? "" : ", ") + std::string("cbPciLength ") + raw_text(*it);
            return text.empty() ? raw_text(v) : text;
        }
        case ArgumentFormat::Buffer: {
            Bytes b = bytes_of(v);
            return v.is_string() && (!b.empty() || v.get_ref<const std::string&>().empty()) ? to_hex_spaced(b)
                                                                                            : raw_text(v);
        }
        case ArgumentFormat::MultiString: {
            if (!v.is_array()) return raw_text(v);
            std::string text;
            for (const json& s : v) text += (text.empty() ? "" : ", ") + raw_text(s);
            return text;
        }
        case ArgumentFormat::Number:
        case ArgumentFormat::Length:
        case ArgumentFormat::String:
        case ArgumentFormat::ReaderStates:
            return raw_text(v);
    }
    return raw_text(v);
}

std::vector<ArgumentLine> describe_call_arguments(std::string_view fn, const json& in, const json& out, int64_t rv,
                                                  const ArgumentStyle& style) {
    std::vector<ArgumentLine> lines;
    const FunctionParameters* params = parameters_of(fn);
    add_side(lines, 'i', params, in, style);
    add_side(lines, 'o', params, out, style);
    // pcsc-spy parses the answers of successful part 10 exchanges.
    if (fn == "SCardControl" && rv == 0 && in.is_object() && out.is_object()) {
        auto code = in.find("dwControlCode");
        if (code != in.end())
            if (auto c = integer_of(*code)) {
                Bytes request = in.contains("pbSendBuffer") ? bytes_of(in["pbSendBuffer"]) : Bytes{};
                Bytes response = out.contains("pbRecvBuffer") ? bytes_of(out["pbRecvBuffer"]) : Bytes{};
                for (std::string& l : describe_control(static_cast<uint64_t>(*c), style.features, request, response))
                    lines.push_back({' ', std::move(l)});
            }
    }
    return lines;
}

}  // namespace pcscspy
