#pragma once

// Every entry of KernelBackend (Note [kernel backend]). Included by the two translation units
// that instantiate it: cuda_backend.cu (nvcc, the GPU) and emulated_backend.cpp (the host).
#include "cuda/kernels/adam_kernels.hpp"
#include "cuda/kernels/conv_kernels.hpp"
#include "cuda/kernels/elementwise_kernels.hpp"
#include "cuda/kernels/index_kernels.hpp"
#include "cuda/kernels/matmul_kernels.hpp"
#include "cuda/kernels/memory_kernels.hpp"
#include "cuda/kernels/norm_kernels.hpp"
#include "cuda/kernels/random_kernels.hpp"
#include "cuda/kernels/reduce_kernels.hpp"
#include "cuda/kernels/scan_kernels.hpp"
#include "cuda/kernels/solve_kernels.hpp"
#include "cuda/kernels/sort_kernels.hpp"
