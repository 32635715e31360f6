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

// Sends what the ring holds (one contiguous part) without blocking. The
// descriptor is read, used and (on failure) closed under g_sending, so it can
// never be a number the program has reused meanwhile.
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

void* flusher_main(void*) {
    int64_t last_activity = monotonic_ns();
    for (;;) {
        int fd = g_fd.load(std::memory_order_acquire);
        if (fd >= 0) {
            Sent r = send_some();
            if (r == Sent::Some) {
                last_activity = monotonic_ns();
                continue;
            }
            if (r == Sent::Gone) continue;
            if (r == Sent::Full) {
                // The monitor is slow: wait for room; events queue meanwhile.
                pollfd p{fd, POLLOUT, 0};
                poll(&p, 1, static_cast<int>(kFlushPeriodNs / 1'000'000));
                continue;
            }
        }
        uint32_t seen;
        if (fd < 0 || monotonic_ns() - last_activity > kFlusherIdleNs) {
            // Idle: sleep until a producer appends or a connection starts (both
            // bump the wake word, so a wake-up between here and the wait is kept).
            bool empty = g_ring.prepare_sleep(&seen);
            if (g_fd.load(std::memory_order_acquire) != fd || (!empty && fd >= 0)) continue;
            wait_flusher(seen, 1'000'000'000);
        } else {
            // Events flow: come back within a period, or earlier when the ring
            // passes its threshold.
            seen = __atomic_load_n(g_ring.wake_word(), __ATOMIC_ACQUIRE);
            wait_flusher(seen, kFlushPeriodNs);
        }
    }
    return nullptr;
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

    bool ok = false;
    int fd = -1;
    char* buffer = nullptr;
    if (g_fd.load(std::memory_order_relaxed) < 0 && path_is_trusted() && (fd = connect_socket()) >= 0 &&
        g_ring.allocate() && (buffer = thread_buffer()) != nullptr) {
        size_t n = encode_hello(buffer, kEventBufferBytes, header_now());
        if (n > 0) {
            g_ring.restart(buffer, n);
            g_fd.store(fd, std::memory_order_release);
            g_transport_connected.store(true, std::memory_order_release);
            start_flusher();
            g_ring.kick();
            wake_flusher();
            ok = true;
            debug_log("connected to %s", g_socket_path);
        }
    }
    if (!ok && fd >= 0) close(fd);
    pthread_mutex_unlock(&g_connection);
    return ok;
}

void transport_emit(const char* line, size_t n) {
    if (g_ring.append(line, n, lost_line) == EventRing::Append::StoredWake) wake_flusher();
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
    // Only this thread exists now: no flusher, and the connection is the
    // parent's. The child opens its own at its next call (with its own hello).
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
    // The bye counts every event dropped, those not yet reported included.
    size_t n = encode_bye(line, sizeof line, header_now(), calls, g_ring.total_lost());
    if (n) transport_emit(line, n);
    g_transport_connected.store(false, std::memory_order_release);
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
