// What each calling thread keeps: its kernel thread id, a re-entrancy depth and
// its event buffer (mapped at its first traced call, unmapped at thread exit by
// a pthread key destructor).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcscspy::interposer {

struct ThreadState {
    int32_t tid = 0;      // 0 until first asked (gettid is a system call)
    int32_t depth = 0;    // > 0 while this thread is inside a wrapper
    char* buffer = nullptr;  // kEventBufferBytes, then kScratchBytes of scratch
};

ThreadState& thread_state();
int32_t thread_id();
// The thread's event buffer, or nullptr if it cannot be mapped.
char* thread_buffer();
uint8_t* thread_scratch();
// In a forked child: the surviving thread has a new tid.
void thread_state_after_fork();

}  // namespace pcscspy::interposer
