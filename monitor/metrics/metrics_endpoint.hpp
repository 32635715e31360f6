// --metrics [ADDR:]PORT: the Prometheus endpoint /metrics, served by
// prometheus-cpp's pull exposer (civetweb) on its own thread. What it serves is
// the registry, whose metrics SessionMetrics keeps up to date.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace pcscspy {

struct MetricsAddress {
    std::string host = "127.0.0.1";  // a numeric IPv4 or IPv6 address
    uint16_t port = 0;               // 0: any free port (said at start)
    bool operator==(const MetricsAddress&) const = default;
};

// "PORT", "ADDR:PORT" or "[IPV6]:PORT". On bad text returns nullopt and sets *error.
std::optional<MetricsAddress> parse_metrics_address(std::string_view text, std::string* error);

class MetricsEndpoint {
public:
    struct Result;
    // Starts serving. The exposer's threads inherit the caller's signal mask:
    // start it after MonitorSession has blocked its signals.
    static Result start(const MetricsAddress& address, std::shared_ptr<prometheus::Registry> registry);
    ~MetricsEndpoint();

    // http://ADDR:PORT/metrics, with the port actually bound.
    std::string url() const;
    uint16_t port() const { return port_; }

private:
    MetricsEndpoint() = default;
    std::unique_ptr<prometheus::Exposer> exposer_;
    std::shared_ptr<prometheus::Registry> registry_;
    MetricsAddress address_;
    uint16_t port_ = 0;
};

struct MetricsEndpoint::Result {
    std::unique_ptr<MetricsEndpoint> endpoint;
    std::string error;  // one line
};

}  // namespace pcscspy
