#include "monitor/readers/reader_watcher.hpp"

#include <PCSC/pcsclite.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "protocol/hex.hpp"
#include "protocol/pcsc_names.hpp"

namespace pcscspy::readers {

namespace {

// pcsc-lite's pseudo reader that "changes" when readers come or go.
constexpr const char* kPnpReader = "\\\\?PnP?\\Notification";
// Reports not taken yet beyond this: the oldest go (each report holds every
// reader, so the newest one alone is the truth; only passing states are lost).
constexpr size_t kMaxPendingReports = 256;

int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Answers that mean the service is gone (stopped, restarted, unreachable).
bool service_lost(LONG rv) {
    return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_F_COMM_ERROR ||
           rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_INTERNAL_ERROR || rv == SCARD_E_NO_MEMORY;
}

std::string rv_text(LONG rv) {
    const Named* n = find_value(kReturnCodes, static_cast<uint32_t>(rv));
    return n ? std::string(n->name) : hex_value(static_cast<uint32_t>(rv), 8);
}

}  // namespace

ReaderWatcher::ReaderWatcher(ReaderWatcherOptions options) : options_(std::move(options)) {
    event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
}

ReaderWatcher::~ReaderWatcher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        // Interrupts a SCardGetStatusChange in progress (SCardCancel is meant to be
        // called from another thread); the context stays valid while we hold the lock.
        if (context_ && functions_) functions_->cancel(*context_);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (event_fd_ >= 0) close(event_fd_);
}

std::vector<ReaderReport> ReaderWatcher::take() {
    uint64_t n;
    [[maybe_unused]] ssize_t r = read(event_fd_, &n, sizeof n);
    std::lock_guard lock(mutex_);
    std::vector<ReaderReport> out(std::make_move_iterator(reports_.begin()), std::make_move_iterator(reports_.end()));
    reports_.clear();
    return out;
}

void ReaderWatcher::publish(ReaderReport report) {
    report.ts_us = now_us();
    {
        std::lock_guard lock(mutex_);
        reports_.push_back(std::move(report));
        while (reports_.size() > kMaxPendingReports) reports_.pop_front();
    }
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = write(event_fd_, &one, sizeof one);
}

void ReaderWatcher::sleep_ms(int64_t ms) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
}

void ReaderWatcher::run() {
    PcscLibrary::Result loaded = PcscLibrary::load(options_.library);
    if (!loaded.library) {
        publish({ReaderService::NoLibrary, loaded.error, 0, {}});
        return;
    }
    const PcscFunctions& f = loaded.library->fn();
    {
        std::lock_guard lock(mutex_);
        functions_ = &f;
    }
    std::string last_failure;
    while (!stop_) {
        SCARDCONTEXT ctx = 0;
        const LONG rv = f.establish_context(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
        if (rv != SCARD_S_SUCCESS) {
            // Said once per kind of failure, then tried again quietly.
            const std::string why = rv == SCARD_E_NO_SERVICE ? "" : rv_text(rv);
            if (last_failure != "!" + why) publish({ReaderService::NoService, why, 0, {}});
            last_failure = "!" + why;
            sleep_ms(options_.retry_ms);
            continue;
        }
        last_failure.clear();
        {
            std::lock_guard lock(mutex_);
            context_ = ctx;
        }
        if (!stop_) watch(f, ctx);
        {
            std::lock_guard lock(mutex_);
            context_.reset();
            f.release_context(ctx);
        }
    }
    std::lock_guard lock(mutex_);
    functions_ = nullptr;
}

bool ReaderWatcher::list_readers(const PcscFunctions& f, SCARDCONTEXT ctx, std::vector<std::string>& names, LONG& rv) {
    names.clear();
    // The size, then the list; readers may come between the two calls: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        DWORD size = 0;
        rv = f.list_readers(ctx, nullptr, nullptr, &size);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return true;
        if (rv != SCARD_S_SUCCESS) return false;
        std::vector<char> buffer(size + 1);
        rv = f.list_readers(ctx, nullptr, buffer.data(), &size);
        if (rv == SCARD_E_INSUFFICIENT_BUFFER) continue;
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return true;
        if (rv != SCARD_S_SUCCESS) return false;
        for (const char* p = buffer.data(); p < buffer.data() + size && *p; p += std::strlen(p) + 1) names.emplace_back(p);
        return true;
    }
    return false;
}

void ReaderWatcher::watch(const PcscFunctions& f, SCARDCONTEXT ctx) {
    std::vector<std::string> names;
    std::vector<SCARD_READERSTATE> states;  // [0]: the PnP pseudo reader, then each reader
    bool relist = true;
    bool list_news = false;  // the list changed: report even if no reader's state did
    bool pnp = true;         // pcscd tells of readers coming and going (else: listed after each wait)
    int unknown_in_a_row = 0;  // an old pcscd that does not know the PnP reader at all
    auto report_now = [&] {
        ReaderReport report;
        report.service = ReaderService::Running;
        for (size_t i = 1; i < states.size(); ++i) {
            const SCARD_READERSTATE& s = states[i];
            WatchedReader w;
            w.name = names[i - 1];
            w.event_state = s.dwCurrentState;
            if (s.dwCurrentState & SCARD_STATE_PRESENT)
                w.atr_hex = to_hex(ByteView(s.rgbAtr, std::min<size_t>(s.cbAtr, sizeof s.rgbAtr)));
            report.readers.push_back(std::move(w));
        }
        publish(std::move(report));
        list_news = false;
    };
    while (!stop_) {
        if (relist) {
            std::vector<std::string> fresh;
            LONG rv = SCARD_S_SUCCESS;
            if (!list_readers(f, ctx, fresh, rv)) {
                if (service_lost(rv)) break;
                sleep_ms(options_.retry_ms);
                continue;
            }
            // Readers still there keep the state already known; new ones start
            // UNAWARE, which SCardGetStatusChange answers at once.
            std::vector<SCARD_READERSTATE> next(1 + fresh.size());
            std::memset(next.data(), 0, next.size() * sizeof next[0]);
            next[0].dwCurrentState = states.empty() ? SCARD_STATE_UNAWARE : states[0].dwCurrentState;
            for (size_t i = 0; i < fresh.size(); ++i) {
                next[i + 1].dwCurrentState = SCARD_STATE_UNAWARE;
                for (size_t k = 0; k < names.size(); ++k)
                    if (names[k] == fresh[i]) next[i + 1].dwCurrentState = states[k + 1].dwCurrentState;
            }
            list_news = list_news || states.empty() || fresh != names;
            names = std::move(fresh);
            states = std::move(next);
            states[0].szReader = kPnpReader;
            for (size_t i = 0; i < names.size(); ++i) states[i + 1].szReader = names[i].c_str();
            relist = false;
            // Only readers that left (none new): say so now, not after the wait.
            bool unaware = false;
            for (size_t i = 1; i < states.size(); ++i) unaware = unaware || states[i].dwCurrentState == SCARD_STATE_UNAWARE;
            if (list_news && !unaware) report_now();
        }
        SCARD_READERSTATE* first = pnp ? states.data() : states.data() + 1;
        const auto count = static_cast<DWORD>(pnp ? states.size() : states.size() - 1);
        LONG rv = SCARD_E_TIMEOUT;
        if (count > 0) {
            for (SCARD_READERSTATE& s : states) s.dwEventState = 0;
            rv = f.get_status_change(ctx, pnp ? options_.wait_ms : std::min<uint32_t>(options_.wait_ms, 1000), first, count);
        } else {
            sleep_ms(1000);  // no PnP and no reader: look again in a second
        }
        if (stop_) break;
        if (rv == SCARD_E_UNKNOWN_READER) {  // a reader left between the list and the wait
            if (++unknown_in_a_row >= 3) pnp = false;
            relist = true;
            continue;
        }
        unknown_in_a_row = 0;
        if (service_lost(rv)) break;
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT && rv != SCARD_E_CANCELLED) {
            sleep_ms(options_.retry_ms);
            relist = true;
            continue;
        }
        bool news = list_news;
        if (rv == SCARD_S_SUCCESS) {
            if (pnp && (states[0].dwEventState & SCARD_STATE_UNKNOWN)) {
                pnp = false;  // this pcscd has no PnP notification
            } else if (pnp && (states[0].dwEventState & SCARD_STATE_CHANGED)) {
                states[0].dwCurrentState = states[0].dwEventState & ~SCARD_STATE_CHANGED;
                relist = true;
            }
            for (size_t i = 1; i < states.size(); ++i)
                if (states[i].dwEventState & SCARD_STATE_CHANGED) {
                    states[i].dwCurrentState = states[i].dwEventState & ~SCARD_STATE_CHANGED;
                    news = true;
                }
        } else if (!pnp) {
            relist = true;
        }
        if (news) report_now();
    }
    if (!stop_) publish({ReaderService::NoService, "", 0, {}});
}

}  // namespace pcscspy::readers
