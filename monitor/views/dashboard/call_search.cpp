#include "monitor/model/process_name.hpp"
#include "monitor/views/dashboard/call_search.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "protocol/pcsc_names.hpp"

namespace pcscspy::dashboard {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The hex buffers of an event line whose bytes a search looks at. Their values
// are upper-case hex without separators (contract: the event stream).
constexpr std::string_view kHexFields[] = {"pbSendBuffer", "pbRecvBuffer", "pbAtr", "rgbAtr"};

}  // namespace

CallSearch::CallSearch(std::string_view query, bool show_secrets) : show_secrets_(show_secrets) {
    for (char c : query) lower_ += lower(c);
    std::string hex;
    bool is_hex = !query.empty();
    for (char c : query) {
        if (c == ' ' || c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            is_hex = false;
            break;
        }
        hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (is_hex && !hex.empty() && hex.size() % 2 == 0) hex_ = std::move(hex);
}

bool CallSearch::text_matches(std::string_view text) const {
    if (lower_.size() > text.size()) return false;
    auto it = std::search(text.begin(), text.end(), lower_.begin(), lower_.end(),
                          [](char a, char b) { return lower(a) == b; });
    return it != text.end();
}

bool CallSearch::hex_matches(std::string_view raw, std::string_view field) const {
    // Every occurrence of "field":"HEX" in the line (rgbAtr appears once per reader).
    std::string key = "\"" + std::string(field) + "\":\"";
    for (size_t at = raw.find(key); at != std::string_view::npos; at = raw.find(key, at + 1)) {
        size_t start = at + key.size();
        size_t end = raw.find('"', start);
        if (end == std::string_view::npos) return false;
        std::string_view value = raw.substr(start, end - start);
        for (size_t pos = value.find(hex_); pos != std::string_view::npos; pos = value.find(hex_, pos + 1))
            if (pos % 2 == 0) return true;
    }
    return false;
}

bool CallSearch::matches(const SessionModel& model, const CallRecord& call) const {
    if (empty()) return false;
    if (text_matches(model.function_name(call))) return true;
    if (text_matches(call.apdu)) return true;
    if (call.reader >= 0 && static_cast<size_t>(call.reader) < model.readers().size() &&
        text_matches(model.readers()[static_cast<size_t>(call.reader)].name))
        return true;
    if (const ProcessInfo* p = model.process_at(call.process))
        if (text_matches(p->exe_name()) || text_matches(process_name(*p))) return true;
    if (call.rv != 0)
        if (const Named* rc = find_return_code(call.rv); rc && text_matches(rc->name)) return true;
    if (!hex_.empty()) {
        const bool hide_command = (call.flags & CallRecord::kSecret) && !show_secrets_;
        for (std::string_view field : kHexFields) {
            if (hide_command && field == "pbSendBuffer") continue;
            if (hex_matches(call.raw, field)) return true;
        }
        // A masked command is still found by its header (CLA INS P1 P2).
        if (hide_command && call.has_apdu()) {
            char header[9];
            std::snprintf(header, sizeof header, "%02X%02X%02X%02X", call.cla, call.ins, call.p1, call.p2);
            for (size_t pos = std::string_view(header).find(hex_); pos != std::string_view::npos;
                 pos = std::string_view(header).find(hex_, pos + 1))
                if (pos % 2 == 0) return true;
        }
    }
    return false;
}

}  // namespace pcscspy::dashboard
