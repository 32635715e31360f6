#include "interposer/thread_state.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interposer/limits.hpp"

namespace pcscspy::interposer {

namespace {

constexpr size_t kMappedBytes = kEventBufferBytes + kScratchBytes;

// Trivial type: no TLS wrapper, no guard, nothing run at thread start.
thread_local ThreadState t_state;

pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
pthread_key_t g_key;

void release_buffer(void* p) {
    // Only the buffer lives in the key; the rest of ThreadState is plain TLS.
    munmap(p, kMappedBytes);
    t_state.buffer = nullptr;
}

void create_key() { pthread_key_create(&g_key, release_buffer); }

}  // namespace

ThreadState& thread_state() { return t_state; }

int32_t thread_id() {
    if (t_state.tid == 0) t_state.tid = static_cast<int32_t>(gettid());
    return t_state.tid;
}

char* thread_buffer() {
    if (t_state.buffer) return t_state.buffer;
    // Anonymous mapping rather than malloc: the host's allocator is left alone,
    // and only the pages an event touches cost memory.
    void* p = mmap(nullptr, kMappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    pthread_once(&g_key_once, create_key);
    pthread_setspecific(g_key, p);
    t_state.buffer = static_cast<char*>(p);
    return t_state.buffer;
}

uint8_t* thread_scratch() {
    char* b = thread_buffer();
    return b ? reinterpret_cast<uint8_t*>(b + kEventBufferBytes) : nullptr;
}

void thread_state_after_fork() { t_state.tid = static_cast<int32_t>(gettid()); }

}  // namespace pcscspy::interposer
