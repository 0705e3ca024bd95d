"""PyTorch counterpart of bench/attention.cpp: attention and transformer layers, one JSON line per
workload with the same schema.

Workloads (float32, forward + backward of mean(y**2), no dropout): sdpa (q, k, v [16, 4, 64, 32],
the attention formula: PyTorch 1.13 has no public scaled_dot_product_attention), sdpa_causal,
mha_self (MultiheadAttention(128, 4) on x [64, 16, 128]), encoder_layer
(TransformerEncoderLayer(128, 4, 512)). Inputs and parameters are the sin(0.37 i + phase) fills of
the C++ side, so the losses agree to float32 rounding.

Usage: /usr/bin/python3 bench/attention.py
Env: BENCH_THREADS (2) torch threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
BENCH_WORKLOADS (all) comma-separated subset of the workload names.
"""

from __future__ import annotations

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import THREADS, env_int, mean_square_workload, wave  # noqa: E402

ITERS = env_int('BENCH_ITERS', 20)
WARMUP = env_int('BENCH_WARMUP', 3, minimum=0)


def leaf(shape, phase: float):
    return wave(shape, phase, 1.0).requires_grad_()


def fill(module) -> None:
    """The k-th parameter set to 0.1 wave(shape, 0.1 k), as the C++ side's fill."""
    with torch.no_grad():
        for k, p in enumerate(module.parameters()):
            p.copy_(wave(list(p.shape), 0.1 * k, 0.1))


def sdpa(q, k, v, causal=False):
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)
    if causal:
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = scores.masked_fill(~keep, float('-inf'))
    return torch.softmax(scores, -1) @ v


def main() -> int:
    torch.set_num_threads(THREADS)

    def workload(name, inputs, f):
        mean_square_workload(name, inputs, f, WARMUP, ITERS)

    qkv = [leaf([16, 4, 64, 32], 0.1), leaf([16, 4, 64, 32], 0.2), leaf([16, 4, 64, 32], 0.3)]
    workload('sdpa', qkv, sdpa)
    workload('sdpa_causal', qkv, lambda q, k, v: sdpa(q, k, v, causal=True))
    x = leaf([64, 16, 128], 0.4)
    mha = torch.nn.MultiheadAttention(128, 4)
    fill(mha)
    workload('mha_self', [x], lambda t: mha(t, t, t, need_weights=False)[0])
    layer = torch.nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0)
    fill(layer)
    workload('encoder_layer', [x], layer)
    return 0


if __name__ == '__main__':
    sys.exit(main())
