// LineAssembler: turns the bytes of one connection, as they arrive in pieces,
// into complete lines. A line longer than the maximum is rejected (reported once
// with its length) and everything up to the next newline is skipped, so the
// stream resynchronises on the next line. Complete lines inside one chunk are
// handed out without a copy.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pcscspy {

// The interposer's largest events are ~300 KB (SCardControl/Transmit with 64 KB
// buffers in hex); 1 MiB leaves room without letting one client hold much memory.
inline constexpr size_t kMaxLineLength = 1 << 20;

class LineAssembler {
public:
    explicit LineAssembler(size_t max_line = kMaxLineLength) : max_(max_line) {}

    // on_line(std::string_view line) for each complete line (without '\n');
    // on_overlong(size_t length) for each line over the maximum (its length so far).
    template <class OnLine, class OnOverlong>
    void feed(std::string_view data, OnLine&& on_line, OnOverlong&& on_overlong) {
        while (!data.empty()) {
            size_t nl = data.find('\n');
            if (discarding_) {
                if (nl == std::string_view::npos) {
                    discarded_ += data.size();
                    return;
                }
                discarded_ += nl;
                on_overlong(discarded_);
                discarding_ = false;
                discarded_ = 0;
                data.remove_prefix(nl + 1);
                continue;
            }
            if (nl == std::string_view::npos) {
                if (buffer_.size() + data.size() > max_) {
                    discarding_ = true;
                    discarded_ = buffer_.size() + data.size();
                    buffer_.clear();
                    buffer_.shrink_to_fit();
                } else {
                    buffer_.append(data);
                }
                return;
            }
            if (buffer_.size() + nl > max_) {
                on_overlong(buffer_.size() + nl);
                buffer_.clear();
            } else if (buffer_.empty()) {
                on_line(data.substr(0, nl));
            } else {
                buffer_.append(data.substr(0, nl));
                on_line(std::string_view(buffer_));
                buffer_.clear();
            }
            data.remove_prefix(nl + 1);
        }
    }

    // Bytes of an incomplete line waiting for the rest (a stalled or cut client).
    size_t pending() const { return discarding_ ? discarded_ : buffer_.size(); }
    size_t max_line() const { return max_; }
    // Memory it holds for that incomplete line.
    size_t buffered() const { return buffer_.size(); }

private:
    size_t max_;
    std::string buffer_;
    bool discarding_ = false;
    size_t discarded_ = 0;
};

}  // namespace pcscspy
