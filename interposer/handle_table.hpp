// Card handle -> reader name, learnt from SCardConnect, kept by SCardReconnect,
// forgotten by SCardDisconnect and by SCardReleaseContext of its context.
// Fixed size, no allocation; lookups (every card call) take no lock: each slot is
// a seqlock, writers (connect/disconnect, rare) serialise on a mutex.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcscspy::interposer {

void handles_add(int64_t context, int64_t card, const char* reader);
void handles_remove(int64_t card);
void handles_remove_context(int64_t context);
// Copies the reader name of `card` into out (at least kReaderNameBytes) and
// returns its length, or -1 when the handle is unknown.
int handles_reader(int64_t card, char* out);

// fork support: hold the writers' lock across fork, reset it in the child.
void handles_lock();
void handles_unlock();
void handles_reset_lock();

}  // namespace pcscspy::interposer
