#include "support/probe_session.hpp"

#include <poll.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "monitor/ebpf/process_identity.hpp"

namespace pcscspy::test {

namespace {

int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t pid_of(const std::string& line) {
    size_t at = line.find("\"pid\":");
    return at == std::string::npos ? -1 : std::atoll(line.c_str() + at + 6);
}

}  // namespace

ProbeSession::ProbeSession(const std::vector<std::string>& libraries, ebpf::KernelProbes::Options options) {
    ebpf::EventBuilderOptions eo;
    eo.identify = [](uint32_t pid) { return ebpf::read_proc_identity("/proc", pid); };
    eo.spy_version = "test";
    builder_ = std::make_unique<ebpf::EventBuilder>(eo, [this](std::string_view line) {
        std::lock_guard<std::mutex> lock(mutex_);
        lines_.emplace_back(line);
    });
    auto loaded = ebpf::KernelProbes::load(options, [this](const void* data, size_t size) {
        builder_->on_record(data, size);
        return true;
    });
    if (!loaded.probes) {
        error_ = loaded.error;
        return;
    }
    probes_ = std::move(loaded.probes);
    for (const std::string& path : libraries) {
        if (auto err = probes_->attach_library(path)) {
            error_ = ebpf::ProbeError{ebpf::ProbeFailure::NoKernelSupport, *err};
            probes_.reset();
            return;
        }
    }
    for (const ebpf::ProbeLibrary& l : probes_->libraries()) builder_->set_library(l.index, l.path);
    builder_->set_wall_offset(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
    thread_ = std::thread([this] { run(); });
}

ProbeSession::~ProbeSession() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void ProbeSession::require() {
    if (!error_) return;
    std::printf("skipped: %s\n", error_->message.c_str());
    std::fflush(stdout);
    if (error_->failure == ebpf::ProbeFailure::NotPermitted || error_->failure == ebpf::ProbeFailure::NoKernelSupport)
        std::_Exit(77);
    std::_Exit(1);
}

void ProbeSession::run() {
    while (!stop_) {
        pollfd p{probes_->fd(), POLLIN, 0};
        poll(&p, 1, 10);
        probes_->drain(4096);
        const auto now = static_cast<uint64_t>(clock_ns(CLOCK_MONOTONIC));
        for (const ebpf::ProbeProcessCounts& c : probes_->process_counts()) builder_->lost_total(c.pid, c.lost, now);
        builder_->tick(now);
    }
}

std::vector<std::string> ProbeSession::lines(int64_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const std::string& l : lines_)
        if (pid_of(l) == pid) out.push_back(l);
    return out;
}

std::vector<nlohmann::json> ProbeSession::events(int64_t pid) {
    std::vector<nlohmann::json> out;
    for (const std::string& l : lines(pid)) out.push_back(nlohmann::json::parse(l));
    return out;
}

bool ProbeSession::wait_for_bye(int64_t pid, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        for (const std::string& l : lines(pid))
            if (l.find("\"type\":\"bye\"") != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace pcscspy::test
