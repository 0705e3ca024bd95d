"""PyTorch counterpart of bench/dense_linalg.cpp: dense linear algebra, one JSON line per workload
with the same schema.

Workloads (float32 batches of 64 matrices, forward + backward of mean(y**2)): linalg_solve,
linalg_inv, linalg_slogdet, linalg_cholesky (of M M^T + 4 I), linalg_eigvalsh (of M + M^T),
linalg_qr (R of a [64, 48, 32] batch), linalg_svdvals. Inputs are the sin(0.37 i + phase) fills
of the C++ side, so the losses agree to float32 rounding.

Usage: /usr/bin/python3 bench/dense_linalg.py
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


def leaf(shape, phase: float, diagonal: float):
    """A leaf fill sin(0.37 i + phase) plus `diagonal` times the identity, as the C++ side's."""
    eye = torch.eye(shape[-2], shape[-1])
    return (wave(shape, phase, 1.0) + diagonal * eye).detach().requires_grad_()


def main() -> int:
    torch.set_num_threads(THREADS)
    square = leaf([64, 32, 32], 0.1, 4.0)
    rhs = leaf([64, 32, 8], 0.2, 0.0)
    fill = leaf([64, 32, 32], 0.3, 0.0)
    tall = leaf([64, 48, 32], 0.4, 2.0)
    eye = torch.eye(32)

    def workload(name, inputs, f):
        mean_square_workload(name, inputs, f, WARMUP, ITERS)

    workload('linalg_solve', [square, rhs], torch.linalg.solve)
    workload('linalg_inv', [square], torch.linalg.inv)
    workload('linalg_slogdet', [square], lambda a: torch.linalg.slogdet(a)[1])
    workload('linalg_cholesky', [fill], lambda m: torch.linalg.cholesky(m @ m.mT + 4.0 * eye))
    workload('linalg_eigvalsh', [fill], lambda m: torch.linalg.eigvalsh(m + m.mT))
    workload('linalg_qr', [tall], lambda a: torch.linalg.qr(a)[1])
    workload('linalg_svdvals', [tall], torch.linalg.svdvals)
    return 0


if __name__ == '__main__':
    sys.exit(main())
