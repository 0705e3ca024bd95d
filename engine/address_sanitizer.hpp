#pragma once

// MG_ADDRESS_SANITIZER: 1 in a build with AddressSanitizer, 0 otherwise. GCC says so with
// __SANITIZE_ADDRESS__, clang with __has_feature(address_sanitizer); `make sanitize` builds with
// clang and ad-hoc sanitizer builds often with GCC, so code that behaves differently under ASan
// (the allocators' caches, the tests of resident memory) asks here. Private to the library and
// its tests; not installed.
#if defined(__SANITIZE_ADDRESS__)
#define MG_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef MG_ADDRESS_SANITIZER
#define MG_ADDRESS_SANITIZER 0
#endif
