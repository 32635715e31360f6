// The traced program of the interposer tests: linked against libpcsclite.so.1
// and run with the interposer preloaded (the scripted double as its backend),
// or in the replace and delegate layouts. argv[1] picks a scenario; results are
// printed on stdout for the test to check. See tests/interposer/*.cpp.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <reader.h>
#include <winscard.h>

namespace {

const char* name(LONG rv) {
    static char text[32];
    snprintf(text, sizeof text, "0x%08lX", static_cast<unsigned long>(rv));
    return text;
}

// The double's pcscdouble_configure, wherever the interposer loaded it from.
void configure(const char* spec) {
    using Fn = void (*)(const char*);
    static Fn fn = [] {
        // The interposer loads its backend at the first PC/SC call: make one
        // that is not traced.
        (void)pcsc_stringify_error(SCARD_S_SUCCESS);
        void* f = dlsym(RTLD_DEFAULT, "pcscdouble_configure");
        const char* backend = getenv("PCSCSPY_BACKEND");
        if (!f && backend) {
            if (void* h = dlopen(backend, RTLD_LAZY | RTLD_NOLOAD)) f = dlsym(h, "pcscdouble_configure");
        }
        return reinterpret_cast<Fn>(f);
    }();
    if (!fn) {
        fprintf(stderr, "host: the double is not loaded\n");
        exit(3);
    }
    fn(spec);
}

std::vector<int> open_fds() {
    std::vector<int> fds;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return fds;
    int own = dirfd(d);
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.' && atoi(e->d_name) != own) fds.push_back(atoi(e->d_name));
    closedir(d);
    return fds;
}

int thread_count() {
    int n = 0;
    DIR* d = opendir("/proc/self/task");
    while (d && readdir(d)) ++n;
    if (d) closedir(d);
    return n - 2;  // . and ..
}

void print_fds(const char* label) {
    printf("%s", label);
    for (int fd : open_fds()) printf(" %d", fd);
    printf("\n");
    fflush(stdout);
}

// Each call of the odd-argument script prints its label, in call order.
#define STEP(label, expr)                \
    do {                                 \
        printf("step %s\n", label);      \
        (void)(expr);                    \
    } while (0)

int odd_arguments() {
    SCARDCONTEXT ctx = 0;
    DWORD len = 0;
    char* mem = nullptr;
    char buf[512];
    configure("readers=2");
    STEP("establish", SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx));
    STEP("establish-null-out", SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, nullptr));
    STEP("valid", SCardIsValidContext(ctx));
    len = 0;
    STEP("groups-len", SCardListReaderGroups(ctx, nullptr, &len));
    len = SCARD_AUTOALLOCATE;
    STEP("groups-auto", SCardListReaderGroups(ctx, reinterpret_cast<LPSTR>(&mem), &len));
    STEP("free-groups", SCardFreeMemory(ctx, mem));

    configure("readers=16 badnames=1");
    len = SCARD_AUTOALLOCATE;
    STEP("readers-auto", SCardListReaders(ctx, nullptr, reinterpret_cast<LPSTR>(&mem), &len));
    STEP("free-readers", SCardFreeMemory(ctx, mem));
    len = 10;
    STEP("readers-small", SCardListReaders(ctx, nullptr, buf, &len));
    STEP("readers-null-len", SCardListReaders(ctx, nullptr, buf, nullptr));

    SCARD_READERSTATE states[17] = {};
    char names[16][64];
    for (int i = 0; i < 16; ++i) {
        snprintf(names[i], sizeof names[i], "Double \xff\xfe Reader %02d", i);
        states[i].szReader = names[i];
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    states[16].szReader = "\\\\?PnP?\\Notification";
    STEP("status-change-17", SCardGetStatusChange(ctx, 0, states, 17));
    STEP("status-change-huge", SCardGetStatusChange(ctx, 0, states, 1000));
    STEP("status-change-null", SCardGetStatusChange(ctx, 0, nullptr, 0));

    SCARDHANDLE card = 0;
    DWORD proto = 0;
    STEP("connect", SCardConnect(ctx, names[0], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto));
    STEP("connect-null-out", SCardConnect(ctx, names[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, nullptr, nullptr));
    STEP("reconnect", SCardReconnect(card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &proto));

    char* auto_name = nullptr;
    BYTE* auto_atr = nullptr;
    DWORD name_len = SCARD_AUTOALLOCATE, atr_len = SCARD_AUTOALLOCATE, state = 0;
    STEP("status-auto", SCardStatus(card, reinterpret_cast<LPSTR>(&auto_name), &name_len, &state, &proto,
                                    reinterpret_cast<LPBYTE>(&auto_atr), &atr_len));
    STEP("free-name", SCardFreeMemory(ctx, auto_name));
    STEP("free-atr", SCardFreeMemory(ctx, auto_atr));
    BYTE atr[MAX_ATR_SIZE];
    name_len = sizeof buf;
    atr_len = sizeof atr;
    STEP("status-buffers", SCardStatus(card, buf, &name_len, &state, &proto, atr, &atr_len));
    name_len = sizeof buf;
    atr_len = 4;
    STEP("status-small-atr", SCardStatus(card, buf, &name_len, &state, &proto, atr, &atr_len));

    STEP("begin", SCardBeginTransaction(card));
    STEP("end", SCardEndTransaction(card, SCARD_LEAVE_CARD));

    SCARD_IO_REQUEST recv_pci = {};
    BYTE challenge[] = {0x00, 0x84, 0x00, 0x00, 0x08};
    BYTE resp[300];
    DWORD resp_len = sizeof resp;
    STEP("transmit", SCardTransmit(card, SCARD_PCI_T1, challenge, sizeof challenge, &recv_pci, resp, &resp_len));
    BYTE same[300] = {0x00, 0x84, 0x00, 0x00, 0x04};
    resp_len = sizeof same;
    STEP("transmit-same-buffer", SCardTransmit(card, SCARD_PCI_T1, same, 5, nullptr, same, &resp_len));

    configure("resp=65536");
    std::vector<BYTE> ext_cmd(MAX_BUFFER_SIZE_EXTENDED), ext_resp(65538);
    for (size_t i = 0; i < ext_cmd.size(); ++i) ext_cmd[i] = static_cast<BYTE>(i * 7);
    resp_len = static_cast<DWORD>(ext_resp.size());
    STEP("transmit-extended", SCardTransmit(card, SCARD_PCI_T1, ext_cmd.data(), static_cast<DWORD>(ext_cmd.size()),
                                            nullptr, ext_resp.data(), &resp_len));
    configure("");
    resp_len = sizeof resp;
    STEP("transmit-null-send", SCardTransmit(card, SCARD_PCI_T1, nullptr, 5, nullptr, resp, &resp_len));
    resp_len = sizeof resp;
    STEP("transmit-huge-len", SCardTransmit(card, SCARD_PCI_T1, challenge, 0x7FFFFFFF, nullptr, resp, &resp_len));
    resp_len = 4;
    STEP("transmit-small-recv", SCardTransmit(card, SCARD_PCI_T1, challenge, sizeof challenge, nullptr, resp, &resp_len));

    configure("lie=1 readers=2");
    resp_len = 20;
    STEP("transmit-lie", SCardTransmit(card, SCARD_PCI_T1, challenge, sizeof challenge, nullptr, resp, &resp_len));
    BYTE ctl_in[] = {1, 2, 3, 4}, ctl_out[8];
    DWORD returned = 0;
    STEP("control-lie", SCardControl(card, 0x42000001, ctl_in, sizeof ctl_in, ctl_out, sizeof ctl_out, &returned));
    char lie_buf[100];
    len = sizeof lie_buf;
    STEP("readers-lie", SCardListReaders(ctx, nullptr, lie_buf, &len));
    SCARD_READERSTATE one = {};
    one.szReader = "Double Reader 00";
    STEP("status-change-lie", SCardGetStatusChange(ctx, 0, &one, 1));
    configure("");

    BYTE features[256];
    STEP("control-features", SCardControl(card, 0x42000D48, nullptr, 0, features, sizeof features, &returned));
    STEP("control-null-returned", SCardControl(card, 0x42000001, ctl_in, sizeof ctl_in, ctl_out, sizeof ctl_out, nullptr));

    DWORD attr_len = 0;
    STEP("getattrib-len", SCardGetAttrib(card, SCARD_ATTR_VENDOR_NAME, nullptr, &attr_len));
    BYTE* auto_attr = nullptr;
    attr_len = SCARD_AUTOALLOCATE;
    STEP("getattrib-auto", SCardGetAttrib(card, SCARD_ATTR_VENDOR_NAME, reinterpret_cast<LPBYTE>(&auto_attr), &attr_len));
    STEP("free-attr", SCardFreeMemory(ctx, auto_attr));
    attr_len = sizeof buf;
    STEP("getattrib-unsupported", SCardGetAttrib(card, SCARD_ATTR_ATR_STRING, reinterpret_cast<LPBYTE>(buf), &attr_len));
    BYTE attr_in[] = {1, 2};
    STEP("setattrib", SCardSetAttrib(card, SCARD_ATTR_VENDOR_NAME, attr_in, sizeof attr_in));

    configure("rv=SCardCancel:80100099");
    STEP("cancel-unknown-rv", SCardCancel(ctx));
    configure("bigmsz=1");
    len = SCARD_AUTOALLOCATE;
    STEP("readers-big", SCardListReaders(ctx, nullptr, reinterpret_cast<LPSTR>(&mem), &len));
    STEP("free-big", SCardFreeMemory(ctx, mem));
    configure("");

    STEP("disconnect", SCardDisconnect(card, SCARD_LEAVE_CARD));
    STEP("after-disconnect", SCardBeginTransaction(card));
    STEP("release", SCardReleaseContext(ctx));
    fflush(stdout);
    return 0;
}

// A typical session: what the mode tests (replace, delegate, no backend) run.
int basic_session() {
    SCARDCONTEXT ctx = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    printf("establish %s\n", name(rv));
    char readers[1024];
    DWORD len = sizeof readers;
    rv = SCardListReaders(ctx, nullptr, readers, &len);
    printf("list %s\n", name(rv));
    SCARDHANDLE card = 0;
    DWORD proto = 0;
    rv = SCardConnect(ctx, rv == SCARD_S_SUCCESS ? readers : "none", SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &card, &proto);
    printf("connect %s\n", name(rv));
    BYTE cmd[] = {0x00, 0x84, 0x00, 0x00, 0x08}, resp[32];
    len = sizeof resp;
    // With a pioRecvPci: Debian 12's pcsc-lite spy (libpcscspy.so.0, used as a
    // backend by a test) crashes on a NULL one.
    SCARD_IO_REQUEST recv_pci = {};
    rv = SCardTransmit(card, SCARD_PCI_T1, cmd, sizeof cmd, &recv_pci, resp, &len);
    printf("transmit %s\n", name(rv));
    printf("disconnect %s\n", name(SCardDisconnect(card, SCARD_LEAVE_CARD)));
    printf("release %s\n", name(SCardReleaseContext(ctx)));
    printf("stringify %s\n", pcsc_stringify_error(SCARD_E_TIMEOUT));
    return 0;
}

// VERIFY with a PIN, then GET CHALLENGE (for PCSCSPY_REDACT=1).
int verify() {
    SCARDCONTEXT ctx = 0;
    SCARDHANDLE card = 0;
    DWORD proto = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    SCardConnect(ctx, "Double Reader 00", SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &card, &proto);
    BYTE pin[] = {0x00, 0x20, 0x00, 0x81, 0x04, 0x31, 0x32, 0x33, 0x34};
    BYTE challenge[] = {0x00, 0x84, 0x00, 0x00, 0x08};
    BYTE resp[32];
    DWORD len = sizeof resp;
    LONG rv = SCardTransmit(card, SCARD_PCI_T1, pin, sizeof pin, nullptr, resp, &len);
    printf("verify %s pin %02X%02X%02X%02X\n", name(rv), pin[5], pin[6], pin[7], pin[8]);
    len = sizeof resp;
    SCardTransmit(card, SCARD_PCI_T1, challenge, sizeof challenge, nullptr, resp, &len);
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return 0;
}

// T threads x N transmits on one card.
int threads(int t, int n) {
    SCARDCONTEXT ctx = 0;
    SCARDHANDLE card = 0;
    DWORD proto = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    SCardConnect(ctx, "Double Reader 00", SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &card, &proto);
    std::atomic<long> failures{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < t; ++i)
        pool.emplace_back([&, i] {
            BYTE cmd[] = {0x00, 0xB0, static_cast<BYTE>(i), 0x00, 0x00}, resp[32];
            for (int k = 0; k < n; ++k) {
                DWORD len = sizeof resp;
                if (SCardTransmit(card, SCARD_PCI_T1, cmd, sizeof cmd, nullptr, resp, &len) != SCARD_S_SUCCESS) ++failures;
            }
        });
    for (auto& th : pool) th.join();
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    printf("calls=%ld failures=%ld\n", 4L + static_cast<long>(t) * n, failures.load());
    return 0;
}

// Many calls as fast as possible (a monitor that does not read), then waits for
// a line on stdin, then a few more calls.
int flood(int n) {
    SCARDCONTEXT ctx = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) SCardIsValidContext(ctx);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    printf("phase1 %lld ms\n", static_cast<long long>(ms));
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return 1;
    for (int i = 0; i < 10; ++i) SCardIsValidContext(ctx);
    SCardReleaseContext(ctx);
    printf("calls=%d\n", n + 12);
    return 0;
}

// COUNT calls, one every MS milliseconds.
int paced(int ms, int count) {
    SCARDCONTEXT ctx = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    for (int i = 0; i < count; ++i) {
        SCardIsValidContext(ctx);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    SCardReleaseContext(ctx);
    printf("calls=%d\n", count + 2);
    return 0;
}

// errno after each call is what the backend left (PCSCDOUBLE errno=N), or, when
// the backend leaves it alone, what the program had before the call.
int errno_kept(int expected) {
    SCARDCONTEXT ctx = 0;
    int bad = 0;
    for (int i = 0; i < 50; ++i) {
        errno = 1234;
        SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
        int want = expected >= 0 ? expected : 1234;
        if (errno != want) ++bad;
        errno = 4321;
        SCardReleaseContext(ctx);
        if (errno != (expected >= 0 ? expected : 4321)) ++bad;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    printf("errno mismatches=%d\n", bad);
    return 0;
}

// One thread waits in SCardGetStatusChange (INFINITE); after a while another
// cancels it.
int blocking(int wait_ms) {
    SCARDCONTEXT ctx = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    LONG result = 0;
    std::thread waiter([&] {
        SCARD_READERSTATE s = {};
        s.szReader = "Double Reader 00";
        result = SCardGetStatusChange(ctx, INFINITE, &s, 1);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    SCardCancel(ctx);
    waiter.join();
    SCardReleaseContext(ctx);
    printf("waited %s\n", name(result));
    return 0;
}

// The child of a fork gets its own connection; then exec: nothing leaks.
int fork_exec(const char* self) {
    SCARDCONTEXT ctx = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        SCardIsValidContext(ctx);
        SCardIsValidContext(ctx);
        // Straight to exec: what these calls wrote is in the old image's
        // ring, which the monitor drains.
        execl(self, self, "after-exec", static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    SCardReleaseContext(ctx);
    printf("parent %d child %d status %d\n", static_cast<int>(getpid()), static_cast<int>(pid), WEXITSTATUS(status));
    return 0;
}

int after_exec() {
    print_fds("fds-before-call");
    SCARDCONTEXT ctx = 0;
    SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    SCardReleaseContext(ctx);
    return 0;
}

int dlopen_library(const char* lib) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    auto establish = reinterpret_cast<decltype(&SCardEstablishContext)>(dlsym(h, "SCardEstablishContext"));
    auto release = reinterpret_cast<decltype(&SCardReleaseContext)>(dlsym(h, "SCardReleaseContext"));
    auto stringify = reinterpret_cast<decltype(&pcsc_stringify_error)>(dlsym(h, "pcsc_stringify_error"));
    bool data = dlsym(h, "g_rgSCardT0Pci") && dlsym(h, "g_rgSCardT1Pci") && dlsym(h, "g_rgSCardRawPci");
    if (!establish || !release || !stringify || !data) {
        printf("dlsym failed\n");
        return 1;
    }
    SCARDCONTEXT ctx = 0;
    LONG rv = establish(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    printf("establish %s\n", name(rv));
    printf("release %s\n", name(release(ctx)));
    printf("stringify %s\n", stringify(SCARD_E_NO_SERVICE));
    dlclose(h);
    return 0;
}

// Nothing but what the loader did: no thread, no descriptor, no output.
int idle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    printf("threads %d\n", thread_count());
    print_fds("fds");
    return 0;
}

// The same after calls with no monitor listening.
int unmonitored() {
    SCARDCONTEXT ctx = 0;
    for (int i = 0; i < 1000; ++i) {
        SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
        SCardReleaseContext(ctx);
    }
    printf("threads %d\n", thread_count());
    print_fds("fds");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string s = argc > 1 ? argv[1] : "";
    auto arg = [&](int i, int fallback) { return argc > i ? atoi(argv[i]) : fallback; };
    if (s == "odd") return odd_arguments();
    if (s == "basic") return basic_session();
    if (s == "verify") return verify();
    if (s == "threads") return threads(arg(2, 32), arg(3, 10000));
    if (s == "flood") return flood(arg(2, 20000));
    if (s == "paced") return paced(arg(2, 5), arg(3, 100));
    if (s == "errno") return errno_kept(arg(2, -1));
    if (s == "block") return blocking(arg(2, 500));
    if (s == "fork") return fork_exec(argv[0]);
    if (s == "after-exec") return after_exec();
    if (s == "dlopen" && argc > 2) return dlopen_library(argv[2]);
    if (s == "runpath") {
        void* h = dlopen("libpcscspy_runpath_probe.so", RTLD_LAZY);
        printf("%s\n", h ? "runpath ok" : dlerror());
        return h ? 0 : 1;
    }
    if (s == "idle") return idle();
    if (s == "unmonitored") return unmonitored();
    fprintf(stderr, "usage: %s SCENARIO [ARGS]\n", argv[0]);
    return 2;
}
