// ReaderWatcher: the monitor's own view of the readers and their cards, as
// pcsc_scan has it: an untraced PC/SC context of its own (PcscLibrary) in a
// thread blocked in SCardGetStatusChange on every reader and on pcsc-lite's
// "\\?PnP?\Notification" pseudo reader, so that readers plugged in or out and
// cards inserted or removed are seen as they happen, with nobody traced. When
// pcscd is absent or stops it says so, and tries again every second, so that a
// pcscd started later is found. Each change is a ReaderReport (all readers, with
// their state and ATR); the monitor's loop takes them (fd() becomes readable)
// and hands them to SessionModel::apply_reader_report: they are never events of
// the stream and never mix with traced programs' calls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "monitor/model/reader_report.hpp"
#include "monitor/readers/pcsc_library.hpp"

namespace pcscspy::readers {

struct ReaderWatcherOptions {
    std::optional<std::string> library;  // a libpcsclite to load (tests); default: the system's
    int64_t retry_ms = 1000;             // pcscd absent: how often to try again
    uint32_t wait_ms = 5000;             // longest wait in SCardGetStatusChange (readers listed again after)
};

class ReaderWatcher {
public:
    // Starts the thread (call after the monitor blocked its signals: the
    // thread inherits that). Never fails: a missing library is a report too.
    explicit ReaderWatcher(ReaderWatcherOptions options = {});
    ~ReaderWatcher();  // cancels the wait, joins the thread, releases the context
    ReaderWatcher(const ReaderWatcher&) = delete;
    ReaderWatcher& operator=(const ReaderWatcher&) = delete;

    // Readable while reports wait; take() empties it.
    int fd() const { return event_fd_; }
    // The reports since the last take, oldest first.
    std::vector<ReaderReport> take();

private:
    void run();
    void watch(const PcscFunctions& f, SCARDCONTEXT ctx);
    bool list_readers(const PcscFunctions& f, SCARDCONTEXT ctx, std::vector<std::string>& names, LONG& rv);
    void publish(ReaderReport report);
    void sleep_ms(int64_t ms);  // returns early when stopping

    ReaderWatcherOptions options_;
    int event_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;  // guards reports_, context_ (with SCardCancel and release) and the sleep
    std::condition_variable wake_;
    std::deque<ReaderReport> reports_;
    std::optional<SCARDCONTEXT> context_;
    const PcscFunctions* functions_ = nullptr;
    std::thread thread_;
};

}  // namespace pcscspy::readers
