// Marks the points between two changes to the file system in
// --install-system/--uninstall-system. In the test build of pcscspy-run
// (PCSCSPY_RUN_TEST_BUILD), the process SIGKILLs itself at the Nth point, N
// from $PCSCSPY_RUN_KILL_AT: the tests stop it at every point in turn and prove
// that the next run recovers. In the real pcscspy-run this does nothing and
// reads no environment.
#pragma once

namespace pcscspy::run {

#ifdef PCSCSPY_RUN_TEST_BUILD
void kill_point();
#else
inline void kill_point() {}
#endif

}  // namespace pcscspy::run
