// The system-wide capture without the monitor, for tests: loads the probes,
// attaches them to the given library files, and turns what they send into event
// lines (monitor/ebpf/event_builder) on a thread of its own, until destroyed.
// When the kernel or the privileges refuse the probes, skip() says why: the
// test then exits with 77, which CTest reports as skipped.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/ebpf/event_builder.hpp"
#include "monitor/ebpf/kernel_probes.hpp"

namespace pcscspy::test {

class ProbeSession {
public:
    explicit ProbeSession(const std::vector<std::string>& libraries, ebpf::KernelProbes::Options options = {});
    ~ProbeSession();

    // Exits the test with 77 (skipped) and the reason when probes cannot run here.
    void require();
    const std::optional<ebpf::ProbeError>& error() const { return error_; }

    // The event lines of `pid` so far.
    std::vector<std::string> lines(int64_t pid);
    std::vector<nlohmann::json> events(int64_t pid);
    // Waits until `pid` has said bye (true) or the timeout.
    bool wait_for_bye(int64_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    void run();

    std::unique_ptr<ebpf::EventBuilder> builder_;
    std::unique_ptr<ebpf::KernelProbes> probes_;
    std::optional<ebpf::ProbeError> error_;
    std::mutex mutex_;
    std::vector<std::string> lines_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace pcscspy::test
