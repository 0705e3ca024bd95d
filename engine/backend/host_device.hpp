#pragma once

// MG_SPECIAL_HD marks the elementwise math shared by the CPU backend and the CUDA kernels: host and
// device functions under nvcc, plain functions elsewhere.
#if defined(__CUDACC__)
#define MG_SPECIAL_HD __host__ __device__
#else
#define MG_SPECIAL_HD
#endif

// MG_FORCE_INLINE marks the small straight-line functions of the vectorized CPU loops: GCC's
// inliner stops inlining in a large file (its unit-growth limit), and a call left in a loop
// keeps it from vectorizing.
#if defined(__CUDACC__)
#define MG_FORCE_INLINE __forceinline__
#else
#define MG_FORCE_INLINE [[gnu::always_inline]] inline
#endif
