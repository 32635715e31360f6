#include "interposer/transport.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "interposer/clock.hpp"
#include "interposer/debug_log.hpp"
#include "interposer/event_lines.hpp"
#include "interposer/event_ring.hpp"
#include "interposer/limits.hpp"
#include "interposer/thread_state.hpp"

namespace pcscspy::interposer {

std::atomic<bool> g_transport_connected{false};

namespace {

char g_socket_path[sizeof(sockaddr_un::sun_path)];
bool g_path_ok = false;

EventRing g_ring;
std::atomic<int> g_fd{-1};
std::atomic<int64_t> g_next_attempt_ns{0};
std::atomic<int64_t> g_connected_ns{0};  // when the current connection's hello went
std::atomic<bool> g_shut_down{false};
// Serialises connecting and disconnecting (never taken by a producer's append).
pthread_mutex_t g_connection = PTHREAD_MUTEX_INITIALIZER;
// Whoever sends (the flusher, or the exiting thread) holds this around one
// non-blocking send, so that bytes go out in ring order.
pthread_mutex_t g_sending = PTHREAD_MUTEX_INITIALIZER;
bool g_flusher_started = false;

long futex(uint32_t* word, int op, uint32_t value, const timespec* timeout) {
    return syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

void wake_flusher() { futex(g_ring.wake_word(), FUTEX_WAKE_PRIVATE, 1, nullptr); }

void wait_flusher(uint32_t seen, int64_t ns) {
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    futex(g_ring.wake_word(), FUTEX_WAIT_PRIVATE, seen, &ts);
}

size_t lost_line(char* out, size_t cap, uint64_t count) { return encode_lost(out, cap, header_now(), count); }

void disconnect(int fd, const char* why);

// The folder must be a real directory (not a symlink) owned by our euid with
// mode 0700, and the socket a socket, not a symlink.
bool path_is_trusted() {
    char dir[sizeof g_socket_path];
    memcpy(dir, g_socket_path, sizeof dir);
    char* slash = strrchr(dir, '/');
    if (!slash) return false;
    if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    struct stat st;
    if (lstat(dir, &st) != 0) return false;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
        debug_log("not connecting: %s must be a directory owned by uid %d with mode 0700", dir, geteuid());
        return false;
    }
    if (lstat(g_socket_path, &st) != 0) return false;
    if (!S_ISSOCK(st.st_mode)) {
        debug_log("not connecting: %s is not a socket", g_socket_path);
        return false;
    }
    return true;
}

int connect_socket() {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, g_socket_path, sizeof addr.sun_path);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || (cred.uid != geteuid() && cred.uid != 0)) {
        debug_log("not connecting: the listener runs as uid %d", static_cast<int>(cred.uid));
        close(fd);
        return -1;
    }
    return fd;
}

void disconnect(int fd, const char* why) {
    pthread_mutex_lock(&g_connection);
    if (g_fd.load(std::memory_order_relaxed) == fd) {
        g_next_attempt_ns.store(coarse_monotonic_ns() + kRetryPeriodNs, std::memory_order_relaxed);
        g_transport_connected.store(false, std::memory_order_relaxed);
        uint64_t lost = g_ring.discard();
        g_fd.store(-1, std::memory_order_release);
        close(fd);
        debug_log("monitor gone (%s), %llu events lost", why, static_cast<unsigned long long>(lost));
    }
    pthread_mutex_unlock(&g_connection);
}

enum class Sent : uint8_t { Some, Nothing, Full, Gone };

// Stream mode: sends what the ring holds (one contiguous part) without
// blocking. The descriptor is read, used and (on failure) closed under
// g_sending, so it can never be a number the program has reused meanwhile.
Sent send_some() {
    pthread_mutex_lock(&g_sending);
    const int fd = g_fd.load(std::memory_order_acquire);
    const char* data = nullptr;
    size_t n = fd >= 0 ? g_ring.peek(&data) : 0;
    ssize_t sent = n ? send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
    const int e = errno;
    Sent result = Sent::Some;
    if (fd < 0) result = Sent::Gone;
    else if (n == 0) result = Sent::Nothing;
    else if (sent > 0) g_ring.consume(static_cast<size_t>(sent));
    else if (sent < 0 && (e == EAGAIN || e == EWOULDBLOCK)) result = Sent::Full;
    else if (sent < 0 && e == EINTR) result = Sent::Some;
    else {
        disconnect(fd, sent == 0 ? "closed" : strerror(e));
        result = Sent::Gone;
    }
    pthread_mutex_unlock(&g_sending);
    return result;
}

// Monitor mode: one byte on the socket tells a sleeping monitor to read the
// ring. A full socket means a wake-up is already pending.
void wake_monitor() {
    pthread_mutex_lock(&g_sending);
    const int fd = g_fd.load(std::memory_order_acquire);
    if (fd >= 0) (void)!send(fd, &ring::kSignalByte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    pthread_mutex_unlock(&g_sending);
}

// Reads what the monitor sent (its answer for the ring, nothing else is expected). False
// when it closed the connection.
bool monitor_still_there(int fd) {
    char buf[64];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) continue;
        if (r < 0 && errno == EINTR) continue;
        return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

void disconnect_locked(int fd, const char* why) {
    pthread_mutex_lock(&g_sending);
    disconnect(fd, why);
    pthread_mutex_unlock(&g_sending);
}

// Stream mode: the flusher's loop body.
void stream_ring(int fd, int64_t& last_activity) {
    Sent r = send_some();
    if (r == Sent::Some) {
        last_activity = monotonic_ns();
        return;
    }
    if (r == Sent::Gone) return;
    if (r == Sent::Full) {
        // The listener is slow: wait for room; events queue meanwhile.
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, static_cast<int>(kFlushPeriodNs / 1'000'000));
        return;
    }
    uint32_t seen;
    if (monotonic_ns() - last_activity > kFlusherIdleNs) {
        // Idle: sleep until a producer appends or a connection starts (both
        // bump the wake word, so a wake-up between here and the wait is kept).
        bool empty = g_ring.prepare_sleep(&seen);
        if (g_fd.load(std::memory_order_acquire) != fd || !empty) return;
        wait_flusher(seen, 1'000'000'000);
    } else {
        // Events flow: come back within a period, or earlier when the ring
        // passes its threshold.
        seen = __atomic_load_n(g_ring.wake_word(), __ATOMIC_ACQUIRE);
        wait_flusher(seen, kFlushPeriodNs);
    }
}

// The flusher: learns who consumes the ring (the monitor answers within
// kClaimWaitNs of the hello: it claims the ring or asks for the stream; without
// an answer this process streams it), streams it in stream mode, and notices a
// monitor that went away in both modes.
void* flusher_main(void*) {
    int64_t last_activity = monotonic_ns();
    int told = -1;  // the connection whose consumer the debug log has told
    for (;;) {
        const int fd = g_fd.load(std::memory_order_acquire);
        if (fd < 0) {
            uint32_t seen;
            g_ring.prepare_sleep(&seen);
            if (g_fd.load(std::memory_order_acquire) < 0) wait_flusher(seen, 1'000'000'000);
            continue;
        }
        const ring::Consumer consumer = g_ring.consumer();
        if (consumer != ring::kUndecided && told != fd) {
            told = fd;
            debug_log(consumer == ring::kStream ? "streaming to the socket" : "the monitor reads the ring");
        }
        switch (consumer) {
            case ring::kStream: stream_ring(fd, last_activity); break;
            case ring::kUndecided: {
                const int64_t left = g_connected_ns.load(std::memory_order_relaxed) + kClaimWaitNs - monotonic_ns();
                if (left <= 0) {
                    if (g_ring.claim_stream()) debug_log("the listener did not answer for the ring: streaming to the socket");
                    last_activity = monotonic_ns();
                    break;
                }
                pollfd p{fd, POLLIN, 0};
                if (poll(&p, 1, static_cast<int>(left / 1'000'000) + 1) > 0 && !monitor_still_there(fd))
                    disconnect_locked(fd, "closed");
                break;
            }
            default: {
                // The monitor reads the ring itself: only wait for it to go.
                pollfd p{fd, POLLIN, 0};
                if (poll(&p, 1, 1000) > 0 && !monitor_still_there(fd)) disconnect_locked(fd, "closed");
                break;
            }
        }
    }
    return nullptr;
}

// Sends the hello with the ring's descriptor attached (SCM_RIGHTS). The
// socket is fresh, so the line fits its buffer; a short wait covers the rest.
bool send_hello(int fd, const char* line, size_t n, int ring_fd) {
    iovec iov{const_cast<char*>(line), n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &ring_fd, sizeof(int));
    size_t done = 0;
    const int64_t deadline = monotonic_ns() + kHelloSendNs;
    while (done < n) {
        ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            done += static_cast<size_t>(r);
            iov = iovec{const_cast<char*>(line) + done, n - done};
            msg.msg_control = nullptr;  // the descriptor went with the first byte
            msg.msg_controllen = 0;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        const int64_t left = deadline - monotonic_ns();
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || left <= 0) return false;
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, static_cast<int>(left / 1'000'000) + 1);
    }
    return true;
}

void start_flusher() {
    if (g_flusher_started) return;
    // The flusher must not take signals meant for the program's threads.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t t;
    if (pthread_create(&t, &attr, flusher_main, nullptr) == 0) {
        g_flusher_started = true;
        pthread_setname_np(t, "pcscspy-flush");
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

void transport_init() {
    const char* forced = getenv("PCSCSPY_SOCKET");
    const char* runtime = getenv("XDG_RUNTIME_DIR");
    int n;
    if (forced && *forced) n = snprintf(g_socket_path, sizeof g_socket_path, "%s", forced);
    else if (runtime && *runtime) n = snprintf(g_socket_path, sizeof g_socket_path, "%s/pcscspy/socket", runtime);
    else n = snprintf(g_socket_path, sizeof g_socket_path, "/tmp/pcscspy-%d/socket", static_cast<int>(getuid()));
    g_path_ok = n > 0 && static_cast<size_t>(n) < sizeof g_socket_path;
    if (!g_path_ok) debug_log("socket path too long, not connecting");
}

bool transport_try_connect() {
    int64_t now = coarse_monotonic_ns();
    int64_t due = g_next_attempt_ns.load(std::memory_order_relaxed);
    if (now < due || !g_path_ok || g_shut_down.load(std::memory_order_relaxed)) return false;
    // One thread attempts; the others carry on untraced.
    if (!g_next_attempt_ns.compare_exchange_strong(due, now + kRetryPeriodNs, std::memory_order_relaxed)) return false;
    if (pthread_mutex_trylock(&g_connection) != 0) return false;
    // Nobody may be sending from the previous ring while it is replaced.
    if (pthread_mutex_trylock(&g_sending) != 0) {
        pthread_mutex_unlock(&g_connection);
        return false;
    }

    bool ok = false;
    int fd = -1;
    char* buffer = nullptr;
    if (g_fd.load(std::memory_order_relaxed) < 0 && path_is_trusted() && (fd = connect_socket()) >= 0 &&
        (buffer = thread_buffer()) != nullptr) {
        size_t n = encode_hello(buffer, kEventBufferBytes, header_now());
        int ring_fd = n > 0 ? g_ring.open_shared(process_id()) : -1;
        if (ring_fd < 0) debug_log("cannot create the shared ring: %s", strerror(errno));
        if (ring_fd >= 0 && send_hello(fd, buffer, n, ring_fd)) {
            g_connected_ns.store(monotonic_ns(), std::memory_order_relaxed);
            g_fd.store(fd, std::memory_order_release);
            g_transport_connected.store(true, std::memory_order_release);
            start_flusher();
            g_ring.kick();
            wake_flusher();
            ok = true;
            debug_log("connected to %s", g_socket_path);
        } else if (ring_fd >= 0) {
            g_ring.discard();
        }
        if (ring_fd >= 0) close(ring_fd);
    }
    if (!ok && fd >= 0) close(fd);
    pthread_mutex_unlock(&g_sending);
    pthread_mutex_unlock(&g_connection);
    return ok;
}

void transport_emit(const char* line, size_t n, LineKind kind, uint64_t seq) {
    switch (g_ring.append(line, n, kind, seq, lost_line)) {
        case EventRing::Append::WakeFlusher: wake_flusher(); break;
        case EventRing::Append::WakeMonitor: wake_monitor(); break;
        default: break;
    }
}

void transport_before_fork() {
    pthread_mutex_lock(&g_connection);
    g_ring.lock();
}

void transport_after_fork_parent() {
    g_ring.unlock();
    pthread_mutex_unlock(&g_connection);
}

void transport_after_fork_child() {
    // Only this thread exists now: no flusher, and the connection and its ring
    // are the parent's. The child opens its own at its next call (with its own
    // hello and ring).
    pthread_mutex_init(&g_connection, nullptr);
    pthread_mutex_init(&g_sending, nullptr);
    g_ring.reset_after_fork();
    int fd = g_fd.exchange(-1);
    if (fd >= 0) close(fd);
    g_transport_connected.store(false);
    g_next_attempt_ns.store(0);
    g_flusher_started = false;
}

void transport_shutdown(uint64_t calls) {
    if (g_shut_down.exchange(true)) return;
    if (!g_transport_connected.load(std::memory_order_acquire)) return;
    char line[kSmallEventBytes];
    // The bye counts every call dropped, those not yet reported included.
    size_t n = encode_bye(line, sizeof line, header_now(), calls, g_ring.total_lost());
    if (n) transport_emit(line, n, LineKind::Other, 0);
    g_transport_connected.store(false, std::memory_order_release);
    // A monitor that claimed the ring reads it after we are gone: nothing to
    // wait for. A stream (asked for, or to a listener that did not answer)
    // gets what is left from here; pcscspy-top would also read it from the
    // ring after we are gone, but another listener would not.
    if (!g_ring.claim_stream()) return;
    // Drain from here rather than wait for the flusher: in a short-lived
    // program on a busy machine it may not even have been scheduled yet.
    const int64_t deadline = monotonic_ns() + kExitFlushNs;
    for (int64_t now = monotonic_ns(); now < deadline; now = monotonic_ns()) {
        int fd = g_fd.load(std::memory_order_acquire);
        Sent r = send_some();
        if (r == Sent::Nothing || r == Sent::Gone) break;
        if (r == Sent::Full) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, static_cast<int>((deadline - now) / 1'000'000) + 1);
        }
    }
}

}  // namespace pcscspy::interposer
