#include "monitor/metrics/metrics_endpoint.hpp"

#include <arpa/inet.h>

#include <CivetServer.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <charconv>
#include <mutex>

namespace pcscspy {

namespace {

// civetweb reports why it could not listen through its log callback, before the
// constructor throws a generic "null context"; kept here to say the real reason.
std::mutex g_civet_mutex;
std::string g_civet_message;

int keep_civet_message(const mg_connection*, const char* message) {
    std::lock_guard<std::mutex> lock(g_civet_mutex);
    // The first message is the cause ("cannot bind to ...: Address already in
    // use"); the ones after it are consequences ("Failed to setup server ports").
    if (!g_civet_message.empty()) return 1;
    g_civet_message = message ? message : "";
    while (!g_civet_message.empty() && (g_civet_message.back() == '\n' || g_civet_message.back() == ' '))
        g_civet_message.pop_back();
    return 1;  // handled: civetweb prints nothing itself
}

bool is_ipv6(const std::string& host) { return host.find(':') != std::string::npos; }

}  // namespace

std::optional<MetricsAddress> parse_metrics_address(std::string_view text, std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<MetricsAddress> {
        *error = "--metrics " + std::string(text) + ": " + why;
        return std::nullopt;
    };
    MetricsAddress a;
    std::string_view port = text;
    if (text.starts_with('[')) {
        size_t close = text.find("]:");
        if (close == std::string_view::npos) return fail("expected [IPV6]:PORT");
        a.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
        a.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
        if (is_ipv6(a.host)) return fail("write an IPv6 address in brackets: [ADDR]:PORT");
    }
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || port.empty() || n > 65535)
        return fail("PORT must be a number from 0 to 65535");
    a.port = static_cast<uint16_t>(n);
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(is_ipv6(a.host) ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1)
        return fail("\"" + a.host + "\" is not a numeric IP address (e.g. 127.0.0.1, 0.0.0.0, [::1])");
    return a;
}

MetricsEndpoint::Result MetricsEndpoint::start(const MetricsAddress& address, std::shared_ptr<prometheus::Registry> registry) {
    Result r;
    std::string host = is_ipv6(address.host) ? "[" + address.host + "]" : address.host;
    std::string listen = host + ":" + std::to_string(address.port);
    CivetCallbacks callbacks;
    callbacks.log_message = keep_civet_message;
    std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
    {
        std::lock_guard<std::mutex> lock(g_civet_mutex);
        g_civet_message.clear();
    }
    try {
        // One serving thread: a scrape a second needs no more.
        e->exposer_ = std::make_unique<prometheus::Exposer>(
            std::vector<std::string>{"listening_ports", listen, "num_threads", "1"}, &callbacks);
    } catch (const std::exception& ex) {
        std::lock_guard<std::mutex> lock(g_civet_mutex);
        // civetweb's own message names the address and the reason ("cannot bind to A:P: 98 (Address already in use)").
        r.error = "--metrics: " + (g_civet_message.empty() ? "cannot listen on " + listen + ": " + ex.what() : g_civet_message);
        return r;
    }
    e->registry_ = std::move(registry);
    e->exposer_->RegisterCollectable(e->registry_);
    e->address_ = address;
    std::vector<int> ports = e->exposer_->GetListeningPorts();
    e->port_ = ports.empty() ? address.port : static_cast<uint16_t>(ports.front());
    r.endpoint = std::move(e);
    return r;
}

MetricsEndpoint::~MetricsEndpoint() = default;

std::string MetricsEndpoint::url() const {
    std::string host = is_ipv6(address_.host) ? "[" + address_.host + "]" : address_.host;
    return "http://" + host + ":" + std::to_string(port_) + "/metrics";
}

}  // namespace pcscspy
