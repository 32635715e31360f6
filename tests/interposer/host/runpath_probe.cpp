// A library only the host's RUNPATH ($ORIGIN/probe) can find: the host dlopens
// it by bare name under the interposer, which must keep dlopen's
// caller-dependent search (see interposer/dlopen_hook.cpp).
extern "C" int pcscspy_runpath_probe() { return 42; }
