#pragma once

// Note [initial-exec TLS]
// Every op reads a few thread-local variables: grad mode, the object pool's free lists (Note
// [object pool]), the storage counters, the node teardown stack. In a shared library the default
// TLS model reaches each through a call to __tls_get_addr, about 3% of the instructions of a small
// meta-step. MG_HOT_TLS gives those variables the initial-exec model instead: one load from the
// thread pointer, as in an executable. Such variables live in the static TLS block, which a
// library loaded with dlopen() shares with others in glibc's small reserve
// (rtld.optional_static_tls, 512 bytes by default), so only small variables use it (about 330 bytes
// in all); the CPU backend's 8 KiB block cache (Note [host block caches]) keeps the default model.

/// Marks a small, hot thread_local variable for the initial-exec TLS model (Note [initial-exec
/// TLS]).
#if defined(__GNUC__)
#define MG_HOT_TLS __attribute__((tls_model("initial-exec")))
#else
#define MG_HOT_TLS
#endif
