#include "monitor/io/apdu_capture.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "monitor/io/pcapng.hpp"
#include "monitor/model/event_facts.hpp"
#include "monitor/model/process_name.hpp"
#include "protocol/pcsc_names.hpp"
#include "protocol/secrets.hpp"

namespace pcscspy {

namespace {

constexpr size_t kFlushAt = 256 * 1024;
constexpr std::string_view kDissector = "iso7816";

Bytes bytes_of(const std::optional<std::string>& hex) {
    if (!hex) return {};
    HexParse p = parse_hex(*hex);
    return p.ok() ? std::move(p.bytes) : Bytes{};
}

// Names from the traced programs go into the capture's text (interface names,
// comments) without control characters: they are text for another program to
// show, and tshark prints them on a terminal.
std::string plain(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return out;
}

std::string milliseconds(int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
    return buf;
}

}  // namespace

ApduCapture::Result ApduCapture::open(const std::string& path, bool show_secrets) {
    Result r;
    // Non-blocking open: a FIFO without a reader is refused instead of hanging.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
        r.error = "cannot create the capture " + path + ": " + std::strerror(errno);
        return r;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
        ::close(fd);
        r.error = "the capture " + path + " must be a regular file";
        return r;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    // Captures hold card data: private, also when the file existed.
    if (S_ISREG(st.st_mode) && (st.st_mode & 0077) && fchmod(fd, 0600) != 0) {
        r.error = "cannot make the capture " + path + " private (mode 0600): " + std::strerror(errno);
        ::close(fd);
        return r;
    }
    r.capture.emplace(ApduCapture(fd, path, show_secrets));
    if (!r.capture->flush()) {
        r.error = r.capture->error();
        r.capture.reset();
    }
    return r;
}

ApduCapture::ApduCapture(int fd, std::string path, bool show_secrets)
    : fd_(fd), path_(std::move(path)), show_secrets_(show_secrets) {
    buffer_ = pcapng::section_header("pcscspy-top " PCSCSPY_VERSION);
}

ApduCapture::ApduCapture(ApduCapture&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), show_secrets_(o.show_secrets_), buffer_(std::move(o.buffer_)),
      error_(std::move(o.error_)), interfaces_(std::move(o.interfaces_)), exchanges_(o.exchanges_) {
    o.fd_ = -1;
}

ApduCapture::~ApduCapture() {
    if (fd_ < 0) return;
    flush();
    ::close(fd_);
}

uint32_t ApduCapture::interface_for(const SessionModel& model, int16_t reader) {
    auto it = interfaces_.find(reader);
    if (it != interfaces_.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(interfaces_.size());
    const bool known = reader >= 0 && static_cast<size_t>(reader) < model.readers().size();
    const std::string name =
        known ? plain(model.readers()[static_cast<size_t>(reader)].name) : "unknown reader";
    buffer_ += pcapng::interface_description(
        pcapng::kLinkTypeExportedPdu, name,
        known ? "PC/SC reader, APDUs seen by pcscspy-top"
              : "PC/SC card handles connected before tracing began (reader not known)");
    interfaces_.emplace(reader, id);
    return id;
}

void ApduCapture::add(const SessionModel& model, const CallRecord& call) {
    if (!error_.empty() || model.function_name(call) != "SCardTransmit") return;
    EventFacts facts;
    if (read_event_facts(call.raw, facts) || !facts.args.send_hex) return;
    Bytes command = bytes_of(facts.args.send_hex);
    if (command.empty()) return;
    if (!show_secrets_ && (call.flags & CallRecord::kSecret))
        command = redact_command(command, static_cast<AppletKind>(call.applet_kind));

    const ProcessInfo* p = model.process_at(call.process);
    const std::string who = "pid " + std::to_string(call.pid) + " " + (p ? plain(process_name(*p)) : std::string(kFoldedProcess)) +
                            ", call #" + std::to_string(call.seq);
    const uint32_t iface = interface_for(model, call.reader);
    const Bytes response = call.rv == 0 ? bytes_of(facts.args.recv_hex) : Bytes{};
    std::string command_comment = who;
    if (call.rv != 0) {
        const Named* rc = find_return_code(call.rv);
        command_comment += ", failed: " + (rc ? std::string(rc->name) : hex_value(static_cast<uint32_t>(call.rv)));
    }
    buffer_ += pcapng::enhanced_packet(iface, call.ts_us,
                                       pcapng::exported_pdu(kDissector, pcapng::Direction::Outbound, command),
                                       command_comment, pcapng::Direction::Outbound);
    if (!response.empty())
        buffer_ += pcapng::enhanced_packet(iface, call.end_us(),
                                           pcapng::exported_pdu(kDissector, pcapng::Direction::Inbound, response),
                                           who + ", " + milliseconds(call.dur_ns), pcapng::Direction::Inbound);
    ++exchanges_;
    if (buffer_.size() >= kFlushAt) flush();
}

bool ApduCapture::flush() {
    if (!error_.empty()) return true;  // failed before: said then, nothing more is written
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = "writing the capture " + path_ + ": " + std::strerror(errno) + " (the capture stops here)";
            buffer_.clear();  // the session goes on without it
            return false;
        }
        done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return true;
}

}  // namespace pcscspy
