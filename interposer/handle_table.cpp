#include "interposer/handle_table.hpp"

#include <atomic>
#include <cstring>
#include <pthread.h>

#include "interposer/limits.hpp"

namespace pcscspy::interposer {

namespace {

struct Slot {
    std::atomic<uint32_t> version{0};  // odd while being written
    std::atomic<bool> used{false};
    std::atomic<int64_t> card{0};
    std::atomic<int64_t> context{0};
    std::atomic<uint8_t> length{0};
    // Copied byte by byte with relaxed atomics so that a reader racing a writer
    // is well defined; the version check discards such a copy.
    std::atomic<char> name[kReaderNameBytes];
};

Slot g_slots[kHandleSlots];
std::atomic<size_t> g_high_water{0};  // slots [0, high water) may be in use
pthread_mutex_t g_writers = PTHREAD_MUTEX_INITIALIZER;

void write_slot(Slot& s, int64_t context, int64_t card, const char* reader) {
    s.version.fetch_add(1, std::memory_order_acq_rel);
    size_t n = reader ? strnlen(reader, kReaderNameBytes) : 0;
    for (size_t i = 0; i < n; ++i) s.name[i].store(reader[i], std::memory_order_relaxed);
    s.length.store(static_cast<uint8_t>(n), std::memory_order_relaxed);
    s.context.store(context, std::memory_order_relaxed);
    s.card.store(card, std::memory_order_relaxed);
    s.used.store(true, std::memory_order_relaxed);
    s.version.fetch_add(1, std::memory_order_release);
}

void clear_slot(Slot& s) {
    s.version.fetch_add(1, std::memory_order_acq_rel);
    s.used.store(false, std::memory_order_relaxed);
    s.version.fetch_add(1, std::memory_order_release);
}

}  // namespace

void handles_add(int64_t context, int64_t card, const char* reader) {
    pthread_mutex_lock(&g_writers);
    size_t hw = g_high_water.load(std::memory_order_relaxed);
    Slot* free_slot = nullptr;
    for (size_t i = 0; i < hw; ++i) {
        Slot& s = g_slots[i];
        if (s.used.load(std::memory_order_relaxed) && s.card.load(std::memory_order_relaxed) == card) {
            free_slot = &s;  // a reused handle value: replace
            break;
        }
        if (!free_slot && !s.used.load(std::memory_order_relaxed)) free_slot = &s;
    }
    if (!free_slot && hw < kHandleSlots) {
        free_slot = &g_slots[hw];
        g_high_water.store(hw + 1, std::memory_order_release);
    }
    // A full table only costs the `reader` field of the extra handles.
    if (free_slot) write_slot(*free_slot, context, card, reader);
    pthread_mutex_unlock(&g_writers);
}

void handles_remove(int64_t card) {
    pthread_mutex_lock(&g_writers);
    size_t hw = g_high_water.load(std::memory_order_relaxed);
    for (size_t i = 0; i < hw; ++i)
        if (g_slots[i].used.load(std::memory_order_relaxed) && g_slots[i].card.load(std::memory_order_relaxed) == card)
            clear_slot(g_slots[i]);
    pthread_mutex_unlock(&g_writers);
}

void handles_remove_context(int64_t context) {
    pthread_mutex_lock(&g_writers);
    size_t hw = g_high_water.load(std::memory_order_relaxed);
    for (size_t i = 0; i < hw; ++i)
        if (g_slots[i].used.load(std::memory_order_relaxed) &&
            g_slots[i].context.load(std::memory_order_relaxed) == context)
            clear_slot(g_slots[i]);
    pthread_mutex_unlock(&g_writers);
}

int handles_reader(int64_t card, char* out) {
    size_t hw = g_high_water.load(std::memory_order_acquire);
    for (size_t i = 0; i < hw; ++i) {
        Slot& s = g_slots[i];
        for (int attempt = 0; attempt < 4; ++attempt) {
            uint32_t v1 = s.version.load(std::memory_order_acquire);
            if (v1 & 1) continue;
            bool match = s.used.load(std::memory_order_relaxed) && s.card.load(std::memory_order_relaxed) == card;
            size_t n = s.length.load(std::memory_order_relaxed);
            if (match)
                for (size_t k = 0; k < n; ++k) out[k] = s.name[k].load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (s.version.load(std::memory_order_relaxed) != v1) continue;
            if (match) return static_cast<int>(n);
            break;
        }
    }
    return -1;
}

void handles_lock() { pthread_mutex_lock(&g_writers); }
void handles_unlock() { pthread_mutex_unlock(&g_writers); }
void handles_reset_lock() { pthread_mutex_init(&g_writers, nullptr); }

}  // namespace pcscspy::interposer
