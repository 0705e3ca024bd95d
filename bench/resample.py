"""PyTorch counterpart of bench/resample.cpp: resampling and decoder ops, one JSON line per
workload with the same schema.

Workloads (float32, forward + backward of mean(y**2)): upsample_bilinear and upsample_nearest
([16, 32, 32, 32] to 64 x 64), conv_transpose ([32, 16, 4, 4] weight, stride 2, padding 1),
grid_sample_affine (bilinear at affine_grid(theta [16, 2, 3])), pad_reflect (3 on each side),
adaptive_max_pool (to 7 x 7). Inputs are the sin(0.37 i + phase) fills of the C++ side, so the
losses agree to float32 rounding.

Usage: /usr/bin/python3 bench/resample.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import THREADS, env_int, mean_square_workload, wave  # noqa: E402

ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3, minimum=0)


def workload(name: str, inputs, f) -> None:
    """One workload at this bench's warmup and iteration counts."""
    mean_square_workload(name, inputs, f, WARMUP, ITERS)


def main() -> int:
    torch.set_num_threads(THREADS)
    image = [16, 32, 32, 32]
    x = wave(image, 0.1, 1.0).requires_grad_()
    workload('upsample_bilinear', [x],
             lambda t: F.interpolate(t, size=64, mode='bilinear', align_corners=False))
    workload('upsample_nearest', [x], lambda t: F.interpolate(t, size=64, mode='nearest'))
    workload('conv_transpose', [x, wave([32, 16, 4, 4], 0.2, 0.1).requires_grad_()],
             lambda t, w: F.conv_transpose2d(t, w, None, 2, 1))
    theta = (torch.tensor([0.9, 0.1, 0.05, -0.1, 1.1, -0.02]).reshape(1, 2, 3) +
             wave([16, 2, 3], 0.3, 0.05)).detach().requires_grad_()
    workload('grid_sample_affine', [x, theta],
             lambda t, th: F.grid_sample(t, F.affine_grid(th, image, align_corners=False),
                                         align_corners=False))
    workload('pad_reflect', [x], lambda t: F.pad(t, (3, 3, 3, 3), mode='reflect'))
    workload('adaptive_max_pool', [x], lambda t: F.adaptive_max_pool2d(t, 7))
    return 0


if __name__ == '__main__':
    sys.exit(main())
