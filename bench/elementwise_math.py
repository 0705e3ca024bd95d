"""PyTorch counterpart of bench/elementwise_math.cpp: elementwise math, one JSON line per workload
with the same schema.

Workloads (float32 [512, 1024], forward + backward of mean(y**2)): math_tan, math_atan2,
math_lgamma, math_digamma, math_erfinv, math_logaddexp, math_remainder (by 0.7), math_sigmoid,
math_log1p, math_expm1, math_erf, math_atan, math_sinh, and the activations act_gelu, act_silu,
act_softplus, act_elu. Inputs are the sin(0.37 i + phase) fills of the C++ side, so the losses
agree to float32 rounding.

Usage: /usr/bin/python3 bench/elementwise_math.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import THREADS, env_int, mean_square_workload, wave  # noqa: E402

ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3, minimum=0)


def workload(name: str, inputs, f) -> None:
    """One workload at this bench's warmup and iteration counts."""
    mean_square_workload(name, inputs, f, WARMUP, ITERS)


def leaf(phase: float, scale: float, shift: float):
    """A leaf fill sin(0.37 i + phase) * scale + shift, as the C++ side's."""
    return (wave([512, 1024], phase, scale) + shift).detach().requires_grad_()


def main() -> int:
    torch.set_num_threads(THREADS)
    workload('math_tan', [leaf(0.1, 1.2, 0.0)], torch.tan)
    workload('math_atan2', [leaf(0.2, 1.0, 0.0), leaf(0.9, 1.0, 0.0)], torch.atan2)
    workload('math_lgamma', [leaf(0.3, 1.0, 2.0)], torch.lgamma)
    workload('math_digamma', [leaf(0.4, 1.0, 2.0)], torch.digamma)
    workload('math_erfinv', [leaf(0.5, 0.9, 0.0)], torch.erfinv)
    workload('math_logaddexp', [leaf(0.6, 3.0, 0.0), leaf(1.1, 3.0, 0.0)], torch.logaddexp)
    workload('math_remainder', [leaf(0.7, 3.0, 0.0)], lambda t: torch.remainder(t, 0.7))
    workload('math_sigmoid', [leaf(0.8, 4.0, 0.0)], torch.sigmoid)
    workload('math_log1p', [leaf(0.9, 0.9, 0.0)], torch.log1p)
    workload('math_expm1', [leaf(1.0, 2.0, 0.0)], torch.expm1)
    workload('math_erf', [leaf(1.1, 2.0, 0.0)], torch.erf)
    workload('math_atan', [leaf(1.2, 3.0, 0.0)], torch.atan)
    workload('math_sinh', [leaf(1.3, 2.0, 0.0)], torch.sinh)
    workload('act_gelu', [leaf(1.4, 3.0, 0.0)], torch.nn.functional.gelu)
    workload('act_silu', [leaf(1.5, 3.0, 0.0)], torch.nn.functional.silu)
    workload('act_softplus', [leaf(1.6, 3.0, 0.0)], torch.nn.functional.softplus)
    workload('act_elu', [leaf(1.7, 3.0, 0.0)], torch.nn.functional.elu)
    return 0


if __name__ == '__main__':
    sys.exit(main())
